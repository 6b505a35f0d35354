//! Per-account lockout after failed sign-ins.
use std::time::Duration;

use clap::Args;

use super::{at_least_one, in_range};
use crate::store::LockoutPolicy;

/// Bounded so that time arithmetic on the lock lengths cannot overflow.
const ONE_YEAR_SECS: u64 = 365 * 24 * 3600;

/// When failed sign-ins lock an account, and for how long.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Account lockout")]
pub struct LockoutArgs {
    /// Consecutive failed sign-ins that lock an account (at least 1).
    #[arg(long, env = "PACER_LINK_LOCKOUT_THRESHOLD", default_value_t = 10)]
    pub lockout_threshold: u32,
    /// The first lock's length in seconds; each further lock doubles it
    /// (1 to the longest lock).
    #[arg(long, env = "PACER_LINK_LOCKOUT_BASE_SECS", default_value_t = 60)]
    pub lockout_base_secs: u64,
    /// The longest lock, in seconds (at most a year).
    #[arg(long, env = "PACER_LINK_LOCKOUT_MAX_SECS", default_value_t = 900)]
    pub lockout_max_secs: u64,
    /// Failures are forgotten after this many seconds without one (1 to a year).
    #[arg(long, env = "PACER_LINK_LOCKOUT_FORGET_SECS", default_value_t = 43_200)]
    pub lockout_forget_secs: u64,
    /// Most failed sign-ins counted per account per hour; beyond it the
    /// account is locked until the hour ends (at least 1).
    #[arg(long, env = "PACER_LINK_LOCKOUT_MAX_PER_HOUR", default_value_t = 100)]
    pub lockout_max_per_hour: u32,
}

impl LockoutArgs {
    /// The lockout policy these options describe.
    pub fn policy(&self) -> Result<LockoutPolicy, String> {
        let max_secs = in_range(
            "PACER_LINK_LOCKOUT_MAX_SECS",
            self.lockout_max_secs,
            1..=ONE_YEAR_SECS,
        )?;
        if !(1..=max_secs).contains(&self.lockout_base_secs) {
            return Err(format!(
                "PACER_LINK_LOCKOUT_BASE_SECS must be between 1 and PACER_LINK_LOCKOUT_MAX_SECS \
                 ({max_secs}) (got {})",
                self.lockout_base_secs
            ));
        }
        Ok(LockoutPolicy {
            threshold: at_least_one("PACER_LINK_LOCKOUT_THRESHOLD", self.lockout_threshold)?,
            base_lock: Duration::from_secs(self.lockout_base_secs),
            max_lock: Duration::from_secs(max_secs),
            forget_after: Duration::from_secs(in_range(
                "PACER_LINK_LOCKOUT_FORGET_SECS",
                self.lockout_forget_secs,
                1..=ONE_YEAR_SECS,
            )?),
            max_per_hour: at_least_one(
                "PACER_LINK_LOCKOUT_MAX_PER_HOUR",
                self.lockout_max_per_hour,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> LockoutArgs {
        super::super::parse_defaults()
    }

    fn refusal(args: LockoutArgs) -> String {
        args.policy().unwrap_err()
    }

    #[test]
    fn by_default_ten_failures_lock_for_a_minute_doubling_to_fifteen() {
        let policy = args().policy().unwrap();

        assert_eq!(policy.threshold, 10);
        assert_eq!(policy.base_lock, Duration::from_secs(60));
        assert_eq!(policy.max_lock, Duration::from_secs(900));
        assert_eq!(policy.forget_after, Duration::from_secs(12 * 3600));
        assert_eq!(policy.max_per_hour, 100);
    }

    #[test]
    fn a_zero_threshold_is_refused() {
        let message = refusal(LockoutArgs {
            lockout_threshold: 0,
            ..args()
        });

        assert!(
            message.contains("PACER_LINK_LOCKOUT_THRESHOLD"),
            "{message}"
        );
    }

    #[test]
    fn a_zero_hourly_cap_is_refused() {
        let message = refusal(LockoutArgs {
            lockout_max_per_hour: 0,
            ..args()
        });

        assert!(
            message.contains("PACER_LINK_LOCKOUT_MAX_PER_HOUR"),
            "{message}"
        );
    }

    #[test]
    fn a_first_lock_longer_than_the_longest_is_refused() {
        let message = refusal(LockoutArgs {
            lockout_base_secs: 901,
            ..args()
        });

        assert!(
            message.contains("PACER_LINK_LOCKOUT_BASE_SECS"),
            "{message}"
        );
    }

    #[test]
    fn a_zero_first_lock_is_refused() {
        let message = refusal(LockoutArgs {
            lockout_base_secs: 0,
            ..args()
        });

        assert!(
            message.contains("PACER_LINK_LOCKOUT_BASE_SECS"),
            "{message}"
        );
    }

    #[test]
    fn a_lock_longer_than_a_year_is_refused() {
        let message = refusal(LockoutArgs {
            lockout_max_secs: ONE_YEAR_SECS + 1,
            ..args()
        });

        assert!(message.contains("PACER_LINK_LOCKOUT_MAX_SECS"), "{message}");
    }

    #[test]
    fn forgetting_at_once_is_refused() {
        let message = refusal(LockoutArgs {
            lockout_forget_secs: 0,
            ..args()
        });

        assert!(
            message.contains("PACER_LINK_LOCKOUT_FORGET_SECS"),
            "{message}"
        );
    }

    #[test]
    fn remembering_for_more_than_a_year_is_refused() {
        let message = refusal(LockoutArgs {
            lockout_forget_secs: ONE_YEAR_SECS + 1,
            ..args()
        });

        assert!(
            message.contains("PACER_LINK_LOCKOUT_FORGET_SECS"),
            "{message}"
        );
    }
}
