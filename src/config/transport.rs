//! Limits on connections and streams, so that no single client can hold the
//! server's memory or its event streams.
use std::time::Duration;

use clap::Args;

use super::in_range;

/// How many streams and calls a connection may hold, how idle connections
/// are found, and how many event streams may be open.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connections")]
pub struct TransportArgs {
    /// Concurrent HTTP/2 streams one connection may open (1 to 10000).
    #[arg(
        long,
        env = "PACER_LINK_MAX_STREAMS_PER_CONNECTION",
        default_value_t = 256
    )]
    pub max_streams_per_connection: u32,
    /// Calls one connection may have in flight; more wait (1 to 10000).
    #[arg(
        long,
        env = "PACER_LINK_MAX_CALLS_PER_CONNECTION",
        default_value_t = 256
    )]
    pub max_calls_per_connection: usize,
    /// Seconds between HTTP/2 keepalive pings on a quiet connection (1 to 3600).
    #[arg(long, env = "PACER_LINK_KEEPALIVE_INTERVAL_SECS", default_value_t = 30)]
    pub keepalive_interval_secs: u64,
    /// Seconds a keepalive ping may go unanswered before the connection is
    /// closed (1 to 600).
    #[arg(long, env = "PACER_LINK_KEEPALIVE_TIMEOUT_SECS", default_value_t = 10)]
    pub keepalive_timeout_secs: u64,
    /// Seconds after which a connection is asked to go away, so that load
    /// spreads over new replicas (60 to 86400).
    #[arg(
        long,
        env = "PACER_LINK_MAX_CONNECTION_AGE_SECS",
        default_value_t = 1800
    )]
    pub max_connection_age_secs: u64,
    /// Seconds an aged connection's calls may still finish (1 to 3600).
    #[arg(
        long,
        env = "PACER_LINK_MAX_CONNECTION_AGE_GRACE_SECS",
        default_value_t = 60
    )]
    pub max_connection_age_grace_secs: u64,
    /// Seconds a TLS handshake may take (1 to 60).
    #[arg(
        long,
        env = "PACER_LINK_TLS_HANDSHAKE_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub tls_handshake_timeout_secs: u64,
    /// WatchLinkEvents streams open at once, all callers together (1 to 100000).
    #[arg(long, env = "PACER_LINK_MAX_WATCH_STREAMS", default_value_t = 2000)]
    pub max_watch_streams: usize,
    /// WatchLinkEvents streams one caller identity may hold open (1 to 100000).
    #[arg(
        long,
        env = "PACER_LINK_MAX_WATCH_STREAMS_PER_CALLER",
        default_value_t = 200
    )]
    pub max_watch_streams_per_caller: usize,
}

/// The validated limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportSettings {
    /// Concurrent streams per connection.
    pub max_streams_per_connection: u32,
    /// Calls in flight per connection.
    pub max_calls_per_connection: usize,
    /// Keepalive ping interval.
    pub keepalive_interval: Duration,
    /// Keepalive ping timeout.
    pub keepalive_timeout: Duration,
    /// Connection age before GOAWAY.
    pub max_connection_age: Duration,
    /// Grace after GOAWAY.
    pub max_connection_age_grace: Duration,
    /// TLS handshake timeout.
    pub tls_handshake_timeout: Duration,
    /// Event streams, all callers.
    pub max_watch_streams: usize,
    /// Event streams per caller identity.
    pub max_watch_streams_per_caller: usize,
}

impl TransportArgs {
    /// The limits, or a message naming the first setting out of range.
    pub fn settings(&self) -> Result<TransportSettings, String> {
        let secs = |name, value, range| in_range(name, value, range).map(Duration::from_secs);
        Ok(TransportSettings {
            max_streams_per_connection: in_range(
                "PACER_LINK_MAX_STREAMS_PER_CONNECTION",
                self.max_streams_per_connection,
                1..=10_000,
            )?,
            max_calls_per_connection: in_range(
                "PACER_LINK_MAX_CALLS_PER_CONNECTION",
                self.max_calls_per_connection,
                1..=10_000,
            )?,
            keepalive_interval: secs(
                "PACER_LINK_KEEPALIVE_INTERVAL_SECS",
                self.keepalive_interval_secs,
                1..=3600,
            )?,
            keepalive_timeout: secs(
                "PACER_LINK_KEEPALIVE_TIMEOUT_SECS",
                self.keepalive_timeout_secs,
                1..=600,
            )?,
            max_connection_age: secs(
                "PACER_LINK_MAX_CONNECTION_AGE_SECS",
                self.max_connection_age_secs,
                60..=86_400,
            )?,
            max_connection_age_grace: secs(
                "PACER_LINK_MAX_CONNECTION_AGE_GRACE_SECS",
                self.max_connection_age_grace_secs,
                1..=3600,
            )?,
            tls_handshake_timeout: secs(
                "PACER_LINK_TLS_HANDSHAKE_TIMEOUT_SECS",
                self.tls_handshake_timeout_secs,
                1..=60,
            )?,
            max_watch_streams: in_range(
                "PACER_LINK_MAX_WATCH_STREAMS",
                self.max_watch_streams,
                1..=100_000,
            )?,
            max_watch_streams_per_caller: in_range(
                "PACER_LINK_MAX_WATCH_STREAMS_PER_CALLER",
                self.max_watch_streams_per_caller,
                1..=100_000,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> TransportArgs {
        super::super::parse_defaults()
    }

    #[test]
    fn the_defaults_are_bounded() {
        let settings = args().settings().unwrap();

        assert_eq!(settings.max_streams_per_connection, 256);
        assert_eq!(settings.max_watch_streams_per_caller, 200);
        assert_eq!(settings.max_connection_age, Duration::from_secs(1800));
    }

    #[test]
    fn out_of_range_limits_are_refused_naming_the_setting() {
        let zero = TransportArgs {
            max_watch_streams: 0,
            ..args()
        }
        .settings();
        let short = TransportArgs {
            max_connection_age_secs: 5,
            ..args()
        }
        .settings();

        assert_eq!(
            zero.unwrap_err(),
            "PACER_LINK_MAX_WATCH_STREAMS must be between 1 and 100000 (got 0)"
        );
        assert!(
            short
                .unwrap_err()
                .contains("PACER_LINK_MAX_CONNECTION_AGE_SECS")
        );
    }
}
