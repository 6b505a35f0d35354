//! Starting a `pacer-link serve` process for a test, and talking to it.
use std::{
    net::TcpListener,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// `pacer-link serve --demo` on a free loopback port over a SQLite file in
/// `dir`, and the address it will listen on; the caller adds its settings
/// and spawns it.
pub fn serve_command(dir: &Path) -> (Command, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_pacer-link"));
    command
        .args(["serve", "--demo"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("db").display()),
        )
        .env("PACER_LINK_LISTEN", &addr)
        // Tests run side by side: the demo's web pages take any free port.
        .env("PACER_LINK_WEB_LISTEN", "127.0.0.1:0");
    (command, addr)
}

/// A channel to the server at `addr`, once its health service answers
/// (within a minute, or the test fails).
pub async fn connect(addr: &str) -> Channel {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(channel) = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
        {
            let mut health = HealthClient::new(channel.clone());
            if health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .is_ok()
            {
                return channel;
            }
        }
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
