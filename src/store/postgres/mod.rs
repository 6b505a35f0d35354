//! The PostgreSQL store, for production: many replicas on one database,
//! uniqueness enforced by constraints, the link made in one transaction.
mod error;

use chrono::{DateTime, Utc};
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions, PgRow},
};

use super::{PoolSettings, StoreError, sql_store::sql_store};
use error::store_error;

/// The migrations for this backend, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL implementation of [`super::Store`].
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Opens a pool lazily: the service starts even while the database is
    /// still coming up, and each call reports `UNAVAILABLE` until it answers.
    pub fn connect_lazy(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e: sqlx::Error| StoreError::Internal(format!("invalid database URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options.application_name("pacer-link"));
        Ok(Self { pool })
    }

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// PostgreSQL serialises writers itself, with row locks and constraints.
    async fn write_guard(&self) {}

    /// sqlx holds a PostgreSQL advisory lock while migrating, so replicas
    /// starting together do not race.
    async fn migrate_now(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => store_error(inner),
            other => StoreError::Internal(other.to_string()),
        })
    }
}

fn time_param(t: DateTime<Utc>) -> DateTime<Utc> {
    t
}

fn time_column(row: &PgRow, column: &str) -> Result<DateTime<Utc>, StoreError> {
    sqlx::Row::try_get(row, column).map_err(store_error)
}

sql_store!(PgStore, PgRow);
