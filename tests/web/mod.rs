//! The reference front-end (`pacer-link web`) in front of a real server:
//! over plain HTTP for what a browser cannot show (headers, refusals,
//! what reaches the service), and in headless Chromium for the filer's screens.
mod browser;
mod client;
mod http;
mod webdriver;

use std::net::SocketAddr;

use pacer_link::web::{ClientAddress, WebSettings};
use tokio::sync::oneshot;

/// A front-end serving on a free loopback port until dropped.
pub struct TestWeb {
    pub addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl TestWeb {
    /// The address of a page.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Starts a front-end for the demo court in front of `upstream`.
pub async fn spawn_web(upstream: &str, client_address: ClientAddress) -> TestWeb {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let settings = WebSettings {
        upstream: upstream.to_owned(),
        court_id: "cod".into(),
        client_address,
        max_sessions: 1000,
    };
    tokio::spawn(pacer_link::web::serve(listener, settings, async {
        let _ = stopped.await;
    }));
    TestWeb { addr, _stop: stop }
}

/// Whether `text` holds anything shaped like a flow token: a run of exactly
/// 43 base64url characters (the CSRF token and session id are 64 hex
/// characters, so they do not match).
pub fn has_token_shape(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .any(|run| run.len() == 43)
}
