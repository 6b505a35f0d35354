//! Caller identity and the caller policy over real mTLS: each client
//! certificate, made by the openssl command for each run, names its caller
//! in a SPIFFE URI SAN.
use std::{net::SocketAddr, path::Path, sync::Arc};

use pacer_link::{
    config::TlsSettings,
    identity::{CallerPolicy, CallerSettings},
    proto::{
        self, account_admin_service_client::AccountAdminServiceClient,
        account_link_service_client::AccountLinkServiceClient,
        link_status_service_client::LinkStatusServiceClient,
    },
    reason,
    startup::Application,
};
use tonic::{
    Code,
    transport::{Channel, Identity},
};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::support::{self, app::test_settings, assert_reason, database::TestDatabase, demo};
use crate::tls::{issue_for, read, trusting};

const FRONT_END: &str = "spiffe://court.example/ns/cmecf/sa/cmecf-web";
const STATUS_READER: &str = "spiffe://court.example/ns/docketing/sa/docketing";
const OPERATOR: &str = "spiffe://court.example/ns/ops/sa/audit-reader";
const STRANGER: &str = "spiffe://court.example/ns/elsewhere/sa/stranger";

const POLICY: &str = r#"
[[caller]]
id = "spiffe://court.example/ns/cmecf/sa/cmecf-web"
allow = ["court.identity.v1.AccountLinkService/*",
         "court.identity.v1.FilerAuthService/AuthenticateFiler"]
front_end = true
[[caller]]
id = "spiffe://court.example/ns/docketing/sa/docketing"
allow = ["court.identity.v1.LinkStatusService/GetLinkStatus",
         "court.identity.v1.LinkStatusService/BatchGetLinkStatus"]
[[caller]]
id = "spiffe://court.example/ns/ops/sa/audit-reader"
allow = ["court.identity.v1.AccountAdminService/*"]
"#;

/// The server, under [`POLICY`] and requiring client certificates, and a
/// client certificate for each caller, named after its role.
async fn serve(dir: &Path) -> SocketAddr {
    serve_with(dir, |_| {}).await
}

/// As [`serve`], with settings `adjust` may change.
async fn serve_with(
    dir: &Path,
    adjust: impl FnOnce(&mut pacer_link::config::Settings),
) -> SocketAddr {
    issue_for(dir, "ca", "server", "serverAuth", "DNS:localhost");
    for (leaf, id) in [
        ("front-end", FRONT_END),
        ("status-reader", STATUS_READER),
        ("operator", OPERATOR),
        ("stranger", STRANGER),
    ] {
        issue_for(dir, "ca", leaf, "clientAuth", &format!("URI:{id}"));
    }
    let db = TestDatabase::fresh(pacer_link::store::Backend::Sqlite).await;
    let mut settings = test_settings(db.url.clone());
    settings.tls = Some(TlsSettings {
        cert_pem: read(dir, "server.pem"),
        key_pem: read(dir, "server.key"),
        client_ca_pem: Some(read(dir, "ca.pem")),
    });
    settings.callers = CallerSettings {
        policy: Some(Arc::new(CallerPolicy::parse(POLICY).unwrap())),
        trust_xfcc: false,
    };
    adjust(&mut settings);
    let app = Application::build(settings).await.unwrap();
    let addr = app.local_addr();
    tokio::spawn(async move {
        let _db = db;
        app.run_until(std::future::pending()).await
    });
    addr
}

/// A channel presenting the certificate `leaf`.
async fn as_caller(dir: &Path, addr: SocketAddr, leaf: &str) -> Channel {
    let identity = Identity::from_pem(
        read(dir, &format!("{leaf}.pem")),
        read(dir, &format!("{leaf}.key")),
    );
    Channel::from_shared(format!("https://localhost:{}", addr.port()))
        .unwrap()
        .tls_config(trusting(dir).identity(identity))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

async fn authenticate_pacer(channel: Channel) -> Result<(), tonic::Status> {
    sign_in_from(
        channel,
        "198.51.100.10",
        demo::PACER_USERNAME,
        demo::PACER_PASSWORD,
    )
    .await
}

/// A PACER sign-in relayed for the filer at `filer` (an empty `filer`
/// sends no `end-user-address`).
async fn sign_in_from(
    channel: Channel,
    filer: &str,
    username: &str,
    password: &str,
) -> Result<(), tonic::Status> {
    let mut request = tonic::Request::new(proto::AuthenticatePacerRequest {
        court_id: demo::COURT_ID.into(),
        username: username.into(),
        password: password.into(),
        ..Default::default()
    });
    if !filer.is_empty() {
        request
            .metadata_mut()
            .insert("end-user-address", filer.parse().unwrap());
    }
    AccountLinkServiceClient::new(channel)
        .authenticate_pacer(request)
        .await
        .map(|_| ())
}

async fn get_link_status(channel: Channel) -> Result<(), tonic::Status> {
    LinkStatusServiceClient::new(channel)
        .get_link_status(proto::GetLinkStatusRequest {
            court_id: demo::COURT_ID.into(),
            subject: Some(proto::get_link_status_request::Subject::EcfLogin(
                demo::ECF_LOGIN.into(),
            )),
        })
        .await
        .map(|_| ())
}

/// The first page of the audit trail, read by the operator.
async fn audit_trail(dir: &Path, addr: SocketAddr) -> proto::ListAuditEventsResponse {
    AccountAdminServiceClient::new(as_caller(dir, addr, "operator").await)
        .list_audit_events(support::admin_request(
            proto::ListAuditEventsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner()
}

fn denied(result: Result<(), tonic::Status>) -> bool {
    matches!(result, Err(status) if status.code() == Code::PermissionDenied)
}

#[tokio::test]
async fn the_front_end_may_authenticate_pacer_users() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path()).await;

    let result = authenticate_pacer(as_caller(dir.path(), addr, "front-end").await).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn the_status_reader_is_refused_authenticate_pacer() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path()).await;

    let result = authenticate_pacer(as_caller(dir.path(), addr, "status-reader").await).await;

    let status = support::expect_err(result);
    assert_reason(&status, Code::PermissionDenied, reason::CALLER_NOT_ALLOWED);
}

#[tokio::test]
async fn the_status_reader_may_get_link_status_and_a_stranger_may_not() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path()).await;

    let reader = get_link_status(as_caller(dir.path(), addr, "status-reader").await).await;
    let stranger = get_link_status(as_caller(dir.path(), addr, "stranger").await).await;

    assert!(!denied(reader), "the status reader was refused");
    let status = support::expect_err(stranger);
    assert_reason(&status, Code::PermissionDenied, reason::CALLER_NOT_ALLOWED);
}

#[tokio::test]
async fn health_is_open_to_callers_the_policy_does_not_list() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path()).await;

    let health = HealthClient::new(as_caller(dir.path(), addr, "stranger").await)
        .check(HealthCheckRequest::default())
        .await;

    assert!(health.is_ok(), "{health:?}");
}

#[tokio::test]
async fn a_refused_call_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path()).await;
    let refused = authenticate_pacer(as_caller(dir.path(), addr, "status-reader").await).await;

    let trail = audit_trail(dir.path(), addr).await;

    assert!(denied(refused));
    assert!(
        trail.events.iter().any(|e| e.rpc == "AuthenticatePacer"
            && e.outcome == "PERMISSION_DENIED"
            && e.reason == reason::CALLER_NOT_ALLOWED),
        "{:?}",
        trail.events
    );
}

#[tokio::test]
async fn a_refused_status_read_is_audited_and_a_granted_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path()).await;
    let granted = get_link_status(as_caller(dir.path(), addr, "status-reader").await).await;
    let refused = get_link_status(as_caller(dir.path(), addr, "stranger").await).await;

    let trail = audit_trail(dir.path(), addr).await;

    assert!(granted.is_ok() && denied(refused));
    let reads: Vec<_> = trail
        .events
        .iter()
        .filter(|e| e.rpc == "GetLinkStatus")
        .collect();
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(reads[0].outcome, "PERMISSION_DENIED");
    assert_eq!(reads[0].reason, reason::CALLER_NOT_ALLOWED);
    assert_eq!(reads[0].caller_identity, STRANGER);
    assert!(!reads[0].caller.is_empty(), "{:?}", reads[0]);
}

#[tokio::test]
async fn failures_from_one_filer_behind_the_front_end_throttle_that_filer_only() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve_with(dir.path(), |s| {
        // One attempt back per minute: none comes back while the test runs,
        // however slow the hashes are.
        s.throttle = pacer_link::throttle::ThrottleSettings {
            per_minute: 1,
            burst: 20,
            max_sources: 1000,
        };
    })
    .await;
    let front_end = as_caller(dir.path(), addr, "front-end").await;

    let mut codes = Vec::new();
    for i in 0..40 {
        let guess = sign_in_from(
            front_end.clone(),
            "198.51.100.7",
            &format!("made-up-{i}"),
            "Wrong-Password-1",
        )
        .await;
        codes.push(support::expect_err(guess).code());
    }
    let another_filer = sign_in_from(
        front_end.clone(),
        "203.0.113.8",
        demo::PACER_USERNAME,
        demo::PACER_PASSWORD,
    )
    .await;
    let unnamed = sign_in_from(front_end, "", demo::PACER_USERNAME, demo::PACER_PASSWORD).await;

    assert!(
        codes[..20].iter().all(|c| *c == Code::Unauthenticated),
        "{codes:?}"
    );
    assert!(
        codes[20..].iter().all(|c| *c == Code::ResourceExhausted),
        "{codes:?}"
    );
    assert!(another_filer.is_ok(), "{another_filer:?}");
    assert_reason(
        &support::expect_err(unnamed),
        Code::InvalidArgument,
        reason::END_USER_ADDRESS_REQUIRED,
    );
    let trail = AccountAdminServiceClient::new(as_caller(dir.path(), addr, "operator").await)
        .list_audit_events(support::admin_request(proto::ListAuditEventsRequest {
            page_size: 1000,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let throttled: u32 = trail
        .events
        .iter()
        .filter(|e| e.reason == reason::TOO_MANY_ATTEMPTS)
        .inspect(|e| assert_eq!(e.end_user_address, "198.51.100.7"))
        .map(|e| e.repeat_count)
        .sum();
    assert_eq!(
        throttled, 20,
        "every throttled call is counted in the trail"
    );
}
