//! The event outbox in SQL.
use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};
use uuid::Uuid;

use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value, rows::Rows};
use crate::store::{EventStore, LinkEventRecord, StoreError};

const EVENTS_AFTER: &str = "SELECT sequence, event_id, event_type, court_id, ecf_login, \
     pacer_username, occurred_at FROM link_events WHERE sequence > $1 ORDER BY sequence LIMIT $2";

const LAST_EVENT_SEQUENCE: &str = "SELECT COALESCE(MAX(sequence), 0) FROM link_events";

#[async_trait]
impl<D> EventStore for D
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    usize: ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT link_events",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "link_events",
            code.function.name = "events_after",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LinkEventRecord>, StoreError> {
        sqlx::query(EVENTS_AFTER)
            .bind(after)
            .bind(limit)
            .fetch_all(self.pool())
            .await
            .map_err(traced_error::<D>)?
            .iter()
            .map(Rows::<D>::event)
            .collect()
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT link_events",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "link_events",
            code.function.name = "last_event_sequence",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn last_event_sequence(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar(LAST_EVENT_SEQUENCE)
            .fetch_one(self.pool())
            .await
            .map_err(traced_error::<D>)
    }

    async fn listen_for_events(&self, wake: &tokio::sync::Notify) -> Result<(), StoreError> {
        self.listen_now(wake).await
    }
}
