//! The event outbox on SQLite. A statement cannot carry an `UPDATE` in its
//! `WITH` clause here, so the counter and the event are two statements;
//! there is nothing to announce inside the transaction, as the store wakes
//! its readers in-process after the commit.
use chrono::{DateTime, Utc};
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use super::SqliteStore;
use crate::store::sql::{Dialect, traced_error};
use crate::store::{LinkEventKind, LinkRecord, StoreError};

const NEXT_EVENT_SEQUENCE: &str =
    "UPDATE link_event_counter SET last_sequence = last_sequence + 1 RETURNING last_sequence";

const INSERT_EVENT: &str = "INSERT INTO link_events \
     (sequence, event_id, event_type, court_id, ecf_login, pacer_username, occurred_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

pub(super) async fn append_event(
    tx: &mut Transaction<'_, Sqlite>,
    kind: LinkEventKind,
    link: &LinkRecord,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let sequence: i64 = sqlx::query_scalar(NEXT_EVENT_SEQUENCE)
        .fetch_one(&mut **tx)
        .await
        .map_err(traced_error::<SqliteStore>)?;
    sqlx::query(INSERT_EVENT)
        .bind(sequence)
        .bind(Uuid::new_v4())
        .bind(kind.as_str())
        .bind(link.court_id.as_str())
        .bind(link.ecf_login.as_str())
        .bind(link.pacer_username.as_str())
        .bind(SqliteStore::time_param(now))
        .execute(&mut **tx)
        .await
        .map_err(traced_error::<SqliteStore>)?;
    Ok(sequence)
}
