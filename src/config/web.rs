//! `pacer-link web`: the reference front-end's options.
use std::net::SocketAddr;

use clap::Args;

use super::in_range;
use crate::domain::CourtId;
use crate::web::{ClientAddress, ProxyRange, WebSettings};

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
    /// With --behind-tls-proxy: the peers whose X-Forwarded-For is believed
    /// (addresses or ranges, comma-separated, e.g. a sidecar on loopback or
    /// the ingress controllers' pod range). Any other peer is the filer.
    #[arg(
        long,
        env = "PACER_LINK_WEB_TRUSTED_PROXIES",
        value_delimiter = ',',
        default_value = "127.0.0.1,::1"
    )]
    pub trusted_proxies: Vec<String>,
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
                let proxies = self
                    .trusted_proxies
                    .iter()
                    .map(|raw| ProxyRange::parse(raw))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|why| format!("PACER_LINK_WEB_TRUSTED_PROXIES: {why}"))?;
                ClientAddress::ForwardedBy(proxies.into())
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
            trusted_proxies: vec!["127.0.0.1".into(), "10.0.0.0/8".into()],
            max_sessions: 10,
        }
    }

    #[test]
    fn a_public_address_needs_a_tls_proxy_in_front() {
        assert!(args("0.0.0.0:8080", false).settings().is_err());
        let settings = args("0.0.0.0:8080", true).settings().unwrap();
        let ClientAddress::ForwardedBy(proxies) = &settings.client_address else {
            panic!("{:?}", settings.client_address);
        };
        assert_eq!(proxies.len(), 2);
        assert_eq!(settings.court_id, "cod");
        assert_eq!(
            args("127.0.0.1:8080", false)
                .settings()
                .unwrap()
                .client_address,
            ClientAddress::Peer
        );
    }

    #[test]
    fn a_malformed_proxy_range_is_refused() {
        let mut bad = args("0.0.0.0:8080", true);
        bad.trusted_proxies = vec!["10.0.0.0/40".into()];
        assert!(bad.settings().is_err());
    }

    #[test]
    fn only_a_trusted_proxy_names_the_filer() {
        let settings = args("0.0.0.0:8080", true).settings().unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.5, 198.51.100.23".parse().unwrap(),
        );
        let from = |peer: &str| settings.client_address.of(peer.parse().unwrap(), &headers);

        assert_eq!(from("10.4.0.9:40000").to_string(), "198.51.100.23");
        assert_eq!(from("127.0.0.1:40000").to_string(), "198.51.100.23");
        assert_eq!(from("192.0.2.1:40000").to_string(), "192.0.2.1");
        assert_eq!(
            ClientAddress::Peer
                .of("10.4.0.9:1".parse().unwrap(), &headers)
                .to_string(),
            "10.4.0.9"
        );
    }
}
