//! An account's sign-in security as stored, read for the help desk.
use chrono::{DateTime, Utc};

use super::lockout::FailureRow;

/// What the store holds about an account's sign-ins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityRecord {
    /// Its failure state, if it ever had a sign-in attempt.
    pub failures: Option<FailureRow>,
    /// When it last signed in successfully.
    pub last_success_at: Option<DateTime<Utc>>,
    /// When it last failed to sign in (an attempt still being checked counts).
    pub last_failed_at: Option<DateTime<Utc>>,
    /// Whether a TOTP second factor guards it (a CM/ECF account: the PACER
    /// account it is linked to).
    pub mfa_enrolled: bool,
    /// Whether it has a link (a PACER account: in any court).
    pub linked: bool,
    /// When the lock of its one-time codes ends, as stored (it may be past).
    pub mfa_locked_until: Option<DateTime<Utc>>,
}
