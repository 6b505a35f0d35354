//! Storage behind traits, so handlers never see a database and a second
//! backend slots in without touching them. Each aggregate has its own trait
//! and records; [`Store`] is all of them. Every implementation must pass the
//! conformance suite in `tests/store.rs` (on both backends).
mod accounts;
mod audit;
mod coverage;
mod error;
mod events;
mod flows;
mod housekeeping;
mod import;
pub mod lockout;
pub mod postgres;
mod requests;
mod second_factor;
mod security;
mod sql;
pub mod sqlite;
mod statuses;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;

pub use accounts::{
    AccountKey, AccountStatus, AccountStore, CourtRecord, EcfAccountRecord, EcfSignIn, NewCourt,
    NewEcfAccount, NewPacerAccount, PacerAccountRecord, PacerSignIn, PasswordOwner, SignInRead,
};
pub use audit::{AuditCursor, AuditFilter, AuditRecord, AuditStore, NewAuditEvent};
pub use coverage::{CoverageCounts, CoverageStore, EcfAccountListing, LinkStateFilter};
pub use error::{Conflict, StoreError};
pub use events::{EventStore, LinkEventKind, LinkEventRecord};
pub use flows::{
    ConfirmOutcome, FlowNames, FlowRecord, FlowStage, FlowStore, LinkRecord, NewFlow, ResetOutcome,
    UnlinkOutcome,
};
pub use housekeeping::{HousekeepingLock, HousekeepingStore, PurgeCutoffs, PurgeTarget};
pub use import::{ImportAccount, ImportMode, ImportResult, ImportStore};
pub use lockout::{FailureOutcome, LockoutPolicy, LockoutStore, SeenFailures, SignInSubject};
pub use requests::{Claimed, RequestKey, RequestStore};
pub use second_factor::{SecondFactorStore, TotpEnrollment};
pub use security::SecurityRecord;
pub use statuses::StatusStore;

/// The store traits, for callers of a `dyn Store`'s methods.
pub mod prelude {
    pub use super::{
        AccountStore, AuditStore, CoverageStore, EventStore, FlowStore, HousekeepingStore,
        ImportStore, LockoutStore, SecondFactorStore, StatusStore, Store,
    };
}

/// How a store's pool connects and how long a caller may wait for a connection.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Upper bound on open connections.
    pub max_connections: u32,
    /// How long a call waits for a connection before failing `UNAVAILABLE`.
    /// Short on purpose: a caller is better served by a fast error it can
    /// retry than by sqlx's 30 s default while the database is down.
    pub acquire_timeout: Duration,
}

/// The default embedded database file, used when no URL is configured.
pub const DEFAULT_SQLITE_URL: &str = "sqlite://pacer-link.db";

/// Which backend a database URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`: production, any number of replicas.
    Postgres,
    /// `sqlite:`: embedded, a single instance.
    Sqlite,
}

impl Backend {
    /// The backend a URL names, or an error naming the URL's scheme.
    pub fn of(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(format!(
                "DATABASE_URL scheme {scheme:?} is not supported (use postgres:// or sqlite:)"
            ))
        }
    }
}

/// Opens the store a URL names. PostgreSQL connects lazily (the service may
/// start before its database); SQLite opens its file at once.
pub async fn open(url: &str, settings: &PoolSettings) -> Result<Arc<dyn Store>, StoreError> {
    match Backend::of(url).map_err(StoreError::Internal)? {
        Backend::Postgres => Ok(Arc::new(postgres::PgStore::connect_lazy(url, settings)?)),
        Backend::Sqlite => Ok(Arc::new(sqlite::SqliteStore::open(url, settings).await?)),
    }
}

/// The persistent state of courts, accounts, flows and links: every
/// aggregate's trait, and the lifecycle of the connection pool.
#[async_trait]
pub trait Store:
    AccountStore
    + FlowStore
    + LockoutStore
    + SecondFactorStore
    + AuditStore
    + EventStore
    + ImportStore
    + CoverageStore
    + HousekeepingStore
    + RequestStore
    + StatusStore
    + 'static
{
    /// Applies pending migrations of this backend.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Closes every connection.
    async fn close(&self);
    /// Connections in use and idle, for metrics.
    fn pool_state(&self) -> (u32, usize);
    /// Whether the database answers; used by readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;
}
