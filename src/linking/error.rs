//! The errors every RPC can answer with. `grpc::error` maps each to a status
//! and reason; nothing else builds statuses.
use crate::domain::FieldViolation;
use crate::password::HashError;
use crate::store::{Conflict, StoreError};

/// Everything that can go wrong in the linking service and its administration.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Malformed input, one entry per bad field.
    #[error("invalid argument")]
    InvalidArgument(Vec<FieldViolation>),
    /// Unknown account, wrong password or retired password: all alike.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The PACER account has not been upgraded.
    #[error("PACER account not upgraded")]
    PacerAccountNotUpgraded,
    /// The PACER account already has a link in this court.
    #[error("PACER account already linked")]
    PacerAccountAlreadyLinked,
    /// The CM/ECF account already has a link.
    #[error("CM/ECF account already linked")]
    EcfAccountAlreadyLinked,
    /// The CM/ECF login lacks the court's prefix.
    #[error("CM/ECF login must begin with {prefix:?}")]
    EcfLoginPrefixMismatch {
        /// The court's prefix.
        prefix: String,
    },
    /// No such court.
    #[error("unknown court")]
    UnknownCourt,
    /// Unknown, expired or finished flow token.
    #[error("flow not found or expired")]
    FlowNotFoundOrExpired,
    /// A step was called before the one it depends on.
    #[error("flow step out of order: {expected}")]
    FlowStepOutOfOrder {
        /// What the caller must do first.
        expected: &'static str,
    },
    /// The account asked about does not exist.
    #[error("account not found")]
    AccountNotFound,
    /// The CM/ECF account has no link to remove.
    #[error("CM/ECF account not linked")]
    EcfAccountNotLinked,
    /// The PACER account has no link in this court: a PACER-only user.
    #[error("PACER account not linked")]
    PacerAccountNotLinked,
    /// One lookup of a batch failed; `index` is its position.
    #[error("request {index} failed: {error}")]
    InBatch {
        /// Position of the failing request.
        index: usize,
        /// What went wrong with it.
        error: Box<LinkError>,
    },
    /// An event stream's consumer fell too far behind.
    #[error("event stream lagging")]
    EventStreamLagging,
    /// The server is shutting down.
    #[error("shutting down")]
    ShuttingDown,
    /// An admin create refused because the thing exists.
    #[error("already exists: {0:?}")]
    AlreadyExists(Conflict),
    /// A missing or wrong admin token.
    #[error("admin call not authenticated")]
    AdminUnauthenticated,
    /// Too many sign-ins are waiting for a password hash; retry later.
    #[error("overloaded")]
    Overloaded {
        /// When a retry is likely to be admitted.
        retry_after: std::time::Duration,
    },
    /// The caller's address sent more attempts than its rate allows.
    #[error("too many attempts from this source")]
    SourceThrottled {
        /// When the next attempt is allowed.
        retry_after: std::time::Duration,
    },
    /// A second factor was to be enrolled but no TOTP key is configured.
    #[error("TOTP not configured")]
    TotpNotConfigured,
    /// The PACER account needs a one-time code, and none or a wrong one came.
    #[error("second factor required")]
    MfaRequired,
    /// The database is unreachable; retry later.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or a corrupt row; logged in full, shown as opaque INTERNAL.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<Vec<FieldViolation>> for LinkError {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Self::InvalidArgument(violations)
    }
}

impl From<StoreError> for LinkError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(Conflict::EcfAccountLinked) => Self::EcfAccountAlreadyLinked,
            StoreError::Conflict(Conflict::PacerAccountLinked) => Self::PacerAccountAlreadyLinked,
            StoreError::Conflict(other) => Self::AlreadyExists(other),
            StoreError::UnknownCourt => Self::UnknownCourt,
            StoreError::Unavailable(_) => Self::Unavailable(error.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<HashError> for LinkError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Overloaded { retry_after } => Self::Overloaded { retry_after },
            other => Self::Internal(other.to_string()),
        }
    }
}
