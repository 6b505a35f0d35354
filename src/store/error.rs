//! Errors of the storage layer.

/// Which uniqueness rule a write broke. Each maps to its own error reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The court id is taken.
    Court,
    /// The PACER username is taken.
    PacerAccount,
    /// The CM/ECF login is taken in that court.
    EcfAccount,
    /// The CM/ECF account already has a link.
    EcfAccountLinked,
    /// The PACER account already has a link in that court.
    PacerAccountLinked,
}

/// Errors of the storage layer. Each failure of the database keeps the
/// driver's error as its source; the message repeats the driver's, because
/// log lines print an error's message only.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write; nothing was written.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// A write referred to a court that does not exist.
    #[error("unknown court")]
    UnknownCourt,
    /// The database could not be reached in time; safe to retry.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A statement failed for a reason no caller can act on.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The database URL does not parse.
    #[error("invalid database URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    /// Applying the migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// A stored row breaks an invariant: a bug or a corrupt row.
    #[error("storage failure: {0}")]
    Internal(String),
}
