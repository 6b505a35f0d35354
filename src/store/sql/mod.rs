//! The one SQL implementation of the store traits. PostgreSQL and SQLite
//! accept the same statements here (`$N` placeholders, `RETURNING`,
//! `ON CONFLICT`), so each statement and the code around it is written once,
//! generic over a [`Dialect`] that supplies what genuinely differs: how a
//! timestamp is stored, how errors are named, how writers are serialised and
//! how event wake-ups travel.
//!
//! A trait cannot promise "this database encodes `i64`" in a way the
//! compiler carries to its users (bounds on other types are not implied), so
//! each generic `impl` states the sqlx bounds it uses. Both backends meet all
//! of them; a missing one is a compile error at that `impl`, never drift.
mod accounts;
mod audit;
mod changes;
mod coverage;
mod events;
mod flows;
mod housekeeping;
mod import;
mod lockout;
mod requests;
mod rows;
mod second_factor;
mod security;
mod statuses;

use std::future::Future;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Database, Decode, Encode, Executor, IntoArguments, Pool, Transaction, Type};

use super::{
    AccountStore, AuditStore, CoverageStore, EventStore, FlowStore, HousekeepingLock,
    HousekeepingStore, ImportStore, LinkEventKind, LinkRecord, LockoutStore, NewEcfAccount,
    NewPacerAccount, RequestStore, SecondFactorStore, StatusStore, Store, StoreError,
};

/// A row of a dialect's database.
pub type Row<D> = <<D as Dialect>::Db as Database>::Row;
/// A connection of a dialect's database.
pub type Conn<D> = <<D as Dialect>::Db as Database>::Connection;
/// The statement arguments of a dialect's database.
pub type Args<D> = <<D as Dialect>::Db as Database>::Arguments;

/// What differs between the backends; everything else is shared SQL.
pub trait Dialect: Sized + Send + Sync + 'static {
    /// The sqlx database.
    type Db: Database;
    /// A timestamp as this backend binds it.
    type Time: for<'q> Encode<'q, Self::Db> + Type<Self::Db> + Send + 'static;
    /// Held by a writer for the length of its statement or transaction.
    type WriteGuard<'a>: Send
    where
        Self: 'a;

    /// The `db.system.name` of this backend's spans.
    const SYSTEM: &'static str;
    /// Whether a statement may carry an `UPDATE` in its `WITH` clause
    /// (PostgreSQL): two writes then take one round trip and one commit;
    /// otherwise they share a transaction.
    const WRITES_IN_WITH: bool;
    /// A subquery of the texts of a JSON array bound as `$2`: a list of
    /// any length in one statement text, so that it is prepared once per
    /// connection and not once per length.
    const TEXTS_OF_JSON_2: &'static str;

    /// The `db.namespace` of this backend's spans: the database's name.
    fn namespace(&self) -> &str;

    /// The connection pool.
    fn pool(&self) -> &Pool<Self::Db>;
    /// A timestamp as a statement parameter.
    fn time_param(t: DateTime<Utc>) -> Self::Time;
    /// A timestamp column.
    fn time_column(row: &Row<Self>, column: &str) -> Result<DateTime<Utc>, StoreError>;
    /// A nullable timestamp column.
    fn time_column_opt(row: &Row<Self>, column: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// How many rows a statement changed.
    fn rows_affected(done: &<Self::Db as Database>::QueryResult) -> u64;
    /// Names what a database error means, keeping it as the source.
    fn store_error(error: sqlx::Error) -> StoreError;
    /// Serialises writers where the database cannot do it itself.
    fn write_guard(&self) -> impl Future<Output = Self::WriteGuard<'_>> + Send;
    /// Appends a link event to the outbox in `tx` and returns its
    /// sequence, announcing it on commit where the database can. The
    /// counter row stays locked until commit, so sequences are handed out
    /// in commit order without gaps: callers append last, to keep that lock
    /// short.
    fn append_event(
        tx: &mut Transaction<'_, Self::Db>,
        kind: LinkEventKind,
        link: &LinkRecord,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// Announces events after their transaction committed.
    fn after_event_commit(&self);
    /// Wakes `wake` on every announcement until the connection fails.
    fn listen_now(
        &self,
        wake: &tokio::sync::Notify,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Applies this backend's pending migrations.
    fn migrate_now(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Inserts those of `accounts` that are new, in one statement; the
    /// usernames it inserted.
    fn insert_new_pacers(
        tx: &mut Transaction<'_, Self::Db>,
        accounts: &[&NewPacerAccount],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// Inserts those of `accounts` that are new, in one statement; the
    /// (court, login) pairs it inserted.
    fn insert_new_ecfs(
        tx: &mut Transaction<'_, Self::Db>,
        accounts: &[&NewEcfAccount],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;
    /// The housekeeping lock, unless another replica holds it.
    fn exclusive_housekeeping(
        &self,
    ) -> impl Future<Output = Result<Option<HousekeepingLock>, StoreError>> + Send;
}

/// Names a failed statement's error as the dialect does, and marks the
/// current database span as failed (`error.type` names the kind only: a
/// database's message may quote the values it refused).
pub(super) fn traced_error<D: Dialect>(error: sqlx::Error) -> StoreError {
    let error = D::store_error(error);
    let kind = match &error {
        StoreError::Unavailable(_) => Some("DATABASE_UNAVAILABLE"),
        StoreError::Database(_) => Some("DATABASE_ERROR"),
        _ => None,
    };
    if let Some(kind) = kind {
        let span = tracing::Span::current();
        span.record("otel.status_code", "ERROR");
        span.record("error.type", kind);
    }
    error
}

/// A Rust type the database takes as a parameter and returns in a column.
pub trait Value<Db: Database>: for<'q> Encode<'q, Db> + for<'r> Decode<'r, Db> + Type<Db> {}

impl<Db: Database, T> Value<Db> for T where
    T: for<'q> Encode<'q, Db> + for<'r> Decode<'r, Db> + Type<Db>
{
}

#[async_trait]
impl<D> Store for D
where
    D: Dialect + AccountStore + FlowStore + LockoutStore + SecondFactorStore + AuditStore,
    D: EventStore + ImportStore + CoverageStore + HousekeepingStore + RequestStore + StatusStore,
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
{
    async fn migrate(&self) -> Result<(), StoreError> {
        self.migrate_now().await
    }

    async fn close(&self) {
        self.pool().close().await;
    }

    fn pool_state(&self) -> (u32, usize) {
        let idle = self.pool().num_idle();
        (self.pool().size().saturating_sub(idle as u32), idle)
    }

    // Not traced: the readiness monitor pings every second, and a root
    // span a second per replica would bury the real traces.
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(self.pool())
            .await
            .map_err(traced_error::<D>)?;
        Ok(())
    }
}
