//! The service itself: its address, flows, request size and status cache.
use std::{net::SocketAddr, time::Duration};

use clap::Args;

use super::in_range;

/// Where the service listens and what it accepts.
#[derive(Debug, Clone, Args)]
pub struct ServiceArgs {
    /// Address of the gRPC port.
    #[arg(long, env = "PACER_LINK_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Load the court's training data (court "cod", hhumbert, coattorneytwo); idempotent.
    #[arg(long, env = "PACER_LINK_DEMO")]
    pub demo: bool,
    /// With --demo, where to also serve the reference front-end's pages
    /// (ignored without --demo).
    #[arg(long, env = "PACER_LINK_WEB_LISTEN", default_value = "127.0.0.1:8080")]
    pub web_listen: SocketAddr,
    /// Do not apply migrations at start-up (when a separate job runs `migrate`).
    #[arg(long, env = "PACER_LINK_SKIP_MIGRATIONS")]
    pub skip_migrations: bool,
    /// How long a flow token stays valid, in seconds (1 to 3600).
    #[arg(long, env = "PACER_LINK_FLOW_TTL_SECS", default_value_t = 600)]
    pub flow_ttl_secs: u64,
    /// How long a cached GetLinkStatus answer may be kept, in seconds (at
    /// most 3600); the event stream invalidates entries within milliseconds,
    /// this bounds a replica that cannot read it. Long enough that a
    /// population asked every few minutes stays cached. 0 turns the cache off.
    #[arg(long, env = "PACER_LINK_STATUS_CACHE_SECS", default_value_t = 300)]
    pub status_cache_secs: u64,
    /// Largest request message accepted, in bytes (1024 to 4194304); larger
    /// ones are refused before they are decoded.
    #[arg(long, env = "PACER_LINK_MAX_REQUEST_BYTES", default_value_t = 64 * 1024)]
    pub max_request_bytes: usize,
}

impl ServiceArgs {
    /// How long a flow token stays valid.
    pub fn flow_ttl(&self) -> Result<Duration, String> {
        in_range("PACER_LINK_FLOW_TTL_SECS", self.flow_ttl_secs, 1..=3600).map(Duration::from_secs)
    }

    /// Where the demo serves the reference front-end's pages: none without
    /// `--demo`, and only on loopback, since they are plain HTTP password
    /// forms (`pacer-link web --behind-tls-proxy` serves them further).
    pub fn web_listen(&self) -> Result<Option<SocketAddr>, String> {
        match (self.demo, self.web_listen) {
            (false, _) => Ok(None),
            (true, addr) if addr.ip().is_loopback() => Ok(Some(addr)),
            (true, addr) => Err(format!(
                "PACER_LINK_WEB_LISTEN {addr} is not a loopback address: the demo serves its \
                 web pages over plain HTTP, so only on loopback (run `pacer-link web \
                 --behind-tls-proxy` behind a TLS proxy to serve them further)"
            )),
        }
    }

    /// Longest life of a cached link status; zero turns the cache off.
    pub fn status_cache_ttl(&self) -> Result<Duration, String> {
        in_range(
            "PACER_LINK_STATUS_CACHE_SECS",
            self.status_cache_secs,
            0..=3600,
        )
        .map(Duration::from_secs)
    }

    /// Largest request message accepted.
    pub fn max_request_bytes(&self) -> Result<usize, String> {
        in_range(
            "PACER_LINK_MAX_REQUEST_BYTES",
            self.max_request_bytes,
            1024..=4 << 20,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ServiceArgs {
        super::super::parse_defaults()
    }

    #[test]
    fn by_default_flows_last_ten_minutes_and_statuses_are_cached_five() {
        let args = args();

        assert_eq!(args.flow_ttl(), Ok(Duration::from_secs(600)));
        assert_eq!(args.status_cache_ttl(), Ok(Duration::from_secs(300)));
        assert_eq!(args.max_request_bytes(), Ok(65_536));
        assert!(!args.demo && !args.skip_migrations);
    }

    #[test]
    fn the_demo_alone_serves_web_pages_and_only_on_loopback() {
        let demo = |web_listen: &str| ServiceArgs {
            demo: true,
            web_listen: web_listen.parse().unwrap(),
            ..args()
        };

        assert_eq!(args().web_listen(), Ok(None));
        assert_eq!(
            demo("127.0.0.1:8080").web_listen(),
            Ok(Some("127.0.0.1:8080".parse().unwrap()))
        );
        assert!(demo("0.0.0.0:8080").web_listen().is_err());
    }

    #[test]
    fn a_zero_flow_lifetime_is_refused() {
        let refused = ServiceArgs {
            flow_ttl_secs: 0,
            ..args()
        }
        .flow_ttl();

        assert_eq!(
            refused,
            Err("PACER_LINK_FLOW_TTL_SECS must be between 1 and 3600 (got 0)".into())
        );
    }

    #[test]
    fn a_flow_lifetime_over_an_hour_is_refused() {
        let refused = ServiceArgs {
            flow_ttl_secs: 3601,
            ..args()
        }
        .flow_ttl();

        assert!(refused.unwrap_err().contains("PACER_LINK_FLOW_TTL_SECS"));
    }

    #[test]
    fn a_zero_cache_lifetime_turns_the_cache_off() {
        let ttl = ServiceArgs {
            status_cache_secs: 0,
            ..args()
        }
        .status_cache_ttl();

        assert_eq!(ttl, Ok(Duration::ZERO));
    }

    #[test]
    fn a_cache_lifetime_over_an_hour_is_refused() {
        let refused = ServiceArgs {
            status_cache_secs: 3601,
            ..args()
        }
        .status_cache_ttl();

        assert_eq!(
            refused,
            Err("PACER_LINK_STATUS_CACHE_SECS must be between 0 and 3600 (got 3601)".into())
        );
    }

    #[test]
    fn a_request_limit_under_1024_bytes_is_refused() {
        let refused = ServiceArgs {
            max_request_bytes: 1023,
            ..args()
        }
        .max_request_bytes();

        assert_eq!(
            refused,
            Err("PACER_LINK_MAX_REQUEST_BYTES must be between 1024 and 4194304 (got 1023)".into())
        );
    }

    #[test]
    fn a_request_limit_over_4_mib_is_refused() {
        let refused = ServiceArgs {
            max_request_bytes: (4 << 20) + 1,
            ..args()
        }
        .max_request_bytes();

        assert!(
            refused
                .unwrap_err()
                .contains("PACER_LINK_MAX_REQUEST_BYTES")
        );
    }

    #[test]
    fn the_request_limit_bounds_are_accepted_as_given() {
        for bytes in [1024, 4 << 20] {
            let limit = ServiceArgs {
                max_request_bytes: bytes,
                ..args()
            }
            .max_request_bytes();

            assert_eq!(limit, Ok(bytes));
        }
    }
}
