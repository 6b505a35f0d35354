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
