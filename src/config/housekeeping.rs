//! Housekeeping: how long audit rows are kept, and how often the server
//! purges (or never, when a CronJob runs `pacer-link housekeep`).
use std::time::Duration;

use clap::Args;

use super::{DatabaseArgs, LockoutArgs, in_range};
use crate::housekeeping::HousekeepingSettings;

const DAY_SECS: u64 = 24 * 3600;

/// Housekeeping options.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Housekeeping")]
pub struct HousekeepingArgs {
    /// Days audit rows are kept (1 to 36500).
    #[arg(long, env = "PACER_LINK_AUDIT_RETENTION_DAYS", default_value_t = 400)]
    pub audit_retention_days: u64,
    /// Seconds between the server's housekeeping runs (60 to 604800); 0 turns
    /// them off, for a CronJob running `pacer-link housekeep` instead.
    #[arg(
        long,
        env = "PACER_LINK_HOUSEKEEPING_INTERVAL_SECS",
        default_value_t = 3600
    )]
    pub housekeeping_interval_secs: u64,
}

impl HousekeepingArgs {
    /// The settings these options describe.
    pub fn settings(&self) -> Result<HousekeepingSettings, String> {
        let days = in_range(
            "PACER_LINK_AUDIT_RETENTION_DAYS",
            self.audit_retention_days,
            1..=36_500,
        )?;
        let interval = match self.housekeeping_interval_secs {
            0 => None,
            secs => Some(Duration::from_secs(in_range(
                "PACER_LINK_HOUSEKEEPING_INTERVAL_SECS",
                secs,
                60..=7 * DAY_SECS,
            )?)),
        };
        Ok(HousekeepingSettings {
            interval,
            audit_retention: Duration::from_secs(days * DAY_SECS),
        })
    }
}

/// `housekeep` options: the database, and what decides what is old.
#[derive(Debug, Clone, Args)]
pub struct HousekeepArgs {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Retention.
    #[command(flatten)]
    pub housekeeping: HousekeepingArgs,
    /// The lockout whose forgotten failures are purged.
    #[command(flatten)]
    pub lockout: LockoutArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(days: u64, interval: u64) -> HousekeepingArgs {
        HousekeepingArgs {
            audit_retention_days: days,
            housekeeping_interval_secs: interval,
        }
    }

    #[test]
    fn zero_turns_the_runs_off_and_bad_values_name_their_variable() {
        assert_eq!(args(400, 0).settings().unwrap().interval, None);
        assert_eq!(
            args(400, 3600).settings().unwrap().audit_retention,
            Duration::from_secs(400 * DAY_SECS)
        );
        let error = args(0, 3600).settings().unwrap_err();
        assert!(error.contains("PACER_LINK_AUDIT_RETENTION_DAYS"), "{error}");
        let error = args(400, 5).settings().unwrap_err();
        assert!(
            error.contains("PACER_LINK_HOUSEKEEPING_INTERVAL_SECS"),
            "{error}"
        );
    }
}
