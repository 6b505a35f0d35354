//! The audit trail in SQL.
use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, QueryBuilder, Type};
use uuid::Uuid;

use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value, rows::Rows};
use crate::store::{AuditCursor, AuditFilter, AuditRecord, AuditStore, NewAuditEvent, StoreError};

const INSERT_AUDIT: &str = "INSERT INTO audit_events (occurred_at, rpc, court_id, subject, \
     subject_normalized, outcome, reason, caller, caller_identity, end_user_address, operator, \
     detail, repeat_count, trace_id) ";

/// Every filter is appended as a fixed fragment with a bound value.
const SELECT_AUDIT: &str = "SELECT audit_id, occurred_at, rpc, court_id, subject, \
     subject_normalized, outcome, reason, caller, caller_identity, end_user_address, operator, \
     detail, repeat_count, trace_id FROM audit_events WHERE 1 = 1";

#[async_trait]
impl<D> AuditStore for D
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    Option<String>: for<'q> Encode<'q, D::Db>,
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
            otel.name = "INSERT audit_events",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "INSERT",
            db.collection.name = "audit_events",
            code.function.name = "append_audit",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn append_audit(&self, events: &[NewAuditEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let _writer = self.write_guard().await;
        let mut insert = QueryBuilder::<D::Db>::new(INSERT_AUDIT);
        insert.push_values(events, |mut row, event| {
            row.push_bind(D::time_param(event.occurred_at))
                .push_bind(event.rpc.clone())
                .push_bind(event.court_id.clone())
                .push_bind(event.subject.clone())
                .push_bind(event.subject_normalized.clone())
                .push_bind(event.outcome.clone())
                .push_bind(event.reason.clone())
                .push_bind(event.caller.clone())
                .push_bind(event.caller_identity.clone())
                .push_bind(event.end_user_address.clone())
                .push_bind(event.operator.clone())
                .push_bind(event.detail.clone())
                .push_bind(event.repeat_count)
                .push_bind(event.trace_id.clone());
        });
        insert
            .build()
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok(())
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT audit_events",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "audit_events",
            code.function.name = "audit_events",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn audit_events(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut query = QueryBuilder::<D::Db>::new(SELECT_AUDIT);
        if let Some(court) = &filter.court_id {
            query.push(" AND court_id = ").push_bind(court.clone());
        }
        if let Some(subject) = &filter.subject {
            query
                .push(" AND subject_normalized = ")
                .push_bind(subject.to_ascii_lowercase());
        }
        if let Some(operator) = &filter.operator {
            query.push(" AND operator = ").push_bind(operator.clone());
        }
        if let Some(identity) = &filter.caller_identity {
            query
                .push(" AND caller_identity = ")
                .push_bind(identity.clone());
        }
        if let Some(since) = filter.since {
            query
                .push(" AND occurred_at >= ")
                .push_bind(D::time_param(since));
        }
        if let Some(until) = filter.until {
            query
                .push(" AND occurred_at < ")
                .push_bind(D::time_param(until));
        }
        match filter.before {
            Some(AuditCursor::Id(id)) => {
                query.push(" AND audit_id < ").push_bind(id);
            }
            // The plain bound lets the index scan start at the cursor; the
            // second clause then drops the events of that same moment the
            // page before already showed.
            Some(AuditCursor::TimeAndId(at, id)) => {
                query
                    .push(" AND occurred_at <= ")
                    .push_bind(D::time_param(at))
                    .push(" AND (occurred_at < ")
                    .push_bind(D::time_param(at))
                    .push(" OR audit_id < ")
                    .push_bind(id)
                    .push(")");
            }
            None => {}
        }
        query
            .push(if filter.in_time_order() {
                " ORDER BY occurred_at DESC, audit_id DESC LIMIT "
            } else {
                " ORDER BY audit_id DESC LIMIT "
            })
            .push_bind(limit);
        let rows = query
            .build()
            .fetch_all(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        rows.iter().map(audit_record::<D>).collect()
    }
}

fn audit_record<D>(row: &Row<D>) -> Result<AuditRecord, StoreError>
where
    D: Dialect,
    for<'a> &'a str: ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    Ok(AuditRecord {
        id: Rows::<D>::column(row, "audit_id")?,
        event: NewAuditEvent {
            occurred_at: D::time_column(row, "occurred_at")?,
            rpc: Rows::<D>::column(row, "rpc")?,
            court_id: Rows::<D>::column(row, "court_id")?,
            subject: Rows::<D>::column(row, "subject")?,
            subject_normalized: Rows::<D>::column(row, "subject_normalized")?,
            outcome: Rows::<D>::column(row, "outcome")?,
            reason: Rows::<D>::column(row, "reason")?,
            caller: Rows::<D>::column(row, "caller")?,
            caller_identity: Rows::<D>::column(row, "caller_identity")?,
            end_user_address: Rows::<D>::column(row, "end_user_address")?,
            operator: Rows::<D>::column(row, "operator")?,
            detail: Rows::<D>::column(row, "detail")?,
            repeat_count: Rows::<D>::column(row, "repeat_count")?,
            trace_id: Rows::<D>::column(row, "trace_id")?,
        },
    })
}
