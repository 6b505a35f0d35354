//! TLS and mTLS on the gRPC port, with certificates made by the openssl
//! command for each run.
use crate::support;

/// The backend of these tests' servers.
const BACKEND: pacer_link::store::Backend = pacer_link::store::Backend::Sqlite;

use std::{net::SocketAddr, path::Path, process::Command};

use pacer_link::{config::TlsSettings, startup::Application};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use support::{app::test_settings, database::TestDatabase};

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run openssl");
    assert!(status.success(), "openssl {args:?}");
}

/// A CA `name` and a certificate it signs for `localhost`, for `usage`
/// (serverAuth or clientAuth); files `<name>.pem`, `<leaf>.pem`, `<leaf>.key`.
fn issue(dir: &Path, ca: &str, leaf: &str, usage: &str) {
    issue_for(dir, ca, leaf, usage, "DNS:localhost");
}

/// As [`issue`], with the certificate naming `san` (e.g. `URI:spiffe://...`).
pub fn issue_for(dir: &Path, ca: &str, leaf: &str, usage: &str, san: &str) {
    if !dir.join(format!("{ca}.pem")).exists() {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.pem"),
                "-days",
                "2",
                "-subj",
                &format!("/CN={ca}"),
            ],
        );
    }
    std::fs::write(
        dir.join(format!("{leaf}.ext")),
        format!(
            "subjectAltName={san}\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature\nextendedKeyUsage={usage}\n"
        ),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{leaf}.key"),
            "-out",
            &format!("{leaf}.csr"),
            "-subj",
            "/CN=localhost",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{leaf}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            &format!("{leaf}.pem"),
            "-days",
            "2",
            "-extfile",
            &format!("{leaf}.ext"),
        ],
    );
}

/// The bytes of `file` in `dir`.
pub fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap()
}

async fn serve(dir: &Path, client_ca: Option<&str>) -> SocketAddr {
    let db = TestDatabase::fresh(BACKEND).await;
    let mut settings = test_settings(db.url.clone());
    settings.tls = Some(TlsSettings {
        cert_pem: read(dir, "server.pem"),
        key_pem: read(dir, "server.key"),
        client_ca_pem: client_ca.map(|ca| read(dir, ca)),
    });
    let app = Application::build(settings).await.unwrap();
    let addr = app.local_addr();
    tokio::spawn(async move {
        let _db = db;
        app.run_until(std::future::pending()).await
    });
    addr
}

async fn health(addr: SocketAddr, tls: Option<ClientTlsConfig>) -> Result<(), String> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint =
        Channel::from_shared(format!("{scheme}://localhost:{}", addr.port())).unwrap();
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls).map_err(|e| e.to_string())?;
    }
    let channel = endpoint.connect().await.map_err(|e| e.to_string())?;
    HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A client configuration trusting the test CA `ca.pem` for `localhost`.
pub fn trusting(dir: &Path) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read(dir, "ca.pem")))
        .domain_name("localhost")
}

#[tokio::test]
async fn with_a_certificate_the_port_speaks_tls_only() {
    let dir = tempfile::tempdir().unwrap();
    issue(dir.path(), "ca", "server", "serverAuth");
    let addr = serve(dir.path(), None).await;

    let over_tls = health(addr, Some(trusting(dir.path()))).await;
    let plaintext = health(addr, None).await;

    assert!(over_tls.is_ok(), "{over_tls:?}");
    assert!(plaintext.is_err());
}

#[tokio::test]
async fn with_a_client_ca_only_clients_it_signed_get_in() {
    let dir = tempfile::tempdir().unwrap();
    issue(dir.path(), "ca", "server", "serverAuth");
    issue(dir.path(), "ca", "client", "clientAuth");
    issue(dir.path(), "rogue-ca", "rogue-client", "clientAuth");
    let addr = serve(dir.path(), Some("ca.pem")).await;

    let signed = health(
        addr,
        Some(trusting(dir.path()).identity(Identity::from_pem(
            read(dir.path(), "client.pem"),
            read(dir.path(), "client.key"),
        ))),
    )
    .await;
    let anonymous = health(addr, Some(trusting(dir.path()))).await;
    let rogue = health(
        addr,
        Some(trusting(dir.path()).identity(Identity::from_pem(
            read(dir.path(), "rogue-client.pem"),
            read(dir.path(), "rogue-client.key"),
        ))),
    )
    .await;

    assert!(signed.is_ok(), "{signed:?}");
    assert!(anonymous.is_err());
    assert!(rogue.is_err());
}

#[tokio::test]
async fn callers_over_tls_are_still_known_by_address() {
    use pacer_link::proto::{self, account_link_service_client::AccountLinkServiceClient};
    let dir = tempfile::tempdir().unwrap();
    issue(dir.path(), "ca", "server", "serverAuth");
    let addr = serve(dir.path(), None).await;
    let channel = Channel::from_shared(format!("https://localhost:{}", addr.port()))
        .unwrap()
        .tls_config(trusting(dir.path()))
        .unwrap()
        .connect()
        .await
        .unwrap();

    let _ = AccountLinkServiceClient::new(channel.clone())
        .authenticate_pacer(proto::AuthenticatePacerRequest {
            court_id: "cod".into(),
            username: "over-tls".into(),
            password: "Some-Password-1".into(),
            ..Default::default()
        })
        .await;
    let trail = proto::account_admin_service_client::AccountAdminServiceClient::new(channel)
        .list_audit_events(support::admin_request(proto::ListAuditEventsRequest {
            subject: "over-tls".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(trail.events.len(), 1);
    assert_eq!(trail.events[0].caller, "127.0.0.1");
}
