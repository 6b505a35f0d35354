//! Many WatchLinkEvents streams while links are confirmed at a steady rate:
//! how long each event takes to reach each watcher, and whether every
//! watcher gets every event exactly once, in order.
use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use pacer_link::proto::{self, link_status_service_client::LinkStatusServiceClient};
use serde_json::json;
use tokio::{sync::watch, task::JoinSet, time::Instant};
use tonic::transport::Channel;

use crate::scenarios::verified_flow;
use crate::seed::{SeedDb, WATCH};
use crate::stats::{Percentiles, Recorder, Summary, code_name, round};

/// Streams per HTTP/2 connection.
const STREAMS_PER_CONNECTION: usize = 100;

/// What one watcher saw.
#[derive(Default)]
struct Seen {
    received: usize,
    out_of_order: usize,
    delays_us: Vec<u64>,
    ended: Option<&'static str>,
}

/// When watchers may stop: after `events` events, or at the deadline.
type Until = Option<(usize, Instant)>;

/// How many links the run confirms.
pub fn events(rate: f64, duration: Duration) -> usize {
    (rate * duration.as_secs_f64()).ceil().max(1.0) as usize
}

/// Runs the scenario; `link` carries the confirms, the watchers get
/// connections of their own.
pub async fn watch(
    addr: std::net::SocketAddr,
    link: &[Channel],
    db: &SeedDb,
    watchers: usize,
    rate: f64,
    duration: Duration,
    concurrency: usize,
) -> anyhow::Result<Summary> {
    let events = events(rate, duration);
    let prepared = Instant::now();
    let tokens = prepare(link, WATCH, events, concurrency).await?;
    let prepare_s = prepared.elapsed().as_secs_f64();
    let after = db.last_event_sequence().await?;

    let channels = crate::drive::connect(addr, watchers.div_ceil(STREAMS_PER_CONNECTION)).await?;
    let (until, stop) = watch::channel::<Until>(None);
    let (opened, mut on_open) = tokio::sync::mpsc::channel(watchers.max(1));
    let mut tasks = JoinSet::new();
    for w in 0..watchers {
        let client = LinkStatusServiceClient::new(channels[w % channels.len()].clone());
        tasks.spawn(follow(client, after, stop.clone(), opened.clone()));
    }
    drop(opened);
    for _ in 0..watchers {
        on_open.recv().await.transpose()?;
    }
    eprintln!("watch: {watchers} streams open; confirming {events} links at {rate}/s");

    let confirms = confirm(link, tokens, rate).await;
    let mut confirms = confirms;
    let confirmed = confirms.count("OK") as usize;
    let _ = until.send(Some((confirmed, Instant::now() + Duration::from_secs(10))));

    let mut delays = Vec::new();
    let (mut complete, mut missing, mut surplus, mut out_of_order) = (0, 0, 0, 0);
    let mut ends = std::collections::BTreeMap::<String, u64>::new();
    while let Some(seen) = tasks.join_next().await {
        let mut seen = seen?;
        complete += usize::from(seen.received == confirmed && seen.out_of_order == 0);
        missing += confirmed.saturating_sub(seen.received);
        surplus += seen.received.saturating_sub(confirmed);
        out_of_order += seen.out_of_order;
        if let Some(code) = seen.ended {
            *ends.entry(code.to_owned()).or_default() += 1;
        }
        delays.append(&mut seen.delays_us);
    }
    let mut recorder = Recorder::default();
    for d in &delays {
        recorder.record("OK", Duration::from_micros(*d));
    }
    let window = Duration::from_secs_f64(events as f64 / rate);
    let mut summary = Summary::from_run(
        "watch",
        format!("{watchers} watchers, {rate}/s links"),
        recorder,
        window,
    );
    summary.errors = ends;
    for (code, n) in confirms.counts() {
        if code != "OK" {
            summary.errors.insert(format!("ConfirmLink {code}"), n);
        }
    }
    summary.note("links_confirmed", json!(confirmed));
    summary.note("watchers_with_every_event_once_in_order", json!(complete));
    summary.note("missing_deliveries", json!(missing));
    summary.note("extra_deliveries", json!(surplus));
    summary.note("out_of_order_deliveries", json!(out_of_order));
    summary.note(
        "confirm_latency",
        json!(confirms.percentiles("OK").map(Percentiles::to_json)),
    );
    summary.note("prepare_s", json!(round(prepare_s)));
    summary.note(
        "delay_measured_from",
        json!("LinkEvent.occurred_at (taken before the commit)"),
    );
    Ok(summary)
}

/// Steps 2 and 3 for `events` fresh pairs, `concurrency` at a time.
pub async fn prepare(
    link: &[Channel],
    group: crate::seed::Group,
    events: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<String>> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for worker in 0..concurrency.clamp(1, events) {
        let client = proto::account_link_service_client::AccountLinkServiceClient::new(
            link[worker % link.len()].clone(),
        );
        let next = next.clone();
        workers.spawn(async move {
            let refused = std::sync::atomic::AtomicUsize::new(0);
            let mut tokens = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= events {
                    return Ok::<_, tonic::Status>(tokens);
                }
                // Set-up: a refusal at the admission limit is retried.
                let token = verified_flow(client.clone(), group, i, &refused).await?;
                tokens.push((i, token));
            }
        });
    }
    let mut tokens = Vec::with_capacity(events);
    while let Some(batch) = workers.join_next().await {
        tokens.extend(batch??);
    }
    tokens.sort_unstable_by_key(|(i, _)| *i);
    Ok(tokens.into_iter().map(|(_, t)| t).collect())
}

/// ConfirmLink for each token at `rate` per second, each call timed.
pub async fn confirm(link: &[Channel], tokens: Vec<String>, rate: f64) -> Recorder {
    let recorder = Arc::new(std::sync::Mutex::new(Recorder::default()));
    let progress = crate::drive::Progress::start("watch-confirm");
    let started = Instant::now();
    let mut calls = JoinSet::new();
    for (n, token) in tokens.into_iter().enumerate() {
        tokio::time::sleep_until(started + Duration::from_secs_f64(n as f64 / rate)).await;
        let mut client = proto::account_link_service_client::AccountLinkServiceClient::new(
            link[n % link.len()].clone(),
        );
        let recorder = recorder.clone();
        let done = progress.counter();
        calls.spawn(async move {
            let sent = Instant::now();
            let outcome = client
                .confirm_link(proto::ConfirmLinkRequest { flow_token: token })
                .await;
            let code = outcome.map_or_else(|s| code_name(s.code()), |_| "OK");
            recorder
                .lock()
                .expect("recorder")
                .record(code, sent.elapsed());
            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
    }
    while calls.join_next().await.is_some() {}
    progress.finish();
    std::mem::take(&mut *recorder.lock().expect("recorder"))
}

/// One watcher: opens its stream, says so, then checks each event's
/// sequence and measures its delay until told how many to expect.
async fn follow(
    mut client: LinkStatusServiceClient<Channel>,
    after: u64,
    mut until: watch::Receiver<Until>,
    opened: tokio::sync::mpsc::Sender<Result<(), tonic::Status>>,
) -> Seen {
    let mut seen = Seen::default();
    let request = proto::WatchLinkEventsRequest {
        after_sequence: after,
        court_id: String::new(),
        heartbeat_seconds: 0,
    };
    let mut stream = match client.watch_link_events(request).await {
        Ok(response) => response.into_inner(),
        Err(status) => {
            seen.ended = Some(code_name(status.code()));
            let _ = opened.send(Err(status)).await;
            return seen;
        }
    };
    let _ = opened.send(Ok(())).await;
    drop(opened);
    let mut expected = after + 1;
    loop {
        let target = *until.borrow();
        if let Some((count, _)) = target
            && seen.received >= count
        {
            return seen;
        }
        let deadline =
            target.map_or_else(|| Instant::now() + Duration::from_secs(3600), |(_, d)| d);
        tokio::select! {
            message = stream.message() => match message {
                Ok(Some(event)) => {
                    let now = SystemTime::now();
                    let at = event.occurred_at.and_then(|t| SystemTime::try_from(t).ok()).unwrap_or(now);
                    let delay = now.duration_since(at).unwrap_or_default();
                    seen.delays_us.push(u64::try_from(delay.as_micros()).unwrap_or(u64::MAX));
                    if event.sequence != expected {
                        seen.out_of_order += 1;
                    }
                    expected = event.sequence + 1;
                    seen.received += 1;
                }
                Ok(None) => return seen,
                Err(status) => {
                    seen.ended = Some(code_name(status.code()));
                    return seen;
                }
            },
            changed = until.changed() => if changed.is_err() { return seen; },
            () = tokio::time::sleep_until(deadline) => return seen,
        }
    }
}
