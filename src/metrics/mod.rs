//! Prometheus metrics, served on their own HTTP port
//! (`PACER_LINK_METRICS_LISTEN`) at `/metrics`. One process-wide registry, as
//! Prometheus clients conventionally keep, so every layer can count without
//! threading a handle through it.
use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

use crate::store::Store;

mod grpc;
mod process;

pub use grpc::{GrpcCallLabels, GrpcLabels, GrpcMetrics, GrpcType, go_code_name};

/// Labels of a finished RPC.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcLabels {
    /// The proto service, e.g. `court.identity.v1.AccountLinkService`.
    pub service: &'static str,
    /// The method, e.g. `AuthenticatePacer`.
    pub method: &'static str,
    /// The gRPC status code name, e.g. `OK`, `UNAUTHENTICATED`.
    pub code: &'static str,
    /// The caller: a caller the policy lists, `anonymous` or `other`.
    pub caller: Arc<str>,
}

/// Labels of an RPC's latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabels {
    /// The proto service.
    pub service: &'static str,
    /// The method.
    pub method: &'static str,
    /// The caller, as in [`RpcLabels::caller`].
    pub caller: Arc<str>,
}

/// Which table a purge removed rows from.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PurgeLabels {
    /// `link_flows`, `sign_in_failures` or `audit_events`.
    pub table: &'static str,
}

/// The running build.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    commit: &'static str,
}

/// A database pool's state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// `in_use` or `idle`.
    pub state: &'static str,
}

/// Every metric the service exports.
pub struct Metrics {
    registry: Registry,
    /// Finished RPCs by service, method and status code.
    pub rpc_requests: Family<RpcLabels, Counter>,
    /// RPC latency in seconds, until the call ends (a stream's last message).
    pub rpc_duration: Family<MethodLabels, Histogram>,
    /// Password hashes waiting for a hashing slot.
    pub hash_queue_depth: Gauge,
    /// Time a hash waited for a slot, in seconds.
    pub hash_wait: Histogram,
    /// Time a hash took once running, in seconds.
    pub hash_duration: Histogram,
    /// Database connections by state, sampled at scrape time.
    pub db_connections: Family<PoolLabels, Gauge>,
    /// Calls that found no database connection within the acquire timeout.
    pub db_unavailable: Counter,
    /// Accounts locked after repeated failed sign-ins.
    pub lockouts: Counter,
    /// Sign-ins refused because the hashing queue was full.
    pub hash_shed: Counter,
    /// Calls refused by the per-source rate limit.
    pub source_throttled: Counter,
    /// Calls refused because the caller policy does not grant them.
    pub callers_not_allowed: Counter,
    /// Audit events that could not be written.
    pub audit_failures: Counter,
    /// Stored password hashes upgraded to the configured parameters.
    pub rehashes: Counter,
    /// Links confirmed by this process.
    pub links: Counter,
    /// Links removed by this process.
    pub unlinks: Counter,
    /// Rows removed by housekeeping, by table.
    pub purged_rows: Family<PurgeLabels, Counter>,
    /// Open WatchLinkEvents streams.
    pub event_streams: Gauge,
    /// How far behind the newest event a stream was when it delivered one, in events.
    pub event_stream_lag: Histogram,
    /// Seconds from an event's commit to its delivery on a stream.
    pub event_delivery_delay: Histogram,
    /// 1 while the readiness monitor reaches the database, 0 otherwise.
    pub database_up: Gauge,
    /// The families gRPC dashboards read (`grpc_server_*`).
    pub grpc: GrpcMetrics,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ])
}

impl Metrics {
    fn new() -> Self {
        let mut root = Registry::default();
        let grpc = GrpcMetrics::default();
        grpc.register(&mut root);
        root.register_collector(Box::new(process::ProcessCollector::started_now()));
        let registry = root.sub_registry_with_prefix("pacer_link");
        let metrics = Self {
            rpc_requests: Family::default(),
            rpc_duration: Family::new_with_constructor(latency_histogram),
            hash_queue_depth: Gauge::default(),
            hash_wait: latency_histogram(),
            hash_duration: latency_histogram(),
            db_connections: Family::default(),
            db_unavailable: Counter::default(),
            lockouts: Counter::default(),
            hash_shed: Counter::default(),
            source_throttled: Counter::default(),
            callers_not_allowed: Counter::default(),
            audit_failures: Counter::default(),
            rehashes: Counter::default(),
            links: Counter::default(),
            unlinks: Counter::default(),
            purged_rows: Family::default(),
            event_streams: Gauge::default(),
            event_stream_lag: Histogram::new([0.0, 1.0, 10.0, 100.0, 1000.0, 10000.0]),
            event_delivery_delay: latency_histogram(),
            database_up: Gauge::default(),
            grpc,
            registry: Registry::default(),
        };
        registry.register(
            "rpc_requests",
            "Finished RPCs by service, method, gRPC status code and caller",
            metrics.rpc_requests.clone(),
        );
        registry.register(
            "rpc_duration_seconds",
            "RPC latency until the call ends",
            metrics.rpc_duration.clone(),
        );
        registry.register(
            "password_hash_queue_depth",
            "Password hashes waiting for a hashing slot",
            metrics.hash_queue_depth.clone(),
        );
        registry.register(
            "password_hash_wait_seconds",
            "Time a password hash waited for a slot",
            metrics.hash_wait.clone(),
        );
        registry.register(
            "password_hash_seconds",
            "Time a password hash took once running",
            metrics.hash_duration.clone(),
        );
        registry.register(
            "db_connections",
            "Database connections by state",
            metrics.db_connections.clone(),
        );
        registry.register(
            "db_unavailable",
            "Calls that got no database connection in time",
            metrics.db_unavailable.clone(),
        );
        registry.register(
            "lockouts",
            "Accounts locked after repeated failed sign-ins",
            metrics.lockouts.clone(),
        );
        registry.register(
            "hash_shed",
            "Sign-ins refused because the hashing queue was full",
            metrics.hash_shed.clone(),
        );
        registry.register(
            "source_throttled",
            "Calls refused by the per-source rate limit",
            metrics.source_throttled.clone(),
        );
        registry.register(
            "purged_rows",
            "Rows removed by housekeeping, by table",
            metrics.purged_rows.clone(),
        );
        registry.register(
            "callers_not_allowed",
            "Calls refused because the caller policy does not grant them",
            metrics.callers_not_allowed.clone(),
        );
        registry.register(
            "audit_failures",
            "Audit events that could not be written",
            metrics.audit_failures.clone(),
        );
        registry.register(
            "rehashes",
            "Stored password hashes upgraded to the configured parameters",
            metrics.rehashes.clone(),
        );
        registry.register("links", "Links confirmed", metrics.links.clone());
        registry.register("unlinks", "Links removed", metrics.unlinks.clone());
        registry.register(
            "event_streams",
            "Open WatchLinkEvents streams",
            metrics.event_streams.clone(),
        );
        registry.register(
            "event_stream_lag_events",
            "Events between a stream's delivery and the newest event",
            metrics.event_stream_lag.clone(),
        );
        registry.register(
            "event_delivery_delay_seconds",
            "Time from an event's commit to its delivery",
            metrics.event_delivery_delay.clone(),
        );
        registry.register(
            "database_up",
            "1 while the database answers the readiness ping, 0 otherwise",
            metrics.database_up.clone(),
        );
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                commit: env!("PACER_LINK_BUILD_COMMIT"),
            })
            .set(1);
        registry.register(
            "build_info",
            "The running build: crate version and source commit",
            build_info,
        );
        Self {
            registry: root,
            ..metrics
        }
    }

    /// The registry's current values in the OpenMetrics text format
    /// (served as [`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The media type of [`Metrics::render`]'s output: prometheus-client writes
/// OpenMetrics (with its `# EOF` line), not the older Prometheus text format.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Serves `/metrics` on `addr` until `stop` resolves; samples the pool state per scrape.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::{Router, routing::get};
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let store = store.clone();
            async move {
                let (in_use, idle) = store.pool_state();
                let m = metrics();
                m.db_connections
                    .get_or_create(&PoolLabels { state: "in_use" })
                    .set(in_use as i64);
                m.db_connections
                    .get_or_create(&PoolLabels { state: "idle" })
                    .set(idle as i64);
                ([("content-type", CONTENT_TYPE)], m.render())
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
}

/// Seconds as a histogram observation.
pub fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}
