//! `pacer-link web`: the reference front-end's options.
use std::net::SocketAddr;

use clap::Args;

use super::in_range;
use crate::domain::CourtId;
use crate::web::{ClientAddress, WebSettings};

/// Where the front-end listens, which service and court it fronts.
#[derive(Debug, Clone, Args)]
pub struct WebArgs {
    /// Address to serve the pages on.
    #[arg(long, env = "PACER_LINK_WEB_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The service's gRPC address: http:// for a loopback mesh sidecar,
    /// https:// verified against the system's roots.
    #[arg(
        long,
        env = "PACER_LINK_WEB_UPSTREAM",
        default_value = "http://127.0.0.1:50051"
    )]
    pub upstream: String,
    /// The court whose CM/ECF this front-end is, by its id in the service (e.g. "cod").
    #[arg(long, env = "PACER_LINK_WEB_COURT")]
    pub court: String,
    /// Served behind a proxy that terminates TLS and appends the browser's
    /// address to X-Forwarded-For. Required to listen on a non-loopback
    /// address: the session cookie is Secure, which browsers honour over
    /// plain HTTP only on loopback.
    #[arg(long, env = "PACER_LINK_WEB_BEHIND_TLS_PROXY")]
    pub behind_tls_proxy: bool,
    /// Most filers' sessions held at once (1 to 10000000); past it new
    /// visitors are told to try again rather than evicting a flow.
    #[arg(long, env = "PACER_LINK_WEB_MAX_SESSIONS", default_value_t = 100_000)]
    pub max_sessions: usize,
}

impl WebArgs {
    /// Validates the options.
    pub fn settings(&self) -> Result<WebSettings, String> {
        let court =
            CourtId::parse(&self.court).map_err(|why| format!("PACER_LINK_WEB_COURT {why}"))?;
        if !self.listen.ip().is_loopback() && !self.behind_tls_proxy {
            return Err(format!(
                "PACER_LINK_WEB_LISTEN {} is not a loopback address: browsers keep the Secure \
                 session cookie only over TLS, so serve behind a TLS-terminating proxy and set \
                 PACER_LINK_WEB_BEHIND_TLS_PROXY=true",
                self.listen
            ));
        }
        if !(self.upstream.starts_with("http://") || self.upstream.starts_with("https://")) {
            return Err(format!(
                "PACER_LINK_WEB_UPSTREAM must be an http:// or https:// URL (got {:?})",
                self.upstream
            ));
        }
        Ok(WebSettings {
            upstream: self.upstream.clone(),
            court_id: court.as_str().to_owned(),
            client_address: if self.behind_tls_proxy {
                ClientAddress::ForwardedByProxy
            } else {
                ClientAddress::Peer
            },
            max_sessions: in_range(
                "PACER_LINK_WEB_MAX_SESSIONS",
                self.max_sessions,
                1..=10_000_000,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(listen: &str, behind_tls_proxy: bool) -> WebArgs {
        WebArgs {
            listen: listen.parse().unwrap(),
            upstream: "http://127.0.0.1:50051".into(),
            court: "COD".into(),
            behind_tls_proxy,
            max_sessions: 10,
        }
    }

    #[test]
    fn a_public_address_needs_a_tls_proxy_in_front() {
        assert!(args("0.0.0.0:8080", false).settings().is_err());
        let settings = args("0.0.0.0:8080", true).settings().unwrap();
        assert_eq!(settings.client_address, ClientAddress::ForwardedByProxy);
        assert_eq!(settings.court_id, "cod");
        assert_eq!(
            args("127.0.0.1:8080", false)
                .settings()
                .unwrap()
                .client_address,
            ClientAddress::Peer
        );
    }
}
