//! The one place where PostgreSQL errors become `StoreError`s: by SQLSTATE
//! and constraint name, never by message text.
use crate::store::{Conflict, StoreError};

const UNIQUE_VIOLATION: &str = "23505";
const FOREIGN_KEY_VIOLATION: &str = "23503";

/// Classifies a PostgreSQL error, keeping it as the source of the others.
pub(super) fn store_error(error: sqlx::Error) -> StoreError {
    if let Some(refused) = refused_write(&error) {
        refused
    } else if retryable(&error) {
        StoreError::Unavailable(error)
    } else {
        StoreError::Database(error)
    }
}

/// A write the schema refused, as the domain names it.
fn refused_write(error: &sqlx::Error) -> Option<StoreError> {
    let db = error.as_database_error()?;
    match (db.code()?.as_ref(), db.constraint()?) {
        (UNIQUE_VIOLATION, constraint) => conflict_of(constraint).map(StoreError::Conflict),
        (FOREIGN_KEY_VIOLATION, "ecf_accounts_court_id_fkey") => Some(StoreError::UnknownCourt),
        _ => None,
    }
}

fn retryable(error: &sqlx::Error) -> bool {
    match error {
        // Class 08 is "connection exception"; 57P0x are shutdowns and crash
        // recovery; 53300 is "too many connections"; 40P01 (deadlock) and
        // 40001 (serialization) are safe to retry; 25006 is a read-only
        // server after a failover.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || code.starts_with("57P")
                || matches!(code.as_ref(), "53300" | "40P01" | "40001" | "25006")
        }),
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        _ => false,
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

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_pool_timeout_is_unavailable_and_keeps_the_driver_error_as_its_source() {
        let error = store_error(sqlx::Error::PoolTimedOut);

        assert!(matches!(error, StoreError::Unavailable(_)));
        assert!(error.source().is_some_and(|s| s.is::<sqlx::Error>()));
    }

    #[test]
    fn an_unexpected_error_keeps_the_driver_error_as_its_source() {
        let error = store_error(sqlx::Error::RowNotFound);

        assert!(matches!(error, StoreError::Database(_)));
        assert!(error.source().is_some_and(|s| s.is::<sqlx::Error>()));
    }
}
