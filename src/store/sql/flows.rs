//! Flows and links in SQL.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};
use uuid::Uuid;

use super::rows::{LINK_COLUMNS, Rows};
use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value, changes::LinkChanges};
use crate::domain::{CourtId, EcfLogin, FlowTokenHash, PacerUsername};
use crate::store::{
    ConfirmOutcome, FlowRecord, FlowStore, LinkRecord, NewFlow, ResetOutcome, StoreError,
    UnlinkOutcome,
};

const INSERT_FLOW: &str = "INSERT INTO link_flows (flow_id, token_hash, court_id, \
     pacer_username, client_code, stage, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, 'pacer_authenticated', $6, $7)";

const SELECT_LIVE_FLOW: &str = "SELECT flow_id, court_id, pacer_username, stage, ecf_login, \
     expires_at FROM link_flows WHERE token_hash = $1 AND expires_at > $2";

const RECORD_ECF_VERIFIED: &str = "UPDATE link_flows \
     SET stage = 'ecf_verified', ecf_login = $2, ecf_verified_at = $3, ecf_proven_hash = $4 \
     WHERE flow_id = $1 AND stage IN ('pacer_authenticated', 'ecf_verified') \
     AND expires_at > $3";

fn select_link(condition: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!(
        "SELECT {LINK_COLUMNS} FROM links WHERE {condition}"
    ))
}

#[async_trait]
impl<D> FlowStore for D
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    for<'a> &'a [u8]: Encode<'a, D::Db> + Type<D::Db>,
    for<'a> Option<&'a str>: Encode<'a, D::Db>,
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
            otel.name = "SELECT links",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "links",
            code.function.name = "link_of_pacer",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn link_of_pacer(
        &self,
        court: &CourtId,
        pacer: &PacerUsername,
    ) -> Result<Option<LinkRecord>, StoreError> {
        sqlx::query(select_link("court_id = $1 AND pacer_username = $2"))
            .bind(court.as_str())
            .bind(pacer.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?
            .map(|row| Rows::<D>::link(&row))
            .transpose()
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT links",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "links",
            code.function.name = "link_of_ecf",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn link_of_ecf(
        &self,
        court: &CourtId,
        login: &EcfLogin,
    ) -> Result<Option<LinkRecord>, StoreError> {
        sqlx::query(select_link("court_id = $1 AND ecf_login = $2"))
            .bind(court.as_str())
            .bind(login.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?
            .map(|row| Rows::<D>::link(&row))
            .transpose()
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "SELECT links",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "links",
            code.function.name = "link_of_flow",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn link_of_flow(&self, flow_id: Uuid) -> Result<Option<LinkRecord>, StoreError> {
        sqlx::query(select_link("flow_id = $1"))
            .bind(flow_id)
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?
            .map(|row| Rows::<D>::link(&row))
            .transpose()
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "INSERT link_flows",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "INSERT",
            db.collection.name = "link_flows",
            code.function.name = "create_flow",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn create_flow(&self, flow: &NewFlow) -> Result<(), StoreError> {
        let _writer = self.write_guard().await;
        sqlx::query(INSERT_FLOW)
            .bind(flow.id)
            .bind(flow.token_hash.0.as_slice())
            .bind(flow.court_id.as_str())
            .bind(flow.pacer_username.as_str())
            .bind(flow.client_code.as_deref())
            .bind(D::time_param(flow.created_at))
            .bind(D::time_param(flow.expires_at))
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
            otel.name = "SELECT link_flows",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "link_flows",
            code.function.name = "live_flow",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn live_flow(
        &self,
        token: &FlowTokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<FlowRecord>, StoreError> {
        sqlx::query(SELECT_LIVE_FLOW)
            .bind(token.0.as_slice())
            .bind(D::time_param(now))
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?
            .map(|row| Rows::<D>::flow(&row))
            .transpose()
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "UPDATE link_flows",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "UPDATE",
            db.collection.name = "link_flows",
            code.function.name = "record_ecf_verified",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn record_ecf_verified(
        &self,
        flow_id: Uuid,
        login: &EcfLogin,
        proven_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_guard().await;
        let done = sqlx::query(RECORD_ECF_VERIFIED)
            .bind(flow_id)
            .bind(login.as_str())
            .bind(D::time_param(now))
            .bind(proven_hash)
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok(D::rows_affected(&done) == 1)
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "INSERT links",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "INSERT",
            db.collection.name = "links",
            code.function.name = "confirm_link",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn confirm_link(
        &self,
        flow: &FlowRecord,
        ecf_login: &EcfLogin,
        now: DateTime<Utc>,
    ) -> Result<ConfirmOutcome, StoreError> {
        LinkChanges::confirm(self, flow, ecf_login, now).await
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "DELETE links",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "DELETE",
            db.collection.name = "links",
            code.function.name = "unlink",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn unlink(
        &self,
        court: &CourtId,
        login: &EcfLogin,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<UnlinkOutcome, StoreError> {
        LinkChanges::unlink(self, court, login, reason, now).await
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "UPDATE ecf_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "UPDATE",
            db.collection.name = "ecf_accounts",
            code.function.name = "reset_ecf_password",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn reset_ecf_password(
        &self,
        court: &CourtId,
        login: &EcfLogin,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<ResetOutcome, StoreError> {
        LinkChanges::reset_ecf_password(self, court, login, password_hash, now).await
    }
}
