//! The one place where SQLite errors become `StoreError`s. SQLite names a
//! violated unique constraint only by its columns ("UNIQUE constraint
//! failed: links.court_id, links.ecf_login"), so that list is what we map.
use sqlx::error::ErrorKind;

use crate::store::{Conflict, StoreError};

/// Classifies a SQLite error, keeping it as the source of the others.
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
    match db.kind() {
        ErrorKind::UniqueViolation => {
            let columns = db.message().rsplit(": ").next().unwrap_or_default();
            conflict_of(columns).map(StoreError::Conflict)
        }
        // The only foreign key a caller can miss is the court of a new
        // CM/ECF account; the others are checked before writing.
        ErrorKind::ForeignKeyViolation => Some(StoreError::UnknownCourt),
        _ => None,
    }
}

fn retryable(error: &sqlx::Error) -> bool {
    match error {
        // SQLITE_BUSY and SQLITE_LOCKED (with their extended codes): the
        // file is locked by another process beyond the busy timeout.
        sqlx::Error::Database(db) => is_busy(db.code().as_deref()),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        _ => false,
    }
}

fn is_busy(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

fn conflict_of(columns: &str) -> Option<Conflict> {
    Some(match columns {
        "courts.court_id" => Conflict::Court,
        "pacer_accounts.username" => Conflict::PacerAccount,
        "ecf_accounts.court_id, ecf_accounts.login" => Conflict::EcfAccount,
        "links.court_id, links.ecf_login" => Conflict::EcfAccountLinked,
        "links.court_id, links.pacer_username" => Conflict::PacerAccountLinked,
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
