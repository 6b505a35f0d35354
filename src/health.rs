//! grpc.health.v1 statuses as Kubernetes probes read them:
//! - `liveness`: SERVING while the process runs (a shallow check; a database
//!   outage must not get pods restarted);
//! - `""` and each service name: SERVING only while the database answers and
//!   the server is not shutting down (readiness).
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

/// Sets the overall status and every service's.
pub async fn set_ready(health: &HealthReporter, ready: bool) {
    let status = if ready {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    };
    health.set_service_status("", status).await;
    for name in SERVICE_NAMES {
        health.set_service_status(name, status).await;
    }
}

/// Keeps readiness in step with the database until `stopping` turns true.
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
                    tracing::info!("database reachable: ready");
                } else {
                    tracing::warn!("database unreachable: not ready");
                }
                set_ready(&health, now_ready).await;
                // Shutdown may have begun while we wrote: it wins.
                if *stopping.borrow() {
                    set_ready(&health, false).await;
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
