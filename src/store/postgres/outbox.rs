//! The event outbox on PostgreSQL: the counter, the event and its
//! announcement in one statement.
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{EVENT_CHANNEL, PgStore};
use crate::store::sql::traced_error;
use crate::store::{LinkEventKind, LinkRecord, StoreError};

/// Takes the next sequence (locking the counter row until commit), inserts
/// the event under it and queues a `NOTIFY`, which PostgreSQL delivers only
/// if the transaction commits.
const APPEND_EVENT: &str = "WITH next AS (\
       UPDATE link_event_counter SET last_sequence = last_sequence + 1 \
       RETURNING last_sequence), \
     appended AS (\
       INSERT INTO link_events \
       (sequence, event_id, event_type, court_id, ecf_login, pacer_username, occurred_at) \
       SELECT last_sequence, $1, $2, $3, $4, $5, $6 FROM next RETURNING sequence) \
     SELECT appended.sequence FROM appended \
     CROSS JOIN LATERAL pg_notify($7, appended.sequence::text) AS announced";

pub(super) async fn append_event(
    tx: &mut Transaction<'_, Postgres>,
    kind: LinkEventKind,
    link: &LinkRecord,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(APPEND_EVENT)
        .bind(Uuid::new_v4())
        .bind(kind.as_str())
        .bind(link.court_id.as_str())
        .bind(link.ecf_login.as_str())
        .bind(link.pacer_username.as_str())
        .bind(now)
        .bind(EVENT_CHANNEL)
        .fetch_one(&mut **tx)
        .await
        .map_err(traced_error::<PgStore>)
}
