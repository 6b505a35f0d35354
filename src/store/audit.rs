//! Records of the audit trail, second-factor state and password upgrades.
use chrono::{DateTime, Utc};

use crate::domain::{CourtId, EcfLogin, PacerUsername};

/// One audited call, as appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// When the call finished.
    pub occurred_at: DateTime<Utc>,
    /// The RPC's method name, e.g. `AuthenticatePacer`.
    pub rpc: String,
    /// The court as given (sanitised), if the call named or resolved one.
    pub court_id: Option<String>,
    /// The account as given (sanitised), if any.
    pub subject: Option<String>,
    /// `OK` or the gRPC status code name.
    pub outcome: String,
    /// The error reason, or what the answer hides (e.g. `ACCOUNT_LOCKED`).
    pub reason: Option<String>,
    /// The caller's address.
    pub caller: Option<String>,
    /// The trace the call belongs to.
    pub trace_id: Option<String>,
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the trail; later events have larger ids.
    pub id: i64,
    /// What was recorded.
    pub event: NewAuditEvent,
}

/// Which audit events to list. Every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exactly this court.
    pub court_id: Option<String>,
    /// Exactly this subject.
    pub subject: Option<String>,
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only ids below this one (the page cursor; newest first).
    pub before_id: Option<i64>,
}

/// Whose stored password hash a rehash replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordOwner {
    /// A PACER account.
    Pacer(PacerUsername),
    /// A CM/ECF account in a court.
    Ecf(CourtId, EcfLogin),
}

/// A PACER account's enrolled second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrollment {
    /// The secret, encrypted (nonce || ciphertext).
    pub sealed_secret: Vec<u8>,
    /// The last time step a code was accepted for.
    pub last_step: Option<i64>,
}

/// What a PACER sign-in in one court needs, read in one lookup.
#[derive(Debug, Clone)]
pub struct PacerSignIn {
    /// The account.
    pub account: super::PacerAccountRecord,
    /// Its second factor, if enrolled.
    pub totp: Option<TotpEnrollment>,
    /// Its link in the court, if linked there.
    pub link: Option<super::LinkRecord>,
}

/// The account a status lookup names, from either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountKey {
    /// A CM/ECF login in the court.
    Ecf(EcfLogin),
    /// A PACER username.
    Pacer(PacerUsername),
}

/// What one status lookup found in an existing court.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    /// Whether the account exists.
    pub exists: bool,
    /// Its link in the court, if any.
    pub link: Option<super::LinkRecord>,
}
