//! Purging what no longer matters: expired flows, failure rows that no
//! longer affect a lockout, and audit rows past their retention.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// Held while this process does housekeeping; dropping it lets another
/// replica take over (on PostgreSQL it owns the connection holding the
/// advisory lock, so even a crash releases it).
pub struct HousekeepingLock(#[allow(dead_code)] Box<dyn std::any::Any + Send + Sync>);

impl HousekeepingLock {
    /// A lock kept alive by `holder`.
    pub fn new(holder: impl std::any::Any + Send + Sync) -> Self {
        Self(Box::new(holder))
    }
}

/// What a purge removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeTarget {
    /// Flows past their expiry that no link was made from.
    Flows,
    /// Failure rows whose failures are forgotten, with no lock, no open
    /// hourly window and no success on record (made-up usernames, mostly).
    Failures,
    /// Audit rows older than the retention.
    AuditEvents,
    /// Admin requests claimed before their id stops being remembered.
    Requests,
}

impl PurgeTarget {
    /// The metric label.
    pub fn name(self) -> &'static str {
        match self {
            Self::Flows => "link_flows",
            Self::Failures => "sign_in_failures",
            Self::AuditEvents => "audit_events",
            Self::Requests => "admin_requests",
        }
    }
}

/// The moments that decide what is old enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCutoffs {
    /// Now: flows that expired before it, locks that ended before it.
    pub now: DateTime<Utc>,
    /// Failures last seen before this are forgotten by the lockout.
    pub failures_forgotten_before: DateTime<Utc>,
    /// Hourly windows that began before this are closed.
    pub hour_started_before: DateTime<Utc>,
    /// Audit rows before this are past their retention.
    pub audit_before: DateTime<Utc>,
    /// Admin requests claimed before this are forgotten.
    pub requests_before: DateTime<Utc>,
}

/// Purges in small batches.
#[async_trait]
pub trait HousekeepingStore: Send + Sync {
    /// Takes the housekeeping lock, or `None` when another replica holds it.
    async fn housekeeping_lock(&self) -> Result<Option<HousekeepingLock>, StoreError>;

    /// Deletes at most `limit` rows of `target` that `cutoffs` make
    /// purgeable, in one short statement; returns how many.
    async fn purge_batch(
        &self,
        target: PurgeTarget,
        cutoffs: &PurgeCutoffs,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// Deletes at most `limit` audit rows from before `before` whose ids are
    /// above `after`, lowest first; returns how many and the highest id
    /// deleted. Passing that id back makes each batch of a long purge start
    /// where the last one ended, rather than walk the index entries of every
    /// row deleted so far (they stay until vacuum, and a batch that walked
    /// them slowed as the purge went on).
    async fn purge_audit_batch(
        &self,
        before: DateTime<Utc>,
        after: i64,
        limit: u32,
    ) -> Result<(u64, Option<i64>), StoreError>;
}
