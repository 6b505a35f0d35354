//! Housekeeping in SQL: each batch one DELETE of at most `limit` rows picked
//! by key, so no statement holds many locks or runs long.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

use super::traced_error;
use super::{Args, Conn, Dialect, Row};
use crate::store::{HousekeepingLock, HousekeepingStore, PurgeCutoffs, PurgeTarget, StoreError};

/// A flow a link was made from stays: the link refers to it.
const PURGE_FLOWS: &str = "DELETE FROM link_flows WHERE flow_id IN (\
     SELECT f.flow_id FROM link_flows f WHERE f.expires_at < $1 \
     AND NOT EXISTS (SELECT 1 FROM links l WHERE l.flow_id = f.flow_id) LIMIT $2)";

/// Rows with a success on record stay: the help desk shows it.
const PURGE_FAILURES: &str = "DELETE FROM sign_in_failures \
     WHERE (subject_kind, subject) IN (\
     SELECT s.subject_kind, s.subject FROM sign_in_failures s \
     WHERE s.last_failure_at < $1 AND s.hour_start < $2 \
     AND (s.locked_until IS NULL OR s.locked_until < $3) \
     AND s.last_success_at IS NULL LIMIT $4)";

const PURGE_AUDIT: &str = "DELETE FROM audit_events WHERE audit_id IN (\
     SELECT audit_id FROM audit_events WHERE audit_id > $2 AND occurred_at < $1 \
     ORDER BY audit_id LIMIT $3) RETURNING audit_id";

const PURGE_REQUESTS: &str = "DELETE FROM admin_requests WHERE (operator, request_id) IN (\
     SELECT operator, request_id FROM admin_requests WHERE claimed_at < $1 LIMIT $2)";

#[async_trait]
impl<D> HousekeepingStore for D
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    i64: for<'q> Encode<'q, D::Db> + for<'r> Decode<'r, D::Db> + Type<D::Db>,
    usize: ColumnIndex<Row<D>>,
{
    async fn housekeeping_lock(&self) -> Result<Option<HousekeepingLock>, StoreError> {
        self.exclusive_housekeeping().await
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = %format!("DELETE {}", target.name()),
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "DELETE",
            db.collection.name = target.name(),
            code.function.name = "purge_batch",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn purge_batch(
        &self,
        target: PurgeTarget,
        cutoffs: &PurgeCutoffs,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let batch = i64::from(limit);
        let query = match target {
            PurgeTarget::AuditEvents => {
                let purged = self.purge_audit_batch(cutoffs.audit_before, 0, limit);
                return Ok(purged.await?.0);
            }
            PurgeTarget::Flows => sqlx::query::<D::Db>(PURGE_FLOWS)
                .bind(D::time_param(cutoffs.now))
                .bind(batch),
            PurgeTarget::Failures => sqlx::query::<D::Db>(PURGE_FAILURES)
                .bind(D::time_param(cutoffs.failures_forgotten_before))
                .bind(D::time_param(cutoffs.hour_started_before))
                .bind(D::time_param(cutoffs.now))
                .bind(batch),
            PurgeTarget::Requests => sqlx::query::<D::Db>(PURGE_REQUESTS)
                .bind(D::time_param(cutoffs.requests_before))
                .bind(batch),
        };
        let _writer = self.write_guard().await;
        let done = query
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok(D::rows_affected(&done))
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "DELETE audit_events",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "DELETE",
            db.collection.name = "audit_events",
            code.function.name = "purge_audit_batch",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn purge_audit_batch(
        &self,
        before: DateTime<Utc>,
        after: i64,
        limit: u32,
    ) -> Result<(u64, Option<i64>), StoreError> {
        let _writer = self.write_guard().await;
        let ids: Vec<i64> = sqlx::query_scalar::<D::Db, i64>(PURGE_AUDIT)
            .bind(D::time_param(before))
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok((ids.len() as u64, ids.into_iter().max()))
    }
}
