//! The one place where PostgreSQL errors become `StoreError`s: by SQLSTATE
//! and constraint name, never by message text.
use crate::store::{Conflict, StoreError};

const UNIQUE_VIOLATION: &str = "23505";
const FOREIGN_KEY_VIOLATION: &str = "23503";

/// Classifies a PostgreSQL error.
pub(super) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match (code.as_ref(), db.constraint()) {
                (UNIQUE_VIOLATION, Some(constraint)) => match conflict_of(constraint) {
                    Some(conflict) => StoreError::Conflict(conflict),
                    None => StoreError::Internal(error.to_string()),
                },
                (FOREIGN_KEY_VIOLATION, Some("ecf_accounts_court_id_fkey")) => {
                    StoreError::UnknownCourt
                }
                // Class 08 is "connection exception"; 57P0x are shutdowns
                // and crash recovery; 53300 is "too many connections";
                // 40P01 (deadlock) and 40001 (serialization) are safe to
                // retry; 25006 is a read-only server after a failover.
                (code, _)
                    if code.starts_with("08")
                        || code.starts_with("57P")
                        || matches!(code, "53300" | "40P01" | "40001" | "25006") =>
                {
                    StoreError::Unavailable(error.to_string())
                }
                _ => StoreError::Internal(error.to_string()),
            }
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.to_string()),
        _ => StoreError::Internal(error.to_string()),
    }
}

fn conflict_of(constraint: &str) -> Option<Conflict> {
    Some(match constraint {
        "courts_pkey" => Conflict::Court,
        "pacer_accounts_pkey" => Conflict::PacerAccount,
        "ecf_accounts_pkey" => Conflict::EcfAccount,
        "links_pkey" => Conflict::EcfAccountLinked,
        "links_court_pacer_key" => Conflict::PacerAccountLinked,
        _ => return None,
    })
}
