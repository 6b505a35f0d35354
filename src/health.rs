//! grpc.health.v1 statuses as Kubernetes probes and clients read them:
//! - `liveness`: SERVING while the process runs (a shallow check; a database
//!   outage must not get pods restarted);
//! - `""` (the readiness probe's): SERVING while the process can answer,
//!   NOT_SERVING only while it drains. A database outage must not take every
//!   replica out of the Service at once: status answers keep coming from the
//!   cache, and calls that need the database answer UNAVAILABLE fast;
//! - each service name: SERVING only while the database answers and the
//!   server is not draining (also exported as `pacer_link_database_up`).
use std::{sync::Arc, time::Duration};

use tokio::sync::watch;
use tonic_health::{ServingStatus, server::HealthReporter};

use crate::store::Store;

/// The health service name of the shallow liveness check.
pub const LIVENESS: &str = "liveness";

/// The services whose status follows readiness.
pub const SERVICE_NAMES: [&str; 4] = [
    "court.identity.v1.AccountLinkService",
    "court.identity.v1.AccountAdminService",
    "court.identity.v1.LinkStatusService",
    "court.identity.v1.FilerAuthService",
];

/// How often the database is pinged for readiness, and how long a ping may take.
const CHECK_EVERY: Duration = Duration::from_secs(1);
const PING_TIMEOUT: Duration = Duration::from_secs(2);

fn serving(yes: bool) -> ServingStatus {
    if yes {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    }
}

/// Sets the overall status: SERVING until the drain begins.
pub async fn set_serving(health: &HealthReporter, yes: bool) {
    health.set_service_status("", serving(yes)).await;
    if !yes {
        set_database_up(health, false).await;
    }
}

/// Sets every service's status (and the gauge) from the database's state.
pub async fn set_database_up(health: &HealthReporter, up: bool) {
    crate::metrics::metrics().database_up.set(i64::from(up));
    for name in SERVICE_NAMES {
        health.set_service_status(name, serving(up)).await;
    }
}

/// Keeps the services' statuses in step with the database until `stopping`
/// turns true.
pub fn spawn_readiness_monitor(
    health: HealthReporter,
    store: Arc<dyn Store>,
    mut stopping: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        let mut ready = None;
        loop {
            if *stopping.borrow() {
                return;
            }
            let now_ready = matches!(
                tokio::time::timeout(PING_TIMEOUT, store.ping()).await,
                Ok(Ok(()))
            );
            if ready != Some(now_ready) && !*stopping.borrow() {
                if now_ready {
                    tracing::info!("database reachable: services serving");
                } else {
                    tracing::warn!("database unreachable: services not serving");
                }
                set_database_up(&health, now_ready).await;
                // Shutdown may have begun while we wrote: it wins.
                if *stopping.borrow() {
                    set_database_up(&health, false).await;
                    return;
                }
                ready = Some(now_ready);
            }
            tokio::select! {
                () = tokio::time::sleep(CHECK_EVERY) => {}
                _ = stopping.changed() => return,
            }
        }
    });
}
