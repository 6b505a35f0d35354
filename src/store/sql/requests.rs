//! Admin requests in SQL: the claim is an insert that the primary key
//! serialises, so two concurrent calls with one id never both run.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Executor, IntoArguments, Row as _};
use uuid::Uuid;

use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value};
use crate::store::{Claimed, RequestKey, RequestStore, StoreError};

const CLAIM: &str = "INSERT INTO admin_requests \
     (operator, request_id, method, digest, response, claimed_at) \
     VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (operator, request_id) DO NOTHING";

const HELD: &str = "SELECT method, digest, response FROM admin_requests \
     WHERE operator = $1 AND request_id = $2";

/// Takes over a claim whose call never answered (its process died).
const TAKE_OVER: &str = "UPDATE admin_requests SET claimed_at = $3 \
     WHERE operator = $1 AND request_id = $2 AND response IS NULL AND claimed_at < $4";

const COMPLETE: &str = "UPDATE admin_requests SET response = $3 \
     WHERE operator = $1 AND request_id = $2";

const RELEASE: &str = "DELETE FROM admin_requests \
     WHERE operator = $1 AND request_id = $2 AND response IS NULL";

#[async_trait]
impl<D> RequestStore for D
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: sqlx::Encode<'a, D::Db> + sqlx::Type<D::Db>,
    for<'a> &'a [u8]: sqlx::Encode<'a, D::Db> + sqlx::Type<D::Db>,
    usize: sqlx::ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    Vec<u8>: Value<D::Db>,
    Option<Vec<u8>>: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "INSERT admin_requests",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "INSERT",
            db.collection.name = "admin_requests",
            code.function.name = "claim_request",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn claim_request(
        &self,
        key: &RequestKey,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Claimed, StoreError> {
        let _writer = self.write_guard().await;
        let inserted = sqlx::query(CLAIM)
            .bind(key.operator.as_str())
            .bind(key.request_id)
            .bind(key.method)
            .bind(&key.digest[..])
            .bind(D::time_param(now))
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        if D::rows_affected(&inserted) == 1 {
            return Ok(Claimed::New);
        }
        let row = sqlx::query(HELD)
            .bind(key.operator.as_str())
            .bind(key.request_id)
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        // Released between the insert and this read: the caller retries.
        let Some(row) = row else {
            return Ok(Claimed::Running);
        };
        let method: String = row.try_get(0).map_err(traced_error::<D>)?;
        let digest: Vec<u8> = row.try_get(1).map_err(traced_error::<D>)?;
        let response: Option<Vec<u8>> = row.try_get(2).map_err(traced_error::<D>)?;
        if method != key.method || digest != key.digest {
            return Ok(Claimed::Mismatch);
        }
        if let Some(response) = response {
            return Ok(Claimed::Done(response));
        }
        let taken = sqlx::query(TAKE_OVER)
            .bind(key.operator.as_str())
            .bind(key.request_id)
            .bind(D::time_param(now))
            .bind(D::time_param(stale_before))
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok(if D::rows_affected(&taken) == 1 {
            Claimed::New
        } else {
            Claimed::Running
        })
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "UPDATE admin_requests",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "UPDATE",
            db.collection.name = "admin_requests",
            code.function.name = "complete_request",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn complete_request(&self, key: &RequestKey, response: &[u8]) -> Result<(), StoreError> {
        let _writer = self.write_guard().await;
        sqlx::query(COMPLETE)
            .bind(key.operator.as_str())
            .bind(key.request_id)
            .bind(response)
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
            otel.name = "DELETE admin_requests",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "DELETE",
            db.collection.name = "admin_requests",
            code.function.name = "release_request",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn release_request(&self, key: &RequestKey) -> Result<(), StoreError> {
        let _writer = self.write_guard().await;
        sqlx::query(RELEASE)
            .bind(key.operator.as_str())
            .bind(key.request_id)
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok(())
    }
}
