//! Rows as the store hands them out and takes them in.
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{
    ClientCode, CourtId, CourtName, DisplayName, EcfLogin, EcfLoginPrefix, FlowTokenHash,
    PacerUsername,
};

/// A court to add.
#[derive(Debug, Clone)]
pub struct NewCourt {
    /// Its identifier.
    pub id: CourtId,
    /// Its full name.
    pub name: CourtName,
    /// The prefix of its CM/ECF logins.
    pub ecf_login_prefix: EcfLoginPrefix,
}

/// A stored court.
pub type CourtRecord = NewCourt;

/// A PACER account to add; `password_hash` is an argon2id PHC string.
#[derive(Debug, Clone)]
pub struct NewPacerAccount {
    /// The username.
    pub username: PacerUsername,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// The holder's name.
    pub display_name: DisplayName,
    /// Whether the account is upgraded.
    pub upgraded: bool,
}

/// A stored PACER account.
pub type PacerAccountRecord = NewPacerAccount;

/// A CM/ECF account to add.
#[derive(Debug, Clone)]
pub struct NewEcfAccount {
    /// Its court.
    pub court_id: CourtId,
    /// Its login.
    pub login: EcfLogin,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// The filer's name.
    pub display_name: DisplayName,
}

/// A stored CM/ECF account. `password_hash` is `None` once linking retired it.
#[derive(Debug, Clone)]
pub struct EcfAccountRecord {
    /// Its court.
    pub court_id: CourtId,
    /// Its login.
    pub login: EcfLogin,
    /// The argon2id PHC string, or `None` when retired.
    pub password_hash: Option<String>,
    /// The filer's name.
    pub display_name: DisplayName,
}

/// A link in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    /// Its court.
    pub court_id: CourtId,
    /// The CM/ECF side.
    pub ecf_login: EcfLogin,
    /// The PACER side.
    pub pacer_username: PacerUsername,
    /// When it was confirmed, to the microsecond.
    pub linked_at: DateTime<Utc>,
}

/// A flow to store at the PACER-authenticated stage.
#[derive(Debug, Clone)]
pub struct NewFlow {
    /// Its id.
    pub id: Uuid,
    /// SHA-256 of its token.
    pub token_hash: FlowTokenHash,
    /// The court it links in.
    pub court_id: CourtId,
    /// The PACER account that started it.
    pub pacer_username: PacerUsername,
    /// The client code given at sign-in, if any.
    pub client_code: ClientCode,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When its token stops working.
    pub expires_at: DateTime<Utc>,
}

/// Where a stored flow stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowStage {
    /// PACER credentials proven.
    PacerAuthenticated,
    /// CM/ECF credentials proven too, for this login.
    EcfVerified(EcfLogin),
    /// The link was made.
    Confirmed,
}

/// A stored flow.
#[derive(Debug, Clone)]
pub struct FlowRecord {
    /// Its id.
    pub id: Uuid,
    /// The court it links in.
    pub court_id: CourtId,
    /// The PACER account that started it.
    pub pacer_username: PacerUsername,
    /// Where it stands.
    pub stage: FlowStage,
    /// When its token stops working.
    pub expires_at: DateTime<Utc>,
}

/// What happened to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEventKind {
    /// A link was confirmed.
    Linked,
    /// A link was removed.
    Unlinked,
}

impl LinkEventKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linked => "linked",
            Self::Unlinked => "unlinked",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "linked" => Ok(Self::Linked),
            "unlinked" => Ok(Self::Unlinked),
            other => Err(format!("unknown event type {other:?}")),
        }
    }
}

/// A committed link event from the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEventRecord {
    /// Position in commit order, gap-free across all courts, from 1.
    pub sequence: i64,
    /// Unique id.
    pub event_id: Uuid,
    /// What happened.
    pub kind: LinkEventKind,
    /// The court.
    pub court_id: CourtId,
    /// The CM/ECF side.
    pub ecf_login: EcfLogin,
    /// The PACER side.
    pub pacer_username: PacerUsername,
    /// When it committed.
    pub occurred_at: DateTime<Utc>,
}

/// What `unlink` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnlinkOutcome {
    /// The link was removed and announced by the event with this sequence.
    Unlinked {
        /// The link as it stood.
        link: LinkRecord,
        /// The `UNLINKED` event's sequence.
        sequence: i64,
    },
    /// The CM/ECF account had no link.
    NotLinked,
}

/// What `reset_ecf_password` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetOutcome {
    /// The new password is in place.
    Reset,
    /// The account is linked; unlink first.
    Linked,
    /// No such account.
    NotFound,
}

/// Whose failed sign-ins are counted: a PACER username, or a CM/ECF login in a court.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInSubject {
    /// `pacer` or `ecf`.
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

    /// A CM/ECF account's sign-ins (VerifyEcf).
    pub fn ecf(court: &CourtId, login: &EcfLogin) -> Self {
        Self {
            kind: "ecf",
            subject: format!("{}:{}", court.as_str(), login.as_str()),
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
