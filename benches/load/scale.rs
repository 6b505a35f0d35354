//! Cost as data grows: each call's latency over a small court and a large
//! one, each seeded into a database of its own and served by its own
//! process of the shipped binary, measured in alternating slices so both
//! see the same machine.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pacer_link::proto::{
    self, account_admin_service_client::AccountAdminServiceClient,
    account_link_service_client::AccountLinkServiceClient,
    filer_auth_service_client::FilerAuthServiceClient, get_link_status_request::Subject,
    link_status_service_client::LinkStatusServiceClient,
};
use rand::Rng;
use serde_json::json;
use tonic::transport::Channel;

use crate::drive::Run;
use crate::seed::{COURT, PASSWORD, SCALE};
use crate::stats::{Recorder, Summary, code_name, round};

/// The operator token both processes accept (`PACER_LINK_ADMIN_TOKEN`).
pub const ADMIN_TOKEN: &str = "bench-operator-token-for-loopback-only";

/// Accounts asked once before the warm GetLinkStatus slices.
const WARM: usize = 1000;
/// Cold GetLinkStatus calls per slice: each asks an account never asked.
const COLD_PER_SLICE: usize = 1000;

/// One court as the bench sees it.
pub struct Side {
    pub label: String,
    pub channels: Vec<Channel>,
    /// PACER/CM/ECF pairs of `SCALE`; the first half linked.
    pub population: usize,
    /// The page token of a page half way down the whole trail.
    pub audit_mid_token: String,
    /// One day 200 days ago.
    pub window: (prost_types::Timestamp, prost_types::Timestamp),
    /// The token of that day's second page.
    pub window_token: String,
    /// The token of a ListEcfAccounts page half way down.
    pub ecf_mid_token: String,
    /// Pairs handed out to flows, from the top of the unlinked half down.
    flows_used: AtomicUsize,
    /// Linked accounts handed out to cold status calls, from `WARM` up.
    cold_used: AtomicUsize,
}

/// The calls measured, each on both sides.
#[derive(Debug, Clone, Copy)]
pub enum Call {
    AuthenticatePacer,
    VerifyEcf,
    ConfirmLink,
    AuthenticateFiler,
    StatusWarm,
    StatusCold,
    BatchStatus,
    AuditFirst,
    AuditDeep,
    AuditCourt,
    AuditSubject,
    AuditOperator,
    AuditCallerDeep,
    AuditWindow,
    AuditWindowDeep,
    Coverage,
    EcfFirst,
    EcfDeep,
}

impl Call {
    pub const ALL: [Call; 18] = [
        Call::AuthenticatePacer,
        Call::VerifyEcf,
        Call::ConfirmLink,
        Call::AuthenticateFiler,
        Call::StatusWarm,
        Call::StatusCold,
        Call::BatchStatus,
        Call::AuditFirst,
        Call::AuditDeep,
        Call::AuditCourt,
        Call::AuditSubject,
        Call::AuditOperator,
        Call::AuditCallerDeep,
        Call::AuditWindow,
        Call::AuditWindowDeep,
        Call::Coverage,
        Call::EcfFirst,
        Call::EcfDeep,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Call::AuthenticatePacer => "AuthenticatePacer",
            Call::VerifyEcf => "VerifyEcf",
            Call::ConfirmLink => "ConfirmLink",
            Call::AuthenticateFiler => "AuthenticateFiler",
            Call::StatusWarm => "GetLinkStatus warm",
            Call::StatusCold => "GetLinkStatus cold",
            Call::BatchStatus => "BatchGetLinkStatus 1000",
            Call::AuditFirst => "ListAuditEvents first",
            Call::AuditDeep => "ListAuditEvents mid-trail",
            Call::AuditCourt => "ListAuditEvents court",
            Call::AuditSubject => "ListAuditEvents subject",
            Call::AuditOperator => "ListAuditEvents operator",
            Call::AuditCallerDeep => "ListAuditEvents caller mid",
            Call::AuditWindow => "ListAuditEvents day -200",
            Call::AuditWindowDeep => "ListAuditEvents day p2",
            Call::Coverage => "GetLinkCoverage",
            Call::EcfFirst => "ListEcfAccounts first",
            Call::EcfDeep => "ListEcfAccounts mid",
        }
    }

    /// Calls that hash a password run at the admitted concurrency.
    fn hashes(self) -> bool {
        matches!(
            self,
            Call::AuthenticatePacer | Call::VerifyEcf | Call::ConfirmLink | Call::AuthenticateFiler
        )
    }
}

type Timed = Pin<Box<dyn Future<Output = Result<Duration, tonic::Status>> + Send>>;

fn admin<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().expect("ascii"),
    );
    request
}

async fn timed<F, T>(call: F) -> Result<Duration, tonic::Status>
where
    F: Future<Output = Result<T, tonic::Status>>,
{
    let sent = Instant::now();
    call.await?;
    Ok(sent.elapsed())
}

fn sign_in(username: String) -> proto::AuthenticatePacerRequest {
    proto::AuthenticatePacerRequest {
        court_id: COURT.into(),
        username,
        password: PASSWORD.into(),
        ..Default::default()
    }
}

/// A page of 100, no filter: each audit call sets what it needs.
fn audit_page() -> proto::ListAuditEventsRequest {
    proto::ListAuditEventsRequest {
        page_size: 100,
        ..Default::default()
    }
}

/// Steps 2 and 3 on a fresh unlinked pair: the flow token, and how long
/// VerifyEcf took.
async fn verified(
    mut link: AccountLinkServiceClient<Channel>,
    i: usize,
) -> Result<(String, Duration), tonic::Status> {
    let token = link
        .authenticate_pacer(sign_in(SCALE.pacer(i)))
        .await?
        .into_inner()
        .flow_token;
    let verify = proto::VerifyEcfRequest {
        flow_token: token.clone(),
        ecf_login: SCALE.ecf(i),
        ecf_password: PASSWORD.into(),
    };
    let took = timed(link.verify_ecf(verify)).await?;
    Ok((token, took))
}

impl Side {
    pub fn new(label: String, channels: Vec<Channel>, population: usize) -> Self {
        Self {
            label,
            channels,
            population,
            audit_mid_token: String::new(),
            window: Default::default(),
            window_token: String::new(),
            ecf_mid_token: String::new(),
            flows_used: AtomicUsize::new(0),
            cold_used: AtomicUsize::new(0),
        }
    }

    /// Finds the deep pages' tokens the way a client would reach them, and
    /// asks the warm accounts once.
    pub async fn prepare(&mut self, audit_mid_id: i64) -> anyhow::Result<()> {
        self.audit_mid_token = audit_mid_id.to_string();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs() as i64;
        let day = 24 * 3600;
        let start = prost_types::Timestamp {
            seconds: now - 200 * day,
            nanos: 0,
        };
        let end = prost_types::Timestamp {
            seconds: now - 199 * day,
            nanos: 0,
        };
        self.window = (start, end);
        let mut admin_client = AccountAdminServiceClient::new(self.channels[0].clone());
        let first = admin_client
            .list_audit_events(admin(proto::ListAuditEventsRequest {
                start_time: Some(self.window.0),
                end_time: Some(self.window.1),
                page_size: 100,
                ..Default::default()
            }))
            .await?
            .into_inner();
        self.window_token = first.next_page_token;
        anyhow::ensure!(
            !self.window_token.is_empty(),
            "the window has one page only"
        );
        // Half way down the listing, a thousand at a time.
        let mut token = String::new();
        for _ in 0..(self.population / 2 / 1000).max(1) {
            token = admin_client
                .list_ecf_accounts(admin(proto::ListEcfAccountsRequest {
                    court_id: COURT.into(),
                    page_size: 1000,
                    page_token: token,
                    ..Default::default()
                }))
                .await?
                .into_inner()
                .next_page_token;
        }
        self.ecf_mid_token = token;
        let mut status = LinkStatusServiceClient::new(self.channels[0].clone());
        let requests = (0..WARM)
            .map(|i| proto::GetLinkStatusRequest {
                court_id: COURT.into(),
                subject: Some(Subject::EcfLogin(SCALE.ecf(i))),
            })
            .collect();
        status
            .batch_get_link_status(proto::BatchGetLinkStatusRequest { requests })
            .await?;
        Ok(())
    }

    /// One call of `call`, timed; `worker` picks the connection.
    fn call(self: &Arc<Self>, call: Call, worker: usize) -> Timed {
        let side = self.clone();
        let channel = self.channels[worker % self.channels.len()].clone();
        // Drawn here: the thread's generator stays on its thread.
        let mut rng = rand::rng();
        let (n, linked) = (self.population, self.population / 2);
        // A linked PACER account cannot start a flow: sign-ins pick unlinked ones.
        let pick_unlinked = rng.random_range(linked..n);
        let pick_linked = rng.random_range(0..linked);
        let pick_warm = rng.random_range(0..WARM);
        let batch: Vec<usize> = match call {
            Call::BatchStatus => (0..1000).map(|_| rng.random_range(0..n)).collect(),
            _ => Vec::new(),
        };
        let audit = self.audit_request(call, &mut rng);
        Box::pin(async move {
            let mut link = AccountLinkServiceClient::new(channel.clone());
            let mut status = LinkStatusServiceClient::new(channel.clone());
            let mut admin_client = AccountAdminServiceClient::new(channel.clone());
            let status_of = |i: usize| proto::GetLinkStatusRequest {
                court_id: COURT.into(),
                subject: Some(Subject::EcfLogin(SCALE.ecf(i))),
            };
            match call {
                Call::AuthenticatePacer => {
                    timed(link.authenticate_pacer(sign_in(SCALE.pacer(pick_unlinked)))).await
                }
                Call::VerifyEcf | Call::ConfirmLink => {
                    let used = side.flows_used.fetch_add(1, Ordering::Relaxed);
                    if used >= n - linked {
                        return Err(tonic::Status::resource_exhausted("out of unlinked pairs"));
                    }
                    let (token, verify) = verified(link.clone(), n - 1 - used).await?;
                    if matches!(call, Call::VerifyEcf) {
                        return Ok(verify);
                    }
                    link.preview_link(proto::PreviewLinkRequest {
                        flow_token: token.clone(),
                    })
                    .await?;
                    timed(link.confirm_link(proto::ConfirmLinkRequest { flow_token: token })).await
                }
                Call::AuthenticateFiler => {
                    let mut filer = FilerAuthServiceClient::new(channel);
                    timed(filer.authenticate_filer(proto::AuthenticateFilerRequest {
                        court_id: COURT.into(),
                        username: SCALE.pacer(pick_linked),
                        password: PASSWORD.into(),
                        ..Default::default()
                    }))
                    .await
                }
                Call::StatusWarm => timed(status.get_link_status(status_of(pick_warm))).await,
                Call::StatusCold => {
                    let i = WARM + side.cold_used.fetch_add(1, Ordering::Relaxed);
                    if i >= linked {
                        return Err(tonic::Status::resource_exhausted("out of unasked accounts"));
                    }
                    timed(status.get_link_status(status_of(i))).await
                }
                Call::BatchStatus => {
                    let requests = batch.into_iter().map(status_of).collect();
                    timed(
                        status.batch_get_link_status(proto::BatchGetLinkStatusRequest { requests }),
                    )
                    .await
                }
                Call::Coverage => {
                    timed(
                        admin_client.get_link_coverage(admin(proto::GetLinkCoverageRequest {
                            court_id: COURT.into(),
                        })),
                    )
                    .await
                }
                Call::EcfFirst | Call::EcfDeep => {
                    let page_token = match call {
                        Call::EcfDeep => side.ecf_mid_token.clone(),
                        _ => String::new(),
                    };
                    timed(
                        admin_client.list_ecf_accounts(admin(proto::ListEcfAccountsRequest {
                            court_id: COURT.into(),
                            page_size: 100,
                            page_token,
                            ..Default::default()
                        })),
                    )
                    .await
                }
                _ => timed(admin_client.list_audit_events(admin(audit))).await,
            }
        })
    }

    fn audit_request(&self, call: Call, rng: &mut impl Rng) -> proto::ListAuditEventsRequest {
        let base = audit_page();
        match call {
            Call::AuditDeep => proto::ListAuditEventsRequest {
                page_token: self.audit_mid_token.clone(),
                ..base
            },
            Call::AuditCourt => proto::ListAuditEventsRequest {
                court_id: COURT.into(),
                ..base
            },
            Call::AuditSubject => proto::ListAuditEventsRequest {
                subject: SCALE.pacer(rng.random_range(0..self.population)),
                ..base
            },
            Call::AuditOperator => proto::ListAuditEventsRequest {
                operator: "admin".into(),
                ..base
            },
            Call::AuditCallerDeep => proto::ListAuditEventsRequest {
                caller_identity: "anonymous".into(),
                page_token: self.audit_mid_token.clone(),
                ..base
            },
            Call::AuditWindow | Call::AuditWindowDeep => proto::ListAuditEventsRequest {
                start_time: Some(self.window.0),
                end_time: Some(self.window.1),
                page_token: match call {
                    Call::AuditWindowDeep => self.window_token.clone(),
                    _ => String::new(),
                },
                ..base
            },
            _ => base,
        }
    }
}

/// `concurrency` workers calling back to back for `duration`, or until
/// `max_calls` calls have been made; each records only the part it timed.
async fn timed_loop(
    side: &Arc<Side>,
    call: Call,
    concurrency: usize,
    duration: Duration,
    max_calls: Option<usize>,
) -> Run {
    let started = Instant::now();
    let deadline = started + duration;
    let made = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency.max(1) {
        let (side, made) = (side.clone(), made.clone());
        workers.spawn(async move {
            let mut recorder = Recorder::default();
            while Instant::now() < deadline
                && max_calls.is_none_or(|max| made.fetch_add(1, Ordering::Relaxed) < max)
            {
                match side.call(call, worker).await {
                    Ok(took) => recorder.record("OK", took),
                    Err(status) => recorder.record(code_name(status.code()), Duration::ZERO),
                }
            }
            recorder
        });
    }
    let mut recorder = Recorder::default();
    while let Some(worker) = workers.join_next().await {
        recorder.merge(worker.expect("a scale worker panicked"));
    }
    Run {
        recorder,
        elapsed: started.elapsed(),
        ..Run::default()
    }
}

/// Every call on both sides, `rounds` alternating slices each; a row per
/// side and call, the large side's with its p50 and p99 over the small's.
pub async fn scale(
    small: &Arc<Side>,
    large: &Arc<Side>,
    hashing: usize,
    concurrency: usize,
    slice: Duration,
    rounds: usize,
) -> Vec<Summary> {
    let mut rows = Vec::new();
    for call in Call::ALL {
        let c = if call.hashes() { hashing } else { concurrency };
        let max = matches!(call, Call::StatusCold).then_some(COLD_PER_SLICE);
        let (mut a, mut b) = (Run::default(), Run::default());
        eprintln!("scale: {}", call.name());
        for _ in 0..rounds.max(1) {
            a.merge(timed_loop(small, call, c, slice, max).await);
            b.merge(timed_loop(large, call, c, slice, max).await);
        }
        let load = |side: &Side| format!("{} {c} in flight", side.label);
        let a = Summary::from_run(call.name(), load(small), a.recorder, a.elapsed);
        let mut b = Summary::from_run(call.name(), load(large), b.recorder, b.elapsed);
        if let (Some(x), Some(y)) = (a.latency, b.latency) {
            b.note("p50_ratio", json!(round(y.p50 / x.p50)));
            b.note("p99_ratio", json!(round(y.p99 / x.p99)));
        }
        rows.push(a);
        rows.push(b);
    }
    rows
}
