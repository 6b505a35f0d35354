//! The PostgreSQL store, for production: many replicas on one database,
//! uniqueness enforced by constraints, the link made in one transaction.
mod error;
mod import;
mod outbox;

use chrono::{DateTime, Utc};
use sqlx::{
    PgPool, Postgres, Row as _, Transaction,
    postgres::{PgConnectOptions, PgListener, PgPoolOptions, PgQueryResult, PgRow},
};

use super::{
    HousekeepingLock, LinkEventKind, LinkRecord, NewEcfAccount, NewPacerAccount, PoolSettings,
    StoreError, sql::Dialect,
};
use error::store_error;

/// The migrations for this backend, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The channel on which committed link events are announced to every replica.
const EVENT_CHANNEL: &str = "pacer_link_events";

/// The advisory lock one replica holds while it does housekeeping
/// (an arbitrary constant of this service's own).
const HOUSEKEEPING_LOCK: i64 = 0x7061_6365_726c_6b01;

/// The PostgreSQL implementation of [`super::Store`].
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    database: String,
}

impl PgStore {
    /// Opens a pool lazily: the service starts even while the database is
    /// still coming up, and each call reports `UNAVAILABLE` until it answers.
    pub fn connect_lazy(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse().map_err(StoreError::InvalidUrl)?;
        // PostgreSQL's default database is the user's name.
        let database = options
            .get_database()
            .unwrap_or_else(|| options.get_username())
            .to_owned();
        // sqlx already pings every connection as it returns to the pool, so
        // a connection broken by a server restart is dropped then; a second
        // ping before each use would add a round trip to every statement.
        // One left stale while idle fails its next statement, which maps to
        // a retryable UNAVAILABLE. Connections are also recycled often.
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(false)
            .idle_timeout(std::time::Duration::from_secs(60))
            .max_lifetime(std::time::Duration::from_secs(15 * 60))
            .connect_lazy_with(options.application_name("pacer-link"));
        Ok(Self { pool, database })
    }
}

impl Dialect for PgStore {
    type Db = Postgres;
    type Time = DateTime<Utc>;
    type WriteGuard<'a> = ();

    const SYSTEM: &'static str = "postgresql";
    const WRITES_IN_WITH: bool = true;
    const TEXTS_OF_JSON_2: &'static str = "SELECT jsonb_array_elements_text($2::jsonb)";

    fn namespace(&self) -> &str {
        &self.database
    }

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn time_param(t: DateTime<Utc>) -> DateTime<Utc> {
        t
    }

    fn time_column(row: &PgRow, column: &str) -> Result<DateTime<Utc>, StoreError> {
        row.try_get(column).map_err(store_error)
    }

    fn time_column_opt(row: &PgRow, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        row.try_get(column).map_err(store_error)
    }

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }

    fn store_error(error: sqlx::Error) -> StoreError {
        store_error(error)
    }

    /// PostgreSQL serialises writers itself, with row locks and constraints.
    async fn write_guard(&self) {}

    async fn append_event(
        tx: &mut Transaction<'_, Postgres>,
        kind: LinkEventKind,
        link: &LinkRecord,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        outbox::append_event(tx, kind, link, now).await
    }

    /// NOTIFY is sent inside the transaction, so it is delivered on commit.
    fn after_event_commit(&self) {}

    async fn listen_now(&self, wake: &tokio::sync::Notify) -> Result<(), StoreError> {
        let mut listener = PgListener::connect_with(&self.pool)
            .await
            .map_err(store_error)?;
        listener.listen(EVENT_CHANNEL).await.map_err(store_error)?;
        // Anything committed while we were not listening is picked up by
        // the reader this wakes.
        wake.notify_one();
        loop {
            listener.recv().await.map_err(store_error)?;
            wake.notify_one();
        }
    }

    /// sqlx holds a PostgreSQL advisory lock while migrating, so replicas
    /// starting together do not race.
    async fn migrate_now(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => store_error(inner),
            other => StoreError::Migration(other),
        })
    }

    /// A session-level advisory lock on a connection taken out of the pool:
    /// the lock lives exactly as long as that connection, so dropping the
    /// guard (or the process dying) closes it and frees the lock.
    async fn exclusive_housekeeping(&self) -> Result<Option<HousekeepingLock>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?.detach();
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(HOUSEKEEPING_LOCK)
            .fetch_one(&mut conn)
            .await
            .map_err(store_error)?;
        Ok(locked.then(|| HousekeepingLock::new(conn)))
    }

    async fn insert_new_pacers(
        tx: &mut Transaction<'_, Postgres>,
        accounts: &[&NewPacerAccount],
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        import::insert_new_pacers(tx, accounts, now).await
    }

    async fn insert_new_ecfs(
        tx: &mut Transaction<'_, Postgres>,
        accounts: &[&NewEcfAccount],
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        import::insert_new_ecfs(tx, accounts, now).await
    }
}
