//! SIGTERM to the real `pacer-link serve` process, with a unary call and an
//! event stream in flight.
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use pacer_link::proto::{
    self, account_link_service_client::AccountLinkServiceClient,
    link_status_service_client::LinkStatusServiceClient,
};
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_types::StatusExt;

use crate::support::process::{connect, serve_command};

async fn health_of(channel: &Channel, service: &str) -> ServingStatus {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status()
}

#[tokio::test]
async fn sigterm_drains_unary_calls_ends_streams_and_exits_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let (mut command, addr) = serve_command(dir.path());
    let mut server = command
        // A slow hash keeps the sign-in in flight while the signal arrives.
        .env("PACER_LINK_ARGON2_T_COST", "60")
        .env("PACER_LINK_SHUTDOWN_DELAY_MS", "1500")
        .env("PACER_LINK_SHUTDOWN_GRACE_SECS", "5")
        .env_remove("PACER_LINK_ADMIN_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let channel = connect(&addr).await;
    let mut stream = LinkStatusServiceClient::new(channel.clone())
        .watch_link_events(proto::WatchLinkEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut link = AccountLinkServiceClient::new(channel.clone());
    let sign_in = tokio::spawn(async move {
        link.authenticate_pacer(proto::AuthenticatePacerRequest {
            court_id: "cod".into(),
            username: "hhumbert".into(),
            password: "Humbert-Train-2021!".into(),
            client_code: String::new(),
            otp_code: String::new(),
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;

    let signalled = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let readiness = health_of(&channel, "").await;
    let liveness = health_of(&channel, "liveness").await;
    let ended = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap();
    let signed_in = sign_in.await.unwrap();
    let exit = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap()
        .unwrap();
    let took = signalled.elapsed();

    assert_eq!(readiness, ServingStatus::NotServing);
    assert_eq!(liveness, ServingStatus::Serving);
    let status = ended.expect("the stream ends with a status").unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "SERVER_SHUTTING_DOWN"
    );
    assert!(signed_in.is_ok(), "{signed_in:?}");
    assert!(exit.success(), "{exit:?}");
    assert!(
        took < Duration::from_millis(1500 + 5000 + 1000),
        "took {took:?}"
    );
}

#[test]
fn invalid_configuration_fails_fast_naming_the_setting() {
    let output = Command::new(env!("CARGO_BIN_EXE_pacer-link"))
        .args(["serve"])
        .env("DATABASE_URL", "mysql://localhost/db")
        .output()
        .unwrap();

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL"));
}

#[test]
fn a_secret_may_come_from_a_file_but_not_from_both_places() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("admin-token");
    std::fs::write(&token, "short\n").unwrap();

    let from_file = Command::new(env!("CARGO_BIN_EXE_pacer-link"))
        .args(["serve"])
        .env("DATABASE_URL", "sqlite::memory:")
        .env("PACER_LINK_ADMIN_TOKEN_FILE", &token)
        .env_remove("PACER_LINK_ADMIN_TOKEN")
        .output()
        .unwrap();
    let both = Command::new(env!("CARGO_BIN_EXE_pacer-link"))
        .args(["serve"])
        .env("DATABASE_URL", "sqlite::memory:")
        .env("PACER_LINK_ADMIN_TOKEN_FILE", &token)
        .env("PACER_LINK_ADMIN_TOKEN", "another-token-of-enough-length")
        .output()
        .unwrap();

    // The file was read: its too-short token is refused by name.
    assert!(
        String::from_utf8_lossy(&from_file.stderr)
            .contains("PACER_LINK_ADMIN_TOKEN must be at least 16")
    );
    assert!(
        String::from_utf8_lossy(&both.stderr)
            .contains("PACER_LINK_ADMIN_TOKEN or PACER_LINK_ADMIN_TOKEN_FILE")
    );
}
