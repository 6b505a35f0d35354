//! Help-desk calls: an account's sign-in security, and ending its lock.
use chrono::{DateTime, Utc};

use super::{AdminService, LinkError};
use crate::audit::sanitize;
use crate::domain::UnlinkReason;
use crate::store::{LockoutPolicy, PasswordOwner, SecurityRecord, SignInSubject};

/// End an account's sign-in lock.
#[derive(Debug)]
pub struct UnlockAccount {
    /// The account.
    pub account: PasswordOwner,
    /// Why, for the record.
    pub reason: UnlinkReason,
}

/// An account's sign-in security as of one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSecurity {
    /// When the current lock (or hourly cap) ends; `None` if it may sign in.
    pub locked_until: Option<DateTime<Utc>>,
    /// Failures since the last success or lock, unless forgotten.
    pub consecutive_failures: u32,
    /// Failures counted in the current hourly window.
    pub failures_last_hour: u32,
    /// The last successful sign-in.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last failed sign-in.
    pub last_failure_at: Option<DateTime<Utc>>,
    /// Whether a second factor guards it.
    pub mfa_enrolled: bool,
    /// Whether it is linked.
    pub linked: bool,
    /// When the lock of its one-time codes ends; `None` if codes are
    /// accepted now.
    pub mfa_locked_until: Option<DateTime<Utc>>,
}

impl AccountSecurity {
    /// What `record` means at `now`: a lock that has ended is no lock, and
    /// failures the policy has forgotten are not shown. Without a policy
    /// the stored values are shown as they are.
    pub fn at(record: SecurityRecord, now: DateTime<Utc>, policy: Option<&LockoutPolicy>) -> Self {
        let mut view = Self {
            locked_until: None,
            consecutive_failures: 0,
            failures_last_hour: 0,
            last_success_at: record.last_success_at,
            last_failure_at: record.last_failed_at,
            mfa_enrolled: record.mfa_enrolled,
            linked: record.linked,
            mfa_locked_until: record.mfa_locked_until.filter(|until| *until > now),
        };
        let Some(f) = record.failures else {
            return view;
        };
        let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        let hour_end = f.hour_start + chrono::Duration::hours(1);
        let hour_open = hour_end > now;
        let capped = policy.is_some_and(|p| f.hour_count >= i64::from(p.max_per_hour));
        let cap_end = (hour_open && capped).then_some(hour_end);
        view.locked_until = f.locked_until.filter(|until| *until > now).max(cap_end);
        let forget = policy.map(|p| chrono::Duration::from_std(p.forget_after));
        let forgotten = matches!(forget, Some(Ok(after)) if f.last_failure_at + after < now);
        view.consecutive_failures = if forgotten { 0 } else { count(f.consecutive) };
        view.failures_last_hour = if hour_open { count(f.hour_count) } else { 0 };
        view
    }
}

impl AdminService {
    /// The account's sign-in security now.
    pub async fn account_security(
        &self,
        account: &PasswordOwner,
    ) -> Result<AccountSecurity, LinkError> {
        if let PasswordOwner::Ecf(court, _) = account {
            self.store
                .court(court)
                .await?
                .ok_or(LinkError::UnknownCourt)?;
        }
        let record = self
            .store
            .security(account)
            .await?
            .ok_or(LinkError::AccountNotFound)?;
        Ok(AccountSecurity::at(
            record,
            self.clock.now(),
            self.lockout.as_ref(),
        ))
    }

    /// Ends the account's lock for `operator`, and for a PACER account the
    /// lock of its one-time codes too; true if either was locked.
    pub async fn unlock_account(
        &self,
        cmd: UnlockAccount,
        operator: &str,
    ) -> Result<bool, LinkError> {
        let before = self.account_security(&cmd.account).await?;
        let subject = SignInSubject::of(&cmd.account);
        if let PasswordOwner::Pacer(username) = &cmd.account {
            self.store
                .unlock(&SignInSubject::second_factor(username))
                .await?;
        }
        self.store.unlock(&subject).await?;
        let was_locked = before.locked_until.is_some() || before.mfa_locked_until.is_some();
        tracing::info!(
            operator = %sanitize(operator),
            kind = subject.kind,
            subject = %sanitize(&subject.subject),
            reason = %sanitize(cmd.reason.as_str()),
            was_locked,
            "account unlocked"
        );
        Ok(was_locked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::lockout::FailureRow;

    const POLICY: LockoutPolicy = LockoutPolicy {
        threshold: 5,
        base_lock: std::time::Duration::from_secs(60),
        max_lock: std::time::Duration::from_secs(900),
        forget_after: std::time::Duration::from_secs(3600),
        max_per_hour: 10,
    };

    fn record(failures: FailureRow) -> SecurityRecord {
        SecurityRecord {
            last_success_at: None,
            last_failed_at: Some(failures.last_failure_at),
            failures: Some(failures),
            mfa_enrolled: false,
            linked: true,
            mfa_locked_until: None,
        }
    }

    fn row(now: DateTime<Utc>, consecutive: i64, hour_count: i64) -> FailureRow {
        FailureRow {
            consecutive,
            last_failure_at: now,
            locked_until: None,
            lockouts: 0,
            hour_start: now,
            hour_count,
        }
    }

    #[test]
    fn an_ended_lock_is_no_lock() {
        let now = Utc::now();
        let mut failures = row(now, 5, 5);
        failures.locked_until = Some(now - chrono::Duration::seconds(1));

        let view = AccountSecurity::at(record(failures), now, Some(&POLICY));

        assert_eq!(view.locked_until, None);
        assert_eq!(view.consecutive_failures, 5);
    }

    #[test]
    fn the_hourly_cap_shows_as_a_lock_until_the_hour_ends() {
        let now = Utc::now();

        let view = AccountSecurity::at(record(row(now, 3, 10)), now, Some(&POLICY));

        assert_eq!(view.locked_until, Some(now + chrono::Duration::hours(1)));
        assert_eq!(view.failures_last_hour, 10);
    }

    #[test]
    fn forgotten_failures_and_a_past_hour_show_as_none() {
        let then = Utc::now();
        let later = then + chrono::Duration::hours(2);

        let view = AccountSecurity::at(record(row(then, 4, 4)), later, Some(&POLICY));

        assert_eq!((view.consecutive_failures, view.failures_last_hour), (0, 0));
        assert_eq!(view.last_failure_at, Some(then));
    }
}
