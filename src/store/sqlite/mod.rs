//! The embedded SQLite store: zero set-up, one instance only. Writers are
//! serialised in-process (SQLite allows one writer at a time), so concurrent
//! confirms queue here instead of failing with "database is locked".
mod error;
mod import;
mod outbox;

use std::{str::FromStr, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sqlx::{
    Row as _, Sqlite, SqlitePool, Transaction,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult, SqliteRow,
        SqliteSynchronous,
    },
};
use tokio::sync::{Mutex, MutexGuard};

use super::{
    HousekeepingLock, LinkEventKind, LinkRecord, NewEcfAccount, NewPacerAccount, PoolSettings,
    StoreError, sql::Dialect,
};
use error::store_error;

/// The migrations for this backend, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a connection waits on a lock held by another process (an
/// operator's `sqlite3` shell, a backup) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite implementation of [`super::Store`].
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: Arc<Mutex<()>>,
    committed: Arc<tokio::sync::Notify>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url`: `sqlite:path`,
    /// `sqlite://path` or `sqlite::memory:`.
    pub async fn open(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::InvalidUrl)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool_options = SqlitePoolOptions::new().acquire_timeout(settings.acquire_timeout);
        let pool = if in_memory {
            // Each connection to :memory: is its own database: keep exactly
            // one, forever.
            pool_options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
        } else {
            pool_options
                .max_connections(settings.max_connections)
                .connect_with(
                    options
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full),
                )
                .await
        }
        .map_err(store_error)?;
        Ok(Self {
            pool,
            writer: Arc::new(Mutex::new(())),
            committed: Arc::new(tokio::sync::Notify::new()),
        })
    }
}

impl Dialect for SqliteStore {
    type Db = Sqlite;
    /// Times are stored as microseconds since the epoch: SQLite has no time
    /// type, and integers compare correctly where text of varying precision
    /// would not.
    type Time = i64;
    type WriteGuard<'a> = MutexGuard<'a, ()>;

    const SYSTEM: &'static str = "sqlite";
    const WRITES_IN_WITH: bool = false;
    const TEXTS_OF_JSON_2: &'static str = "SELECT value FROM json_each($2)";

    /// SQLite's name for the database a connection opened.
    fn namespace(&self) -> &str {
        "main"
    }

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn time_param(t: DateTime<Utc>) -> i64 {
        t.timestamp_micros()
    }

    fn time_column(row: &SqliteRow, column: &str) -> Result<DateTime<Utc>, StoreError> {
        let micros: i64 = row.try_get(column).map_err(store_error)?;
        from_micros(micros, column)
    }

    fn time_column_opt(row: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let micros: Option<i64> = row.try_get(column).map_err(store_error)?;
        micros.map(|m| from_micros(m, column)).transpose()
    }

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }

    fn store_error(error: sqlx::Error) -> StoreError {
        store_error(error)
    }

    async fn write_guard(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().await
    }

    /// Two statements, and nothing to announce inside the transaction
    /// (see `after_event_commit`).
    async fn append_event(
        tx: &mut Transaction<'_, Sqlite>,
        kind: LinkEventKind,
        link: &LinkRecord,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        outbox::append_event(tx, kind, link, now).await
    }

    /// One process owns the file, so the wake-up is in-process.
    fn after_event_commit(&self) {
        self.committed.notify_one();
    }

    async fn listen_now(&self, wake: &tokio::sync::Notify) -> Result<(), StoreError> {
        loop {
            self.committed.notified().await;
            wake.notify_one();
        }
    }

    async fn migrate_now(&self) -> Result<(), StoreError> {
        let _writer = self.write_guard().await;
        MIGRATOR.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => store_error(inner),
            other => StoreError::Migration(other),
        })
    }

    /// One process owns the file: nobody else does housekeeping on it.
    async fn exclusive_housekeeping(&self) -> Result<Option<HousekeepingLock>, StoreError> {
        Ok(Some(HousekeepingLock::new(())))
    }

    async fn insert_new_pacers(
        tx: &mut Transaction<'_, Sqlite>,
        accounts: &[&NewPacerAccount],
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        import::insert_new_pacers(tx, accounts, now).await
    }

    async fn insert_new_ecfs(
        tx: &mut Transaction<'_, Sqlite>,
        accounts: &[&NewEcfAccount],
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        import::insert_new_ecfs(tx, accounts, now).await
    }
}

fn from_micros(micros: i64, column: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Internal(format!("stored {column} is out of range")))
}
