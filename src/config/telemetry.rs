//! Metrics. Logs and traces are configured by `--log-format` and the
//! standard `RUST_LOG` / `OTEL_*` variables (see `crate::telemetry`).
use std::net::SocketAddr;

use clap::Args;

/// Where the Prometheus endpoint listens.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Telemetry")]
pub struct TelemetryArgs {
    /// Address of the Prometheus metrics endpoint (`/metrics`); off when unset.
    #[arg(long, env = "PACER_LINK_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_off_by_default() {
        let args: TelemetryArgs = super::super::parse_defaults();

        assert_eq!(args.metrics_listen, None);
    }

    #[test]
    fn a_metrics_address_that_is_not_one_is_refused_naming_the_flag() {
        let command = TelemetryArgs::augment_args(clap::Command::new("serve"));

        let refused = command.try_get_matches_from(["serve", "--metrics-listen", "nowhere"]);

        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("--metrics-listen")
        );
    }
}
