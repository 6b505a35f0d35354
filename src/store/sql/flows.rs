//! Flows and links in SQL.
use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};
use uuid::Uuid;

use super::lockout::{CLEAR_FAILURES, give_back};
use super::rows::{LINK_COLUMNS, Rows};
use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value, changes::LinkChanges};
use crate::domain::{CourtId, DisplayName, EcfLogin, FlowTokenHash, PacerUsername};
use crate::store::{
    ConfirmOutcome, FlowNames, FlowRecord, FlowStore, LinkRecord, NewFlow, ResetOutcome,
    SignInSubject, StoreError, UnlinkOutcome,
};

const INSERT_FLOW: &str = "INSERT INTO link_flows (flow_id, token_hash, court_id, \
     pacer_username, client_code, stage, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, 'pacer_authenticated', $6, $7)";

const SELECT_LIVE_FLOW: &str = "SELECT flow_id, court_id, pacer_username, stage, ecf_login, \
     expires_at FROM link_flows WHERE token_hash = $1 AND expires_at > $2";

/// [`SELECT_LIVE_FLOW`] with both accounts' names: the CM/ECF one is NULL
/// until the flow has a proven login.
const SELECT_LIVE_FLOW_NAMES: &str = "SELECT f.flow_id, f.court_id, f.pacer_username, \
     f.stage, f.ecf_login, f.expires_at, \
     p.display_name AS pacer_display_name, e.display_name AS ecf_display_name \
     FROM link_flows f \
     LEFT JOIN pacer_accounts p ON p.username = f.pacer_username \
     LEFT JOIN ecf_accounts e ON e.court_id = f.court_id AND e.login = f.ecf_login \
     WHERE f.token_hash = $1 AND f.expires_at > $2";

const RECORD_ECF_VERIFIED: &str = "UPDATE link_flows \
     SET stage = 'ecf_verified', ecf_login = $2, ecf_verified_at = $3, ecf_proven_hash = $4 \
     WHERE flow_id = $1 AND stage IN ('pacer_authenticated', 'ecf_verified') \
     AND expires_at > $3";

/// [`INSERT_FLOW`] giving back the sign-in that started the flow ($8, $9)
/// at its start ($6).
static INSERT_FLOW_GIVING_BACK: LazyLock<String> =
    LazyLock::new(|| giving_back(INSERT_FLOW, "$8", "$9", "$6"));

/// [`RECORD_ECF_VERIFIED`] giving back the CM/ECF sign-in ($5, $6) at $3.
static RECORD_ECF_VERIFIED_GIVING_BACK: LazyLock<String> =
    LazyLock::new(|| giving_back(RECORD_ECF_VERIFIED, "$5", "$6", "$3"));

fn giving_back(write: &str, kind: &str, subject: &str, now: &str) -> String {
    format!(
        "WITH given_back AS ({}) {write}",
        give_back(kind, subject, now)
    )
}

/// A statement of dialect `D`, its parameters not yet bound.
type Query<'q, D> = sqlx::query::Query<'q, <D as Dialect>::Db, Args<D>>;

/// The statement of a write a successful sign-in's give-back may ride
/// along with: `plain` alone, or `with_give_back` (the same write with the
/// give-back in its `WITH` clause, the subject's placeholders after the
/// write's own) where the dialect allows it.
fn write_sql<D: Dialect>(
    plain: &'static str,
    with_give_back: &'static LazyLock<String>,
    give_back: bool,
) -> &'static str {
    if give_back && D::WRITES_IN_WITH {
        LazyLock::force(with_give_back).as_str()
    } else {
        plain
    }
}

/// Runs `write` (its own parameters bound, its statement from
/// [`write_sql`]) and gives back `give_back`'s attempt in the same commit,
/// so a sign-in costs one commit less.
async fn run_giving_back<'q, D>(
    store: &D,
    write: Query<'q, D>,
    give_back: Option<(&'q SignInSubject, DateTime<Utc>)>,
) -> Result<<D::Db as sqlx::Database>::QueryResult, StoreError>
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db>,
{
    let Some((subject, now)) = give_back else {
        return write.execute(store.pool()).await.map_err(traced_error::<D>);
    };
    if D::WRITES_IN_WITH {
        return write
            .bind(subject.kind)
            .bind(subject.subject.as_str())
            .execute(store.pool())
            .await
            .map_err(traced_error::<D>);
    }
    let mut tx = store.pool().begin().await.map_err(traced_error::<D>)?;
    sqlx::query(CLEAR_FAILURES.as_str())
        .bind(subject.kind)
        .bind(subject.subject.as_str())
        .bind(D::time_param(now))
        .execute(&mut *tx)
        .await
        .map_err(traced_error::<D>)?;
    let done = write.execute(&mut *tx).await.map_err(traced_error::<D>)?;
    tx.commit().await.map_err(traced_error::<D>)?;
    Ok(done)
}

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
    async fn create_flow(
        &self,
        flow: &NewFlow,
        give_back: Option<&SignInSubject>,
    ) -> Result<(), StoreError> {
        let _writer = self.write_guard().await;
        let sql = write_sql::<D>(INSERT_FLOW, &INSERT_FLOW_GIVING_BACK, give_back.is_some());
        let write = sqlx::query(sql)
            .bind(flow.id)
            .bind(flow.token_hash.0.as_slice())
            .bind(flow.court_id.as_str())
            .bind(flow.pacer_username.as_str())
            .bind(flow.client_code.as_deref())
            .bind(D::time_param(flow.created_at))
            .bind(D::time_param(flow.expires_at));
        let give_back = give_back.map(|subject| (subject, flow.created_at));
        run_giving_back(self, write, give_back).await?;
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
            otel.name = "SELECT link_flows",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "link_flows",
            code.function.name = "live_flow_names",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn live_flow_names(
        &self,
        token: &FlowTokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<FlowNames>, StoreError> {
        let Some(row) = sqlx::query(SELECT_LIVE_FLOW_NAMES)
            .bind(token.0.as_slice())
            .bind(D::time_param(now))
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?
        else {
            return Ok(None);
        };
        Ok(Some(FlowNames {
            flow: Rows::<D>::flow(&row)?,
            pacer_display_name: Rows::<D>::parse_opt(
                &row,
                "pacer_display_name",
                DisplayName::parse,
            )?,
            ecf_display_name: Rows::<D>::parse_opt(&row, "ecf_display_name", DisplayName::parse)?,
        }))
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
        give_back: Option<&SignInSubject>,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_guard().await;
        let sql = write_sql::<D>(
            RECORD_ECF_VERIFIED,
            &RECORD_ECF_VERIFIED_GIVING_BACK,
            give_back.is_some(),
        );
        let write = sqlx::query(sql)
            .bind(flow_id)
            .bind(login.as_str())
            .bind(D::time_param(now))
            .bind(proven_hash);
        let done = run_giving_back(self, write, give_back.map(|s| (s, now))).await?;
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
