//! The second factor in SQL.
use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};

use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value};
use crate::domain::PacerUsername;
use crate::store::{SecondFactorStore, StoreError};

const SET_TOTP: &str =
    "UPDATE pacer_accounts SET totp_secret = $2, totp_last_step = NULL WHERE username = $1";

/// Claims a step only if it is later than every step claimed before.
const CLAIM_TOTP_STEP: &str = "UPDATE pacer_accounts SET totp_last_step = $2 \
     WHERE username = $1 AND totp_secret IS NOT NULL \
     AND (totp_last_step IS NULL OR totp_last_step < $2)";

const COUNT_ENROLLED: &str = "SELECT count(*) FROM pacer_accounts WHERE totp_secret IS NOT NULL";

#[async_trait]
impl<D> SecondFactorStore for D
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db>,
    for<'a> &'a [u8]: Encode<'a, D::Db> + Type<D::Db>,
    for<'a> Option<&'a [u8]>: Encode<'a, D::Db>,
    i64: Value<D::Db>,
    usize: ColumnIndex<Row<D>>,
{
    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "UPDATE pacer_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "UPDATE",
            db.collection.name = "pacer_accounts",
            code.function.name = "set_totp",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn set_totp(
        &self,
        username: &PacerUsername,
        sealed_secret: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_guard().await;
        let done = sqlx::query(SET_TOTP)
            .bind(username.as_str())
            .bind(sealed_secret)
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
            otel.name = "UPDATE pacer_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "UPDATE",
            db.collection.name = "pacer_accounts",
            code.function.name = "claim_totp_step",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn claim_totp_step(
        &self,
        username: &PacerUsername,
        step: i64,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_guard().await;
        let done = sqlx::query(CLAIM_TOTP_STEP)
            .bind(username.as_str())
            .bind(step)
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
            otel.name = "SELECT pacer_accounts",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "pacer_accounts",
            code.function.name = "totp_enrollments",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn totp_enrollments(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar(COUNT_ENROLLED)
            .fetch_one(self.pool())
            .await
            .map_err(traced_error::<D>)
    }
}
