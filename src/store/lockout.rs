//! Failed sign-ins counted per account, and the lockout arithmetic, kept
//! apart from SQL so both backends share it and it can be tested on its own.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{PasswordOwner, SecurityRecord, StoreError};
use crate::domain::{CourtId, EcfLogin, PacerUsername};

/// Whose failed sign-ins are counted: a PACER username, or a CM/ECF login in a court.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInSubject {
    /// `pacer`, `ecf`, or `second_factor` (a PACER account's one-time codes).
    pub kind: &'static str,
    /// The username, or `court:login`.
    pub subject: String,
}

impl SignInSubject {
    /// A PACER account's sign-ins (AuthenticatePacer and AuthenticateFiler).
    pub fn pacer(username: &PacerUsername) -> Self {
        Self {
            kind: "pacer",
            subject: username.as_str().to_owned(),
        }
    }

    /// A PACER account's one-time codes, counted apart from its passwords
    /// and under a stricter threshold: a code has far fewer values to guess.
    pub fn second_factor(username: &PacerUsername) -> Self {
        Self {
            kind: "second_factor",
            subject: username.as_str().to_owned(),
        }
    }

    /// A CM/ECF account's sign-ins (VerifyEcf).
    pub fn ecf(court: &CourtId, login: &EcfLogin) -> Self {
        Self {
            kind: "ecf",
            subject: format!("{}:{}", court.as_str(), login.as_str()),
        }
    }

    /// The sign-ins of a PACER or CM/ECF account.
    pub fn of(account: &PasswordOwner) -> Self {
        match account {
            PasswordOwner::Pacer(username) => Self::pacer(username),
            PasswordOwner::Ecf(court, login) => Self::ecf(court, login),
        }
    }
}

/// When repeated failures lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock the account.
    pub threshold: u32,
    /// The first lock's length; each further lock doubles it.
    pub base_lock: std::time::Duration,
    /// The longest lock.
    pub max_lock: std::time::Duration,
    /// Failures (and past locks) are forgotten after this long without one.
    pub forget_after: std::time::Duration,
    /// Counted failures allowed per account per hour.
    pub max_per_hour: u32,
}

impl LockoutPolicy {
    /// The length of the account's next lock, after `lockouts` earlier ones.
    pub fn lock_length(&self, lockouts: u32) -> std::time::Duration {
        let factor = 1u32.checked_shl(lockouts.min(20)).unwrap_or(u32::MAX);
        self.base_lock.saturating_mul(factor).min(self.max_lock)
    }
}

/// What recording a failed sign-in did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Counted; this many consecutive failures now.
    Counted {
        /// Consecutive failures, this one included.
        consecutive: u32,
    },
    /// Counted, and the account is now locked until then.
    Locked {
        /// When the lock ends.
        until: DateTime<Utc>,
    },
    /// The account was locked already: not counted.
    AlreadyLocked,
}

/// A subject's failure state as it was read with its account, so that
/// counting the attempt needs no read of its own. Only a starting guess:
/// the count is written only if the row has not changed since.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SeenFailures {
    /// Not read: the count reads the row itself.
    #[default]
    NotRead,
    /// The subject had no failure row.
    NoRow,
    /// The subject's row, and its version when read.
    Row(FailureRow, i64),
}

/// Failed sign-ins and the locks they lead to.
#[async_trait]
pub trait LockoutStore: Send + Sync {
    /// Whether the subject is locked out at `now`.
    async fn is_locked(
        &self,
        subject: &SignInSubject,
        now: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<bool, StoreError>;

    /// Counts a failed sign-in atomically (concurrent failures on any replica
    /// are all counted) and locks the subject when the policy says so.
    async fn record_failure(
        &self,
        subject: &SignInSubject,
        now: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<FailureOutcome, StoreError> {
        self.record_failure_seen(subject, &SeenFailures::NotRead, now, policy)
            .await
    }

    /// [`Self::record_failure`], starting from the state `seen` read with
    /// the account: one statement instead of two when nobody counted a
    /// failure of the subject in between; a stale `seen` costs a re-read,
    /// never a lost or double count.
    async fn record_failure_seen(
        &self,
        subject: &SignInSubject,
        seen: &SeenFailures,
        now: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<FailureOutcome, StoreError>;

    /// After a successful sign-in at `now` (whose attempt was counted
    /// beforehand): gives that attempt back and forgets consecutive failures
    /// and locks.
    async fn clear_failures(
        &self,
        subject: &SignInSubject,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// An account's sign-in security, for the help desk; `None` when there
    /// is no such account.
    async fn security(&self, account: &PasswordOwner)
    -> Result<Option<SecurityRecord>, StoreError>;

    /// Ends the subject's lock, hourly cap included, and forgets its
    /// failures and past locks; nothing to do for a subject without any.
    async fn unlock(&self, subject: &SignInSubject) -> Result<(), StoreError>;
}

/// A subject's stored failure state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRow {
    /// Failures since the last success or lock.
    pub consecutive: i64,
    /// When the last one happened.
    pub last_failure_at: DateTime<Utc>,
    /// When the current lock ends, if locked.
    pub locked_until: Option<DateTime<Utc>>,
    /// Locks so far (the wait doubles each time).
    pub lockouts: i64,
    /// Start of the current hourly window.
    pub hour_start: DateTime<Utc>,
    /// Failures counted in it.
    pub hour_count: i64,
}

impl FailureRow {
    /// A subject with no failure on record, as of `now`: what its first
    /// failure is counted on.
    pub fn none_yet(now: DateTime<Utc>) -> Self {
        Self {
            consecutive: 0,
            last_failure_at: now,
            locked_until: None,
            lockouts: 0,
            hour_start: now,
            hour_count: 0,
        }
    }
}

fn duration(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Whether the subject may not sign in at `now`: inside a lock, or over the hourly cap.
pub fn locked(row: &FailureRow, now: DateTime<Utc>, policy: &LockoutPolicy) -> bool {
    let in_lock = row.locked_until.is_some_and(|until| until > now);
    let hour_open = row.hour_start + chrono::Duration::hours(1) > now;
    in_lock || (hour_open && row.hour_count >= i64::from(policy.max_per_hour))
}

/// The state after one more failure at `now`, and what it means.
pub fn after_failure(
    row: &FailureRow,
    now: DateTime<Utc>,
    policy: &LockoutPolicy,
) -> (FailureRow, FailureOutcome) {
    if locked(row, now, policy) {
        return (row.clone(), FailureOutcome::AlreadyLocked);
    }
    let quiet = row.last_failure_at + duration(policy.forget_after) < now;
    let (consecutive, lockouts) = if quiet {
        (1, 0)
    } else {
        (row.consecutive + 1, row.lockouts)
    };
    let (hour_start, hour_count) = if row.hour_start + chrono::Duration::hours(1) <= now {
        (now, 1)
    } else {
        (row.hour_start, row.hour_count + 1)
    };
    let mut next = FailureRow {
        consecutive,
        last_failure_at: now,
        locked_until: None,
        lockouts,
        hour_start,
        hour_count,
    };
    if consecutive >= i64::from(policy.threshold) {
        let until = now + duration(policy.lock_length(u32::try_from(lockouts).unwrap_or(u32::MAX)));
        next.locked_until = Some(until);
        next.lockouts += 1;
        next.consecutive = 0;
        return (next, FailureOutcome::Locked { until });
    }
    let consecutive = u32::try_from(consecutive).unwrap_or(u32::MAX);
    (next, FailureOutcome::Counted { consecutive })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const POLICY: LockoutPolicy = LockoutPolicy {
        threshold: 10,
        base_lock: Duration::from_secs(60),
        max_lock: Duration::from_secs(900),
        forget_after: Duration::from_secs(12 * 3600),
        max_per_hour: 100,
    };

    fn fresh(now: DateTime<Utc>) -> FailureRow {
        FailureRow::none_yet(now)
    }

    fn fail(row: &mut FailureRow, now: DateTime<Utc>) -> FailureOutcome {
        let (next, outcome) = after_failure(row, now, &POLICY);
        *row = next;
        outcome
    }

    #[test]
    fn the_tenth_consecutive_failure_locks_for_a_minute() {
        let now = Utc::now();
        let mut row = fresh(now);
        for i in 1..10 {
            assert_eq!(
                fail(&mut row, now),
                FailureOutcome::Counted { consecutive: i }
            );
        }
        assert_eq!(
            fail(&mut row, now),
            FailureOutcome::Locked {
                until: now + chrono::Duration::seconds(60)
            }
        );
        assert!(locked(&row, now, &POLICY));
        assert!(!locked(&row, now + chrono::Duration::seconds(61), &POLICY));
    }

    #[test]
    fn failures_while_locked_are_not_counted() {
        let now = Utc::now();
        let mut row = fresh(now);
        for _ in 0..10 {
            fail(&mut row, now);
        }
        let before = row.clone();
        assert_eq!(
            fail(&mut row, now + chrono::Duration::seconds(30)),
            FailureOutcome::AlreadyLocked
        );
        assert_eq!(row, before);
    }

    #[test]
    fn each_lock_doubles_up_to_fifteen_minutes() {
        let lengths: Vec<u64> = (0..6).map(|n| POLICY.lock_length(n).as_secs()).collect();
        assert_eq!(lengths, [60, 120, 240, 480, 900, 900]);
    }

    #[test]
    fn failures_are_forgotten_after_twelve_quiet_hours() {
        let now = Utc::now();
        let mut row = fresh(now);
        for _ in 0..9 {
            fail(&mut row, now);
        }
        let later = now + chrono::Duration::hours(12) + chrono::Duration::seconds(1);
        assert_eq!(
            fail(&mut row, later),
            FailureOutcome::Counted { consecutive: 1 }
        );
    }

    #[test]
    fn no_more_than_a_hundred_failures_count_per_hour() {
        let policy = LockoutPolicy {
            threshold: 1000,
            ..POLICY
        };
        let now = Utc::now();
        let mut row = fresh(now);
        for _ in 0..100 {
            row = after_failure(&row, now, &policy).0;
        }
        assert!(locked(&row, now, &policy));
        assert!(!locked(&row, now + chrono::Duration::hours(1), &policy));
    }
}
