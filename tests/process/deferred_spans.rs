//! The hot status reads of a real `pacer-link serve` process with its
//! defaults (no trace export, logs at `info`) make their server span only
//! when a call needs it: a refused read's audit row still names a trace,
//! the caller's when it sent one.
use std::process::Stdio;

use pacer_link::proto::{
    self, account_admin_service_client::AccountAdminServiceClient,
    link_status_service_client::LinkStatusServiceClient,
};
use tonic::{Code, Request};

use crate::support::demo;
use crate::support::process::{connect, serve_command};

const ADMIN_TOKEN: &str = "deferred-spans-admin-token-0000";
const STATUS_READER: &str = "spiffe://court.example/ns/docketing/sa/docketing";
const OPERATOR: &str = "spiffe://court.example/ns/ops/sa/audit-reader";
const STRANGER: &str = "spiffe://court.example/ns/elsewhere/sa/stranger";
/// A second unlisted caller: refusals of one source that reach the audit
/// backlog in the same batch become one row, so the two refused reads come
/// from different callers to stay two rows however the writer is scheduled.
const OTHER_STRANGER: &str = "spiffe://court.example/ns/elsewhere/sa/other-stranger";
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

const POLICY: &str = r#"
[[caller]]
id = "spiffe://court.example/ns/docketing/sa/docketing"
allow = ["court.identity.v1.LinkStatusService/GetLinkStatus"]
[[caller]]
id = "spiffe://court.example/ns/ops/sa/audit-reader"
allow = ["court.identity.v1.AccountAdminService/*"]
"#;

/// A request as a sidecar passes it on for the client that presented `uri`.
fn from<T>(message: T, uri: &str) -> Request<T> {
    let mut request = Request::new(message);
    let xfcc = format!("By=spiffe://court.example/ns/identity/sa/pacer-link;URI={uri}");
    request
        .metadata_mut()
        .insert("x-forwarded-client-cert", xfcc.parse().unwrap());
    request
}

fn status_read() -> proto::GetLinkStatusRequest {
    proto::GetLinkStatusRequest {
        court_id: demo::COURT_ID.into(),
        subject: Some(proto::get_link_status_request::Subject::EcfLogin(
            demo::ECF_LOGIN.into(),
        )),
    }
}

#[tokio::test]
async fn a_refused_status_read_names_the_callers_trace_or_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("callers.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let (mut command, addr) = serve_command(dir.path());
    let mut server = command
        .env("PACER_LINK_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("PACER_LINK_CALLER_POLICY_FILE", &policy)
        .env("PACER_LINK_TRUST_XFCC", "true")
        .env_remove("RUST_LOG")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let channel = connect(&addr).await;
    let mut status = LinkStatusServiceClient::new(channel.clone());

    let granted = status
        .get_link_status(from(status_read(), STATUS_READER))
        .await;
    let mut traced = from(status_read(), STRANGER);
    let traceparent = format!("00-{CALLER_TRACE}-00f067aa0ba902b7-01");
    traced
        .metadata_mut()
        .insert("traceparent", traceparent.parse().unwrap());
    let refused_in_trace = status.get_link_status(traced).await;
    let refused_alone = status
        .get_link_status(from(status_read(), OTHER_STRANGER))
        .await;
    let mut listing = from(
        proto::ListAuditEventsRequest {
            page_size: 1000,
            ..Default::default()
        },
        OPERATOR,
    );
    listing.metadata_mut().insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    let trail = AccountAdminServiceClient::new(channel)
        .list_audit_events(listing)
        .await;
    let _ = server.kill();
    let _ = server.wait();

    assert!(granted.is_ok(), "{granted:?}");
    for refused in [&refused_in_trace, &refused_alone] {
        let code = refused.as_ref().map_err(tonic::Status::code).err();
        assert_eq!(code, Some(Code::PermissionDenied), "{refused:?}");
    }
    let trail = trail.unwrap().into_inner();
    let reads: Vec<_> = trail
        .events
        .iter()
        .filter(|e| e.rpc == "GetLinkStatus")
        .map(|e| e.trace_id.as_str())
        .collect();
    assert_eq!(reads.len(), 2, "only the refused reads: {reads:?}");
    assert!(reads.contains(&CALLER_TRACE), "{reads:?}");
    let own = reads.iter().find(|t| **t != CALLER_TRACE).unwrap();
    assert!(
        own.len() == 32 && own.bytes().all(|b| b.is_ascii_hexdigit()) && *own != "0".repeat(32),
        "{reads:?}"
    );
}
