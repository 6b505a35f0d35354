//! The request-response scenarios: each turns a closed or open loop of
//! calls into a summary row.
use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use pacer_link::proto::{
    self, account_link_service_client::AccountLinkServiceClient, get_link_status_request::Subject,
    link_status_service_client::LinkStatusServiceClient,
};
use rand::Rng;
use serde_json::json;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;

use crate::drive::{Run, closed_loop, open_loop};
use crate::seed::{self, AUTH, FLOW, Group, STATUS};
use crate::stats::Summary;

type Link = AccountLinkServiceClient<Channel>;

fn sign_in(username: String) -> proto::AuthenticatePacerRequest {
    proto::AuthenticatePacerRequest {
        court_id: seed::COURT.into(),
        username,
        password: seed::PASSWORD.into(),
        client_code: String::new(),
        otp_code: String::new(),
    }
}

/// AuthenticatePacer with valid credentials, each worker on its own account
/// (so no two calls ever share one account's sign-in counter).
pub async fn auth(channels: &[Channel], concurrency: usize, duration: Duration) -> Run {
    let clients: Vec<Link> = channels.iter().cloned().map(Link::new).collect();
    closed_loop("auth", concurrency, duration, move |worker| {
        let mut client = clients[worker % clients.len()].clone();
        let request = sign_in(AUTH.pacer(worker));
        async move { client.authenticate_pacer(request).await.map(drop) }
    })
    .await
}

/// GetLinkStatus for a random account of the seeded population, asked by
/// CM/ECF login or by PACER username at random.
fn status_op(
    channels: &[Channel],
    population: usize,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn Future<Output = crate::drive::Outcome> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    let clients: Vec<_> = channels
        .iter()
        .cloned()
        .map(LinkStatusServiceClient::new)
        .collect();
    move |n| {
        let mut client = clients[n % clients.len()].clone();
        let mut rng = rand::rng();
        let i = rng.random_range(0..population);
        let subject = if rng.random_bool(0.5) {
            Subject::EcfLogin(STATUS.ecf(i))
        } else {
            Subject::PacerUsername(STATUS.pacer(i))
        };
        let request = proto::GetLinkStatusRequest {
            court_id: seed::COURT.into(),
            subject: Some(subject),
        };
        Box::pin(async move { client.get_link_status(request).await.map(drop) })
    }
}

/// Asks every account of the population once, by CM/ECF login and by PACER
/// username, in batches of 1,000 on `concurrency` workers: a replica that has
/// been serving for a while has these answers cached, and the scenario
/// measures that steady state. Returns the accounts asked and the seconds.
pub async fn warm_status(
    channels: &[Channel],
    population: usize,
    concurrency: usize,
) -> anyhow::Result<(usize, f64)> {
    const BATCH: usize = 1000;
    let started = std::time::Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for worker in 0..concurrency.max(1) {
        let mut client = LinkStatusServiceClient::new(channels[worker % channels.len()].clone());
        let next = next.clone();
        workers.push(tokio::spawn(async move {
            loop {
                let start = next.fetch_add(BATCH, Ordering::Relaxed);
                if start >= population {
                    return Ok::<(), tonic::Status>(());
                }
                for by_ecf in [true, false] {
                    let requests = (start..(start + BATCH).min(population))
                        .map(|i| proto::GetLinkStatusRequest {
                            court_id: seed::COURT.into(),
                            subject: Some(if by_ecf {
                                Subject::EcfLogin(STATUS.ecf(i))
                            } else {
                                Subject::PacerUsername(STATUS.pacer(i))
                            }),
                        })
                        .collect();
                    client
                        .batch_get_link_status(proto::BatchGetLinkStatusRequest { requests })
                        .await?;
                }
            }
        }));
    }
    for worker in workers {
        worker.await??;
    }
    Ok((population, started.elapsed().as_secs_f64()))
}

/// GetLinkStatus flat out.
pub async fn status(
    channels: &[Channel],
    population: usize,
    concurrency: usize,
    duration: Duration,
) -> Run {
    closed_loop(
        "status",
        concurrency,
        duration,
        status_op(channels, population),
    )
    .await
}

/// GetLinkStatus offered at `rate` per second (open loop), timed from when
/// each call was due.
pub async fn status_at(
    channels: &[Channel],
    population: usize,
    rate: f64,
    duration: Duration,
) -> Run {
    let op = status_op(channels, population);
    open_loop(
        "status-open",
        rate,
        duration,
        Duration::from_secs(10),
        move |n| op(n as usize),
    )
    .await
}

/// The four steps on fresh accounts, one whole flow per operation; `next`
/// hands out the pairs of `FLOW`, of which `available` were seeded.
pub async fn flow(
    channels: &[Channel],
    next: Arc<AtomicUsize>,
    available: usize,
    concurrency: usize,
    duration: Duration,
    refused: Arc<AtomicUsize>,
) -> Run {
    let clients: Vec<Link> = channels.iter().cloned().map(Link::new).collect();
    closed_loop("flow", concurrency, duration, move |worker| {
        let mut client = clients[worker % clients.len()].clone();
        let i = next.fetch_add(1, Ordering::Relaxed);
        let refused = refused.clone();
        async move {
            if i >= available {
                // Out of fresh accounts: a bug in the seeding arithmetic.
                return Err(tonic::Status::resource_exhausted(
                    "the bench ran out of fresh accounts",
                ));
            }
            let token = verified_flow(client.clone(), FLOW, i, &refused).await?;
            client
                .preview_link(proto::PreviewLinkRequest {
                    flow_token: token.clone(),
                })
                .await?;
            client
                .confirm_link(proto::ConfirmLinkRequest { flow_token: token })
                .await
                .map(drop)
        }
    })
    .await
}

/// Steps 2 and 3 for pair `i` of `group`; the flow token. A step refused
/// at the admission limit is tried again after a pause, as a front-end
/// would; `refused` counts those refusals.
pub async fn verified_flow(
    client: Link,
    group: Group,
    i: usize,
    refused: &AtomicUsize,
) -> Result<String, tonic::Status> {
    let token = until_admitted(refused, || {
        let mut client = client.clone();
        let request = sign_in(group.pacer(i));
        async move { client.authenticate_pacer(request).await }
    })
    .await?
    .into_inner()
    .flow_token;
    until_admitted(refused, || {
        let mut client = client.clone();
        let request = proto::VerifyEcfRequest {
            flow_token: token.clone(),
            ecf_login: group.ecf(i),
            ecf_password: seed::PASSWORD.into(),
        };
        async move { client.verify_ecf(request).await }
    })
    .await?;
    Ok(token)
}

/// How long a refused hashing step waits before it is tried again when
/// the refusal names no delay.
const ADMISSION_PAUSE: Duration = Duration::from_millis(5);

/// `step`'s answer, calling it again while the service refuses it as
/// overloaded (its hashing queue is full), after the delay its `RetryInfo`
/// asks for, as a well-behaved front-end does. Any other refusal is the
/// answer.
async fn until_admitted<T, F, Fut>(refused: &AtomicUsize, mut step: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, tonic::Status>>,
{
    loop {
        match step().await {
            Err(s) if overloaded(&s) => {
                refused.fetch_add(1, Ordering::Relaxed);
                let delay = s.get_details_retry_info().and_then(|r| r.retry_delay);
                tokio::time::sleep(delay.unwrap_or(ADMISSION_PAUSE)).await;
            }
            other => return other,
        }
    }
}

/// Whether the service refused a call because its hashing queue is full.
fn overloaded(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::ResourceExhausted
        && status
            .get_details_error_info()
            .is_some_and(|info| info.reason == pacer_link::reason::OVERLOADED)
}

/// AuthenticatePacer offered at `rate` per second whatever the answers: the
/// excess should be refused quickly with RESOURCE_EXHAUSTED while admitted
/// calls keep their latency. Calls rotate over `accounts` accounts so that
/// no account has two calls in flight.
pub async fn overload(
    channels: &[Channel],
    accounts: usize,
    rate: f64,
    duration: Duration,
    timeout: Duration,
) -> Summary {
    let clients: Vec<Link> = channels.iter().cloned().map(Link::new).collect();
    let run = open_loop("overload", rate, duration, timeout, move |n| {
        let mut client = clients[n as usize % clients.len()].clone();
        let request = sign_in(AUTH.pacer(n as usize % accounts));
        async move { client.authenticate_pacer(request).await.map(drop) }
    })
    .await;
    let (mut recorder, mut from_send, mut send_lag) = (run.recorder, run.from_send, run.send_lag);
    let total = recorder.total();
    let refused = recorder.count("RESOURCE_EXHAUSTED");
    let refusal = recorder.percentiles("RESOURCE_EXHAUSTED");
    let refusal_from_send = from_send.percentiles("RESOURCE_EXHAUSTED");
    let lag = send_lag.percentiles("OK");
    let mut summary = Summary::from_run(
        "overload",
        format!("{rate:.0}/s offered"),
        recorder,
        run.elapsed,
    );
    summary.note("offered_per_s", json!(crate::stats::round(rate)));
    summary.note("offered", json!(total));
    summary.note(
        "refused_share",
        json!(crate::stats::round(refused as f64 / total.max(1) as f64)),
    );
    summary.note("refusal_latency", json!(refusal.map(|p| p.to_json())));
    summary.note(
        "refusal_latency_from_send",
        json!(refusal_from_send.map(|p| p.to_json())),
    );
    summary.note("client_send_lag_ms", json!(lag.map(|p| p.to_json())));
    summary
}
