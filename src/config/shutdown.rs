//! What happens after SIGTERM: serve on while reporting NOT_SERVING, then drain.
use std::time::Duration;

use clap::Args;

/// The longest drain: under Kubernetes' 30 s default grace period.
const MAX_DRAIN: Duration = Duration::from_secs(28);

/// How long the server keeps serving, then draining, after SIGTERM.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Shutdown")]
pub struct ShutdownArgs {
    /// After SIGTERM, how long to keep serving while health reports
    /// NOT_SERVING, so load balancers stop sending new calls first.
    #[arg(long, env = "PACER_LINK_SHUTDOWN_DELAY_MS", default_value_t = 0)]
    pub shutdown_delay_ms: u64,
    /// After that, how long in-flight calls may take to finish before the
    /// process exits anyway (at least 1; delay + grace at most 28 s, under
    /// the pod's grace period).
    #[arg(long, env = "PACER_LINK_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,
}

/// What happens after SIGTERM.
#[derive(Debug, Clone, Copy)]
pub struct ShutdownSettings {
    /// Serve on, reporting NOT_SERVING, for this long.
    pub delay: Duration,
    /// Then wait at most this long for in-flight calls.
    pub grace: Duration,
}

impl ShutdownArgs {
    /// The shutdown timing, exactly as given.
    pub fn settings(&self) -> Result<ShutdownSettings, String> {
        if self.shutdown_grace_secs == 0 {
            return Err("PACER_LINK_SHUTDOWN_GRACE_SECS must be at least 1 (got 0)".into());
        }
        let delay = Duration::from_millis(self.shutdown_delay_ms);
        let grace = Duration::from_secs(self.shutdown_grace_secs);
        let drain = delay.saturating_add(grace);
        if drain > MAX_DRAIN {
            return Err(format!(
                "PACER_LINK_SHUTDOWN_DELAY_MS + PACER_LINK_SHUTDOWN_GRACE_SECS must be at most \
                 28 seconds (under Kubernetes' 30 s default grace period; got {drain:?})"
            ));
        }
        Ok(ShutdownSettings { delay, grace })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ShutdownArgs {
        super::super::parse_defaults()
    }

    #[test]
    fn by_default_calls_get_twenty_seconds_to_finish_at_once() {
        let settings = args().settings().unwrap();

        assert_eq!(settings.delay, Duration::ZERO);
        assert_eq!(settings.grace, Duration::from_secs(20));
    }

    #[test]
    fn a_zero_grace_is_refused() {
        let refused = ShutdownArgs {
            shutdown_grace_secs: 0,
            ..args()
        }
        .settings();

        assert!(
            refused
                .unwrap_err()
                .contains("PACER_LINK_SHUTDOWN_GRACE_SECS")
        );
    }

    #[test]
    fn a_drain_of_exactly_28_seconds_is_accepted_as_given() {
        let settings = ShutdownArgs {
            shutdown_delay_ms: 8_000,
            shutdown_grace_secs: 20,
        }
        .settings()
        .unwrap();

        assert_eq!(settings.delay, Duration::from_secs(8));
    }

    #[test]
    fn a_drain_over_28_seconds_by_a_fraction_of_a_second_is_refused() {
        let refused = ShutdownArgs {
            shutdown_delay_ms: 8_500,
            shutdown_grace_secs: 20,
        }
        .settings();

        assert_eq!(
            refused.unwrap_err(),
            "PACER_LINK_SHUTDOWN_DELAY_MS + PACER_LINK_SHUTDOWN_GRACE_SECS must be at most \
             28 seconds (under Kubernetes' 30 s default grace period; got 28.5s)"
        );
    }

    #[test]
    fn an_enormous_grace_is_refused_without_overflowing() {
        let refused = ShutdownArgs {
            shutdown_delay_ms: u64::MAX,
            shutdown_grace_secs: u64::MAX,
        }
        .settings();

        assert!(refused.is_err());
    }
}
