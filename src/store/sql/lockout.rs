//! Failed sign-ins in SQL: an optimistic compare-and-set, falling back to a
//! row lock when one account is under a burst of guesses.
use std::marker::PhantomData;
use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};
use uuid::Uuid;

use super::security;
use super::traced_error;
use super::{Args, Conn, Dialect, Row, Value, rows::Rows};
use crate::store::lockout::{FailureRow, after_failure, locked};
use crate::store::{
    FailureOutcome, LockoutPolicy, LockoutStore, PasswordOwner, SecurityRecord, SeenFailures,
    SignInSubject, StoreError,
};

/// Compare-and-set tries before a failure is counted under a row lock.
const FAILURE_CAS_ATTEMPTS: usize = 3;

const FAILURE_COLUMNS: &str =
    "consecutive, last_failure_at, locked_until, lockouts, hour_start, hour_count";

/// `prior_failed_at` keeps the time a success will put back (see [`give_back`]).
const WRITE_FAILURE: &str = "UPDATE sign_in_failures SET consecutive = $3, \
     last_failure_at = $4, prior_failed_at = last_failed_at, last_failed_at = $4, \
     locked_until = $5, lockouts = $6, hour_start = $7, hour_count = $8, \
     version = version + 1 WHERE subject_kind = $1 AND subject = $2 AND version = $9";

/// A subject's first failure, counted as its row is created: one statement
/// where creating an empty row and then counting on it took four. Inserts
/// nothing when a concurrent first failure created the row first; that one
/// is then counted on like any other.
const INSERT_FIRST_FAILURE: &str = "INSERT INTO sign_in_failures (subject_kind, subject, \
     consecutive, last_failure_at, last_failed_at, locked_until, lockouts, hour_start, \
     hour_count) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8) \
     ON CONFLICT (subject_kind, subject) DO NOTHING";

/// A success gives its counted attempt back, and with it the failure time
/// that attempt recorded; `kind`, `subject` and `now` name the statement's
/// placeholders, so that a write it rides along with can number its own.
pub(super) fn give_back(kind: &str, subject: &str, now: &str) -> String {
    format!(
        "UPDATE sign_in_failures SET consecutive = 0, lockouts = 0, \
         locked_until = NULL, last_success_at = {now}, last_failed_at = prior_failed_at, \
         hour_count = CASE WHEN hour_count > 0 THEN hour_count - 1 ELSE 0 END, \
         version = version + 1 WHERE subject_kind = {kind} AND subject = {subject}"
    )
}

pub(super) static CLEAR_FAILURES: LazyLock<String> = LazyLock::new(|| give_back("$1", "$2", "$3"));

/// The failure columns and version of a subject's row joined to its
/// account's read as `f` (see [`seen_failures`]).
pub(super) fn joined_failure_columns() -> String {
    let columns = FAILURE_COLUMNS.split(", ").chain(["version"]);
    let joined: Vec<String> = columns.map(|column| format!("f.{column}")).collect();
    joined.join(", ")
}

/// The failure state of a row read with [`joined_failure_columns`].
pub(super) fn seen_failures<D>(row: &Row<D>) -> Result<SeenFailures, StoreError>
where
    D: Dialect,
    for<'a> &'a str: ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    if Rows::<D>::column::<Option<i64>>(row, "version")?.is_none() {
        return Ok(SeenFailures::NoRow);
    }
    let (failures, version) = Failures::<D>::decode(row)?;
    Ok(SeenFailures::Row(failures, version))
}

fn select_failure_row() -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!(
        "SELECT {FAILURE_COLUMNS}, version FROM sign_in_failures \
         WHERE subject_kind = $1 AND subject = $2"
    ))
}

/// Creates or locks the row in one statement and returns it.
fn lock_failure_row() -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!(
        "INSERT INTO sign_in_failures (subject_kind, subject, consecutive, last_failure_at, \
         locked_until, lockouts, hour_start, hour_count) VALUES ($1, $2, 0, $3, NULL, 0, $3, 0) \
         ON CONFLICT (subject_kind, subject) \
         DO UPDATE SET consecutive = sign_in_failures.consecutive \
         RETURNING {FAILURE_COLUMNS}, version"
    ))
}

/// The failure-row statements of dialect `D`.
struct Failures<D>(PhantomData<D>);

impl<D> Failures<D>
where
    D: Dialect,
    for<'a> &'a str: ColumnIndex<Row<D>>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    fn decode(row: &Row<D>) -> Result<(FailureRow, i64), StoreError> {
        let failures = FailureRow {
            consecutive: Rows::<D>::column(row, "consecutive")?,
            last_failure_at: D::time_column(row, "last_failure_at")?,
            locked_until: D::time_column_opt(row, "locked_until")?,
            lockouts: Rows::<D>::column(row, "lockouts")?,
            hour_start: D::time_column(row, "hour_start")?,
            hour_count: Rows::<D>::column(row, "hour_count")?,
        };
        Ok((failures, Rows::<D>::column(row, "version")?))
    }
}

impl<D> Failures<D>
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    Option<D::Time>: for<'q> Encode<'q, D::Db>,
    String: Value<D::Db>,
    i64: Value<D::Db>,
    bool: Value<D::Db>,
    Uuid: Value<D::Db>,
{
    /// A subject's failure state and its version, if it has a row.
    async fn read<'e, E>(
        executor: E,
        subject: &SignInSubject,
    ) -> Result<Option<(FailureRow, i64)>, StoreError>
    where
        E: Executor<'e, Database = D::Db>,
    {
        sqlx::query(select_failure_row())
            .bind(subject.kind)
            .bind(subject.subject.as_str())
            .fetch_optional(executor)
            .await
            .map_err(traced_error::<D>)?
            .map(|row| Self::decode(&row))
            .transpose()
    }

    /// `sql` with the subject bound as $1-$2 and `row` as $3-$8, the order
    /// both the write and the first insert take them in.
    fn with_row<'q>(
        sql: &'static str,
        subject: &'q SignInSubject,
        row: &FailureRow,
    ) -> sqlx::query::Query<'q, D::Db, Args<D>> {
        sqlx::query(sql)
            .bind(subject.kind)
            .bind(subject.subject.as_str())
            .bind(row.consecutive)
            .bind(D::time_param(row.last_failure_at))
            .bind(row.locked_until.map(D::time_param))
            .bind(row.lockouts)
            .bind(D::time_param(row.hour_start))
            .bind(row.hour_count)
    }

    /// Stores `next` if the row is still at `version`; false if it moved on.
    async fn write<'e, E>(
        executor: E,
        subject: &SignInSubject,
        next: &FailureRow,
        version: i64,
    ) -> Result<bool, StoreError>
    where
        E: Executor<'e, Database = D::Db>,
    {
        let done = Self::with_row(WRITE_FAILURE, subject, next)
            .bind(version)
            .execute(executor)
            .await
            .map_err(traced_error::<D>)?;
        Ok(D::rows_affected(&done) == 1)
    }

    /// Counts a subject's first failure by creating its row; `None` when a
    /// concurrent first failure created it first.
    async fn insert_first<'e, E>(
        executor: E,
        subject: &SignInSubject,
        now: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<Option<FailureOutcome>, StoreError>
    where
        E: Executor<'e, Database = D::Db>,
    {
        let (first, outcome) = after_failure(&FailureRow::none_yet(now), now, policy);
        let done = Self::with_row(INSERT_FIRST_FAILURE, subject, &first)
            .execute(executor)
            .await
            .map_err(traced_error::<D>)?;
        Ok((D::rows_affected(&done) == 1).then_some(outcome))
    }

    /// Counts a failure under the row's lock, so concurrent ones queue and
    /// none is lost.
    async fn record_locked(
        store: &D,
        subject: &SignInSubject,
        now: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<FailureOutcome, StoreError> {
        let mut tx = store.pool().begin().await.map_err(traced_error::<D>)?;
        let row = sqlx::query(lock_failure_row())
            .bind(subject.kind)
            .bind(subject.subject.as_str())
            .bind(D::time_param(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(traced_error::<D>)?;
        let (failures, version) = Self::decode(&row)?;
        let (next, outcome) = after_failure(&failures, now, policy);
        if outcome != FailureOutcome::AlreadyLocked
            && !Self::write(&mut *tx, subject, &next, version).await?
        {
            return Err(StoreError::Internal("a locked failure row changed".into()));
        }
        tx.commit().await.map_err(traced_error::<D>)?;
        Ok(outcome)
    }
}

#[async_trait]
impl<D> LockoutStore for D
where
    D: Dialect,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<Row<D>>,
    Option<D::Time>: for<'q> Encode<'q, D::Db>,
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
            otel.name = "SELECT sign_in_failures",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "sign_in_failures",
            code.function.name = "is_locked",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn is_locked(
        &self,
        subject: &SignInSubject,
        now: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<bool, StoreError> {
        Ok(Failures::<D>::read(self.pool(), subject)
            .await?
            .is_some_and(|(row, _)| locked(&row, now, policy)))
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "INSERT sign_in_failures",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "INSERT",
            db.collection.name = "sign_in_failures",
            code.function.name = "record_failure",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn record_failure_seen(
        &self,
        subject: &SignInSubject,
        seen: &SeenFailures,
        now: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<FailureOutcome, StoreError> {
        let _writer = self.write_guard().await;
        // Fast path: read the row (or start from the state read with the
        // account), work out the next state, and write it only if nobody
        // wrote in between (the version): at most two statements and one
        // commit, where a locking transaction takes four round trips.
        let mut seen = seen.clone();
        for _ in 0..FAILURE_CAS_ATTEMPTS {
            let current = match std::mem::take(&mut seen) {
                SeenFailures::NotRead => Failures::<D>::read(self.pool(), subject).await?,
                SeenFailures::NoRow => None,
                SeenFailures::Row(row, version) => Some((row, version)),
            };
            let Some((row, version)) = current else {
                if let Some(outcome) =
                    Failures::<D>::insert_first(self.pool(), subject, now, policy).await?
                {
                    return Ok(outcome);
                }
                continue;
            };
            let (next, outcome) = after_failure(&row, now, policy);
            if outcome == FailureOutcome::AlreadyLocked
                || Failures::<D>::write(self.pool(), subject, &next, version).await?
            {
                return Ok(outcome);
            }
        }
        // Contended (a burst of guesses at one account): the upsert locks
        // the row, so the others queue here and none is lost.
        Failures::<D>::record_locked(self, subject, now, policy).await
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "DELETE sign_in_failures",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "DELETE",
            db.collection.name = "sign_in_failures",
            code.function.name = "clear_failures",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn clear_failures(
        &self,
        subject: &SignInSubject,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _writer = self.write_guard().await;
        sqlx::query(CLEAR_FAILURES.as_str())
            .bind(subject.kind)
            .bind(subject.subject.as_str())
            .bind(D::time_param(now))
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
            otel.name = "SELECT sign_in_failures",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "SELECT",
            db.collection.name = "sign_in_failures",
            code.function.name = "security",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn security(
        &self,
        account: &PasswordOwner,
    ) -> Result<Option<SecurityRecord>, StoreError> {
        let (sql, params) = security::statement(account);
        let mut query = sqlx::query::<D::Db>(sql);
        for param in params {
            query = query.bind(param);
        }
        let Some(row) = query
            .fetch_optional(self.pool())
            .await
            .map_err(traced_error::<D>)?
        else {
            return Ok(None);
        };
        let failures = match Rows::<D>::column::<Option<i64>>(&row, "version")? {
            Some(_) => Some(Failures::<D>::decode(&row)?.0),
            None => None,
        };
        security::record::<D>(&row, failures).map(Some)
    }

    #[tracing::instrument(
        name = "db",
        level = "info",
        skip_all,
        fields(
            otel.name = "DELETE sign_in_failures",
            otel.kind = "client",
            db.system.name = D::SYSTEM,
            db.namespace = %self.namespace(),
            db.operation.name = "DELETE",
            db.collection.name = "sign_in_failures",
            code.function.name = "unlock",
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    )]
    async fn unlock(&self, subject: &SignInSubject) -> Result<(), StoreError> {
        let _writer = self.write_guard().await;
        sqlx::query(security::UNLOCK)
            .bind(subject.kind)
            .bind(subject.subject.as_str())
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok(())
    }
}
