//! Housekeeping: the tables that grow with every sign-in are purged of what
//! no longer matters, on one replica at a time, in small batches.
//!
//! Purged: flows past their expiry that no link was made from; failure rows
//! whose failures the lockout has forgotten (no lock, no open hourly window,
//! no success on record: made-up usernames, mostly); audit rows older than
//! the retention. Never purged: a live flow, a lock, a link, the event
//! outbox (consumers resume from any sequence).
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::store::{PurgeCutoffs, PurgeTarget, Store, StoreError};

/// Rows deleted per statement: small enough that a batch holds its locks
/// for milliseconds, so the sign-in path never waits on it.
pub const BATCH: u32 = 500;

/// Between batches, the database is left to other work.
const PAUSE: Duration = Duration::from_millis(20);

/// How housekeeping is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HousekeepingSettings {
    /// How often the server runs it; `None`: never (a CronJob runs
    /// `pacer-link housekeep` instead).
    pub interval: Option<Duration>,
    /// How long audit rows are kept.
    pub audit_retention: Duration,
}

/// Rows one run purged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Expired flows.
    pub flows: u64,
    /// Forgotten failure rows.
    pub failures: u64,
    /// Audit rows past their retention.
    pub audit_events: u64,
    /// Admin request answers older than a day.
    pub requests: u64,
}

/// Runs housekeeping against a store.
#[derive(Clone)]
pub struct Housekeeper {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    forget_after: Duration,
    audit_retention: Duration,
}

impl Housekeeper {
    /// A housekeeper that forgets failures as the lockout does
    /// (`forget_after`) and keeps audit rows for `audit_retention`.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        forget_after: Duration,
        audit_retention: Duration,
    ) -> Self {
        Self {
            store,
            clock,
            forget_after,
            audit_retention,
        }
    }

    /// One run, unless another replica is running one (`None`).
    pub async fn run_once(&self) -> Result<Option<Purged>, StoreError> {
        let Some(_lock) = self.store.housekeeping_lock().await? else {
            tracing::debug!("housekeeping skipped: another replica holds its lock");
            return Ok(None);
        };
        let now = self.clock.now();
        let before =
            |d: Duration| now - chrono::Duration::from_std(d).unwrap_or(chrono::TimeDelta::MAX);
        let cutoffs = PurgeCutoffs {
            now,
            failures_forgotten_before: before(self.forget_after),
            hour_started_before: before(Duration::from_secs(3600)),
            audit_before: before(self.audit_retention),
            requests_before: before(crate::linking::REQUEST_ID_KEPT_FOR),
        };
        let mut purged = Purged::default();
        for target in [
            PurgeTarget::Flows,
            PurgeTarget::Failures,
            PurgeTarget::AuditEvents,
            PurgeTarget::Requests,
        ] {
            let count = self.purge(target, &cutoffs).await?;
            match target {
                PurgeTarget::Flows => purged.flows = count,
                PurgeTarget::Failures => purged.failures = count,
                PurgeTarget::AuditEvents => purged.audit_events = count,
                PurgeTarget::Requests => purged.requests = count,
            }
        }
        tracing::info!(
            flows = purged.flows,
            failures = purged.failures,
            audit_events = purged.audit_events,
            requests = purged.requests,
            "housekeeping done"
        );
        Ok(Some(purged))
    }

    async fn purge(&self, target: PurgeTarget, cutoffs: &PurgeCutoffs) -> Result<u64, StoreError> {
        let mut total = 0;
        // The audit purge continues above the last id it deleted (see
        // `purge_audit_batch`); the other tables' backlogs are small.
        let mut audit_after = 0;
        loop {
            let deleted = if target == PurgeTarget::AuditEvents {
                let (deleted, last) = self
                    .store
                    .purge_audit_batch(cutoffs.audit_before, audit_after, BATCH)
                    .await?;
                audit_after = last.unwrap_or(audit_after);
                deleted
            } else {
                self.store.purge_batch(target, cutoffs, BATCH).await?
            };
            total += deleted;
            crate::metrics::metrics()
                .purged_rows
                .get_or_create(&crate::metrics::PurgeLabels {
                    table: target.name(),
                })
                .inc_by(deleted);
            if deleted < u64::from(BATCH) {
                return Ok(total);
            }
            tokio::time::sleep(PAUSE).await;
        }
    }

    /// Runs every `interval` until `stop` turns true; a failed run is
    /// logged and retried at the next one.
    pub fn spawn(self, interval: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.changed() => return,
                    () = tokio::time::sleep(interval) => {}
                }
                if let Err(error) = self.run_once().await {
                    tracing::warn!(%error, "housekeeping failed; retried at the next run");
                }
            }
        });
    }
}
