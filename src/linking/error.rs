//! The errors of the linking layer: what the flow, the sign-ins and their
//! administration can refuse. The gRPC edge wraps them with its own
//! transport-level cases and maps both to a status in one place.
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
    /// An admin create refused because the thing exists.
    #[error("already exists: {0:?}")]
    AlreadyExists(Conflict),
    /// Too many sign-ins are waiting for a password hash; retry later.
    #[error("overloaded")]
    Overloaded {
        /// When a retry is likely to be admitted.
        retry_after: std::time::Duration,
    },
    /// An admin call's request_id names a call of the same request still running.
    #[error("request in progress")]
    RequestInProgress,
    /// An admin call's request_id named a different request of this operator.
    #[error("request_id reused")]
    RequestIdReused,
    /// A second factor was to be enrolled but no TOTP key is configured.
    #[error("TOTP not configured")]
    TotpNotConfigured,
    /// The PACER account needs a one-time code, and none or a wrong one came.
    #[error("second factor required")]
    MfaRequired,
    /// The database is unreachable; retry later.
    #[error("database unavailable")]
    Unavailable(#[source] StoreError),
    /// A bug or a corrupt row; logged in full, shown as opaque INTERNAL.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
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
            unavailable @ StoreError::Unavailable(..) => Self::Unavailable(unavailable),
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<HashError> for LinkError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Overloaded { retry_after } => Self::Overloaded { retry_after },
            other => Self::Internal(Box::new(other)),
        }
    }
}
