//! Caller identity behind a mesh sidecar that terminates mTLS and passes the
//! verified client's SPIFFE ID on in Envoy's `x-forwarded-client-cert`.
use std::{net::SocketAddr, sync::Arc};

use pacer_link::{
    identity::{CallerPolicy, CallerSettings},
    proto::{
        self, account_link_service_client::AccountLinkServiceClient,
        link_status_service_client::LinkStatusServiceClient,
    },
    reason,
    startup::Application,
};
use tonic::{Code, transport::Channel};

use crate::support::{self, app::test_settings, assert_reason, database::TestDatabase, demo};

const FRONT_END: &str = "spiffe://court.example/ns/cmecf/sa/cmecf-web";
const STATUS_READER: &str = "spiffe://court.example/ns/docketing/sa/docketing";
/// The sidecar's own identity, which Envoy puts in `By=`.
const SELF: &str = "spiffe://court.example/ns/identity/sa/pacer-link";

const POLICY: &str = r#"
[[caller]]
id = "spiffe://court.example/ns/cmecf/sa/cmecf-web"
allow = ["court.identity.v1.AccountLinkService/*"]
front_end = true
[[caller]]
id = "spiffe://court.example/ns/docketing/sa/docketing"
allow = ["court.identity.v1.LinkStatusService/GetLinkStatus"]
"#;

/// The server in plain text, as behind a sidecar, under [`POLICY`].
async fn serve(trust_xfcc: bool) -> SocketAddr {
    let db = TestDatabase::fresh(pacer_link::store::Backend::Sqlite).await;
    let mut settings = test_settings(db.url.clone());
    settings.callers = CallerSettings {
        policy: Some(Arc::new(CallerPolicy::parse(POLICY).unwrap())),
        trust_xfcc,
    };
    let app = Application::build(settings).await.unwrap();
    let addr = app.local_addr();
    tokio::spawn(async move {
        let _db = db;
        app.run_until(std::future::pending()).await
    });
    addr
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// The header as Envoy writes it for a client that presented `uri`.
fn xfcc(uri: &str) -> String {
    format!("By={SELF};Hash=0a1b2c3d;Subject=\"\";URI={uri}")
}

fn with_xfcc<T>(message: T, header: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("x-forwarded-client-cert", header.parse().unwrap());
    request
        .metadata_mut()
        .insert("end-user-address", "198.51.100.20".parse().unwrap());
    request
}

async fn get_link_status(addr: SocketAddr, header: &str) -> Result<(), tonic::Status> {
    let message = proto::GetLinkStatusRequest {
        court_id: demo::COURT_ID.into(),
        subject: Some(proto::get_link_status_request::Subject::EcfLogin(
            demo::ECF_LOGIN.into(),
        )),
    };
    LinkStatusServiceClient::new(channel(addr).await)
        .get_link_status(with_xfcc(message, header))
        .await
        .map(|_| ())
}

async fn authenticate_pacer(addr: SocketAddr, header: &str) -> Result<(), tonic::Status> {
    let message = proto::AuthenticatePacerRequest {
        court_id: demo::COURT_ID.into(),
        username: demo::PACER_USERNAME.into(),
        password: demo::PACER_PASSWORD.into(),
        ..Default::default()
    };
    AccountLinkServiceClient::new(channel(addr).await)
        .authenticate_pacer(with_xfcc(message, header))
        .await
        .map(|_| ())
}

fn refused(result: Result<(), tonic::Status>) {
    let status = support::expect_err(result);
    assert_reason(&status, Code::PermissionDenied, reason::CALLER_NOT_ALLOWED);
}

#[tokio::test]
async fn the_sidecars_header_names_the_caller_when_trusted() {
    let addr = serve(true).await;

    let reader_status = get_link_status(addr, &xfcc(STATUS_READER)).await;
    let reader_sign_in = authenticate_pacer(addr, &xfcc(STATUS_READER)).await;
    let front_end_sign_in = authenticate_pacer(addr, &xfcc(FRONT_END)).await;

    assert!(reader_status.is_ok(), "{reader_status:?}");
    refused(reader_sign_in);
    assert!(front_end_sign_in.is_ok(), "{front_end_sign_in:?}");
}

#[tokio::test]
async fn only_the_element_the_sidecar_appended_counts() {
    let addr = serve(true).await;
    // A client sent its own header naming the front-end; the sidecar
    // appended the element for the certificate it verified.
    let forged = format!("URI={FRONT_END},{}", xfcc(STATUS_READER));

    let sign_in = authenticate_pacer(addr, &forged).await;

    refused(sign_in);
}

#[tokio::test]
async fn the_header_is_ignored_unless_trusted() {
    let addr = serve(false).await;

    let status = get_link_status(addr, &xfcc(STATUS_READER)).await;

    refused(status);
}
