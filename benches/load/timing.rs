//! Sign-in timing: `AuthenticatePacer` for an unknown username, for a
//! known username with a wrong password, and for an account imported with
//! an MD5-crypt hash with a wrong password, interleaved, so that the three
//! latency distributions see the same load and can be compared. All must
//! answer alike and take as long: otherwise the latency tells an attacker
//! which usernames exist, or which accounts still hold a fast legacy hash.
use std::{
    collections::BTreeSet,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use pacer_link::proto::{self, account_link_service_client::AccountLinkServiceClient};
use rand::Rng;
use serde_json::json;
use tonic::transport::Channel;

use crate::drive::Progress;
use crate::seed::{self, TIMING, TIMING_MD5};
use crate::stats::{Recorder, Summary, code_name, quantile_ms, round};

/// The target: medians within 5 % of each other.
pub const TARGET_PERCENT: f64 = 5.0;

/// Pairs per concurrency level run first and not recorded (connections,
/// caches and the hashing threads' buffers warm up).
pub const WARMUP: usize = 10;

/// Unknown usernames are `{UNKNOWN}{n}`: never seeded, each used once, and
/// as long as the known username `{TIMING.pacer}{n}` of the same pair.
pub const UNKNOWN: &str = "tu-";

/// Offered to both sides; as long as the seeded password.
const WRONG_PASSWORD: &str = "Bench-Wrong-Password-2026";

/// What the answer is counted under when it is the expected refusal.
const EXPECTED: &str = "OK";

/// Known accounts to seed of each kind for `levels` concurrency levels: one
/// fresh account per wrong-password call, warm-up included.
pub fn accounts(samples: usize, levels: usize) -> usize {
    (samples + WARMUP) * levels
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Unknown,
    Wrong,
    WrongMd5,
}

/// One call to make: which side, which pair, whether it is recorded.
#[derive(Debug, Clone, Copy)]
struct Call {
    side: Side,
    pair: usize,
    recorded: bool,
}

/// What each worker brings back.
#[derive(Default)]
struct Tally {
    unknown: Recorder,
    wrong: Recorder,
    md5: Recorder,
    /// (side is a known account, code, message, details) of every answer.
    answers: BTreeSet<(bool, i32, String, Vec<u8>)>,
}

/// Runs the comparison once per concurrency level in `levels`, `samples`
/// calls of each side per level; two rows per level.
pub async fn timing(channels: &[Channel], samples: usize, levels: &[usize]) -> Vec<Summary> {
    let mut rows = Vec::new();
    for (l, &concurrency) in levels.iter().enumerate() {
        let first_pair = l * (samples + WARMUP);
        rows.extend(level(channels, samples, concurrency, first_pair).await);
    }
    rows
}

/// The calls of one level: each trio's calls back to back, in a random
/// order, so that no side is systematically first.
fn schedule(samples: usize, first_pair: usize) -> Vec<Call> {
    let mut rng = rand::rng();
    let mut calls = Vec::with_capacity(3 * (samples + WARMUP));
    for i in 0..samples + WARMUP {
        let (pair, recorded) = (first_pair + i, i >= WARMUP);
        let mut three = [Side::Unknown, Side::Wrong, Side::WrongMd5];
        three.swap(0, rng.random_range(0..3));
        three.swap(1, rng.random_range(1..3));
        calls.extend(three.map(|side| Call {
            side,
            pair,
            recorded,
        }));
    }
    calls
}

async fn level(
    channels: &[Channel],
    samples: usize,
    concurrency: usize,
    first_pair: usize,
) -> Vec<Summary> {
    let calls = Arc::new(schedule(samples, first_pair));
    let next = Arc::new(AtomicUsize::new(0));
    let progress = Progress::start(&format!("timing@{concurrency}"));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency.max(1) {
        let mut client = AccountLinkServiceClient::new(channels[worker % channels.len()].clone());
        let (calls, next, done) = (calls.clone(), next.clone(), progress.counter());
        workers.spawn(async move {
            let mut tally = Tally::default();
            while let Some(&call) = calls.get(next.fetch_add(1, Ordering::Relaxed)) {
                let username = match call.side {
                    Side::Unknown => format!("{UNKNOWN}{}", call.pair),
                    Side::Wrong => TIMING.pacer(call.pair),
                    Side::WrongMd5 => TIMING_MD5.pacer(call.pair),
                };
                let request = proto::AuthenticatePacerRequest {
                    court_id: seed::COURT.into(),
                    username,
                    password: WRONG_PASSWORD.into(),
                    client_code: String::new(),
                    otp_code: String::new(),
                };
                let sent = Instant::now();
                let answer = client.authenticate_pacer(request).await;
                let latency = sent.elapsed();
                done.fetch_add(1, Ordering::Relaxed);
                if !call.recorded {
                    continue;
                }
                let code = match answer {
                    Ok(_) => "SIGNED_IN",
                    Err(status) => {
                        tally.answers.insert((
                            call.side != Side::Unknown,
                            status.code() as i32,
                            status.message().to_owned(),
                            status.details().to_vec(),
                        ));
                        match status.code() {
                            tonic::Code::Unauthenticated => EXPECTED,
                            other => code_name(other),
                        }
                    }
                };
                match call.side {
                    Side::Unknown => tally.unknown.record(code, latency),
                    Side::Wrong => tally.wrong.record(code, latency),
                    Side::WrongMd5 => tally.md5.record(code, latency),
                }
            }
            tally
        });
    }
    let mut all = Tally::default();
    while let Some(worker) = workers.join_next().await {
        let tally = worker.expect("a timing worker panicked");
        all.unknown.merge(tally.unknown);
        all.wrong.merge(tally.wrong);
        all.md5.merge(tally.md5);
        all.answers.extend(tally.answers);
    }
    let elapsed = started.elapsed();
    progress.finish();

    let (mut unknown, mut wrong, mut md5) = (all.unknown, all.wrong, all.md5);
    let quantiles = |r: &mut Recorder| {
        let sorted = r.sorted(EXPECTED);
        (quantile_ms(sorted, 0.5), quantile_ms(sorted, 0.9))
    };
    let (u50, u90) = quantiles(&mut unknown);
    let (w50, w90) = quantiles(&mut wrong);
    let (m50, m90) = quantiles(&mut md5);
    let difference = (w50 - u50).abs() / w50 * 100.0;
    let md5_difference = (m50 - u50).abs() / m50 * 100.0;
    let distinct = |wrong: bool| {
        all.answers
            .iter()
            .filter(|a| a.0 == wrong)
            .map(|a| (a.1, a.2.clone(), a.3.clone()))
            .collect::<BTreeSet<_>>()
    };
    let (u_answers, w_answers) = (distinct(false), distinct(true));
    let identical = u_answers.len() == 1 && u_answers == w_answers;

    let load = format!("{concurrency} in flight");
    let mut u = Summary::from_run("timing-unknown", load.clone(), unknown, elapsed);
    let mut w = Summary::from_run("timing-wrong", load.clone(), wrong, elapsed);
    let mut m = Summary::from_run("timing-wrong-md5crypt", load, md5, elapsed);
    m.ratio = Some(("timing-unknown p50".into(), m50 / u50));
    m.note("p90_ms", json!(round(m90)));
    m.note("p50_difference_pct", json!(round(md5_difference)));
    m.note(
        "p90_difference_pct",
        json!(round((m90 - u90).abs() / m90 * 100.0)),
    );
    m.note("target_pct", json!(TARGET_PERCENT));
    m.note("met", json!(md5_difference < TARGET_PERCENT));
    u.note("p90_ms", json!(round(u90)));
    w.note("p90_ms", json!(round(w90)));
    w.ratio = Some(("timing-unknown p50".into(), w50 / u50));
    w.note("ok_means", json!("UNAUTHENTICATED, as expected"));
    w.note("samples_per_side", json!(samples));
    w.note("p50_difference_pct", json!(round(difference)));
    w.note(
        "p90_difference_pct",
        json!(round((w90 - u90).abs() / w90 * 100.0)),
    );
    w.note("target_pct", json!(TARGET_PERCENT));
    w.note("met", json!(difference < TARGET_PERCENT));
    w.note("answers_identical", json!(identical));
    vec![u, w, m]
}
