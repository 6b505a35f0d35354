//! The methods this server answers, read once from the descriptor set the
//! reflection service serves (plus health and reflection), so that metric
//! labels name only real methods and know each one's streaming shape. Each
//! method keeps its own metric handles, found once rather than looked up in
//! the families on every call.
use std::{collections::HashMap, sync::OnceLock};

use prometheus_client::metrics::{counter::Counter, histogram::Histogram};
use prost::Message;

use crate::metrics::{GrpcCallLabels, GrpcLabels, GrpcType, go_code_name, metrics};

/// A method as metrics and spans label it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MethodInfo {
    /// The proto service, or `unknown` for a service this server lacks.
    pub service: &'static str,
    /// The method, or `unknown` for a method its service lacks.
    pub method: &'static str,
    /// Its streaming shape (`unary` for unknown methods).
    pub kind: GrpcType,
}

/// A method with what every call of it records under.
pub struct Method {
    /// Its labels.
    pub info: MethodInfo,
    /// `<service>/<method>`, the server span's name.
    pub span_name: &'static str,
    /// Whether its span may wait until a call needs it (see
    /// [`super::call_span`]): the unary reads whose success is recorded
    /// nowhere, neither logged nor audited.
    pub defers_span: bool,
    metrics: OnceLock<MethodMetrics>,
}

/// A method's `grpc_server_*` series, created with its first call (so that
/// a method never called shows no series).
pub struct MethodMetrics {
    /// Its labels in the `grpc_server_*` families.
    pub labels: GrpcLabels,
    /// `grpc_server_started`.
    pub started: Counter,
    /// `grpc_server_msg_received`.
    pub received: Counter,
    /// `grpc_server_msg_sent`.
    pub sent: Counter,
    /// `grpc_server_handling_seconds`.
    pub handling: Histogram,
    /// `grpc_server_handled`, by code.
    handled: [OnceLock<Counter>; 17],
}

impl Method {
    fn new(service: &'static str, method: &'static str, kind: GrpcType) -> &'static Self {
        // Built once per process from a fixed descriptor set.
        Box::leak(Box::new(Self {
            info: MethodInfo {
                service,
                method,
                kind,
            },
            span_name: leak(format!("{service}/{method}")),
            defers_span: kind == GrpcType::unary
                && crate::audit::audited(service, method) == crate::audit::Audited::WhenRefused,
            metrics: OnceLock::new(),
        }))
    }

    /// Its series, created on first use.
    pub fn metrics(&self) -> &MethodMetrics {
        self.metrics.get_or_init(|| {
            let labels = GrpcLabels {
                grpc_type: self.info.kind,
                grpc_service: self.info.service,
                grpc_method: self.info.method,
            };
            let grpc = &metrics().grpc;
            MethodMetrics {
                started: grpc.started.get_or_create(&labels).clone(),
                received: grpc.msg_received.get_or_create(&labels).clone(),
                sent: grpc.msg_sent.get_or_create(&labels).clone(),
                handling: grpc.handling_seconds.get_or_create(&labels).clone(),
                handled: Default::default(),
                labels,
            }
        })
    }
}

impl MethodMetrics {
    /// `grpc_server_handled` for calls that ended with `code`.
    pub fn handled(&self, code: tonic::Code) -> Counter {
        let create = || {
            let labels = GrpcCallLabels {
                grpc_type: self.labels.grpc_type,
                grpc_service: self.labels.grpc_service,
                grpc_method: self.labels.grpc_method,
                grpc_code: go_code_name(code),
            };
            metrics().grpc.handled.get_or_create(&labels).clone()
        };
        match self.handled.get(code as usize) {
            Some(slot) => slot.get_or_init(create).clone(),
            None => create(),
        }
    }
}

/// The standard services served beside the contract's own.
const STANDARD: &[(&str, &str, GrpcType)] = &[
    ("grpc.health.v1.Health", "Check", GrpcType::unary),
    ("grpc.health.v1.Health", "Watch", GrpcType::server_stream),
    (
        "grpc.reflection.v1.ServerReflection",
        "ServerReflectionInfo",
        GrpcType::bidi_stream,
    ),
    (
        "grpc.reflection.v1alpha.ServerReflection",
        "ServerReflectionInfo",
        GrpcType::bidi_stream,
    ),
];

const UNKNOWN: &str = "unknown";

struct Table {
    /// By request path.
    methods: HashMap<String, &'static Method>,
    /// Each service's `unknown` method, by service name.
    services: HashMap<String, &'static Method>,
    /// The method of a path no service answers.
    unknown: &'static Method,
}

fn leak(s: String) -> &'static str {
    // Built once per process from a fixed descriptor set.
    Box::leak(s.into_boxed_str())
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Table {
            methods: HashMap::new(),
            services: HashMap::new(),
            unknown: Method::new(UNKNOWN, UNKNOWN, GrpcType::unary),
        };
        let mut add = |service: &str, method: &str, kind: GrpcType| {
            let service_name = table
                .services
                .entry(service.to_owned())
                .or_insert_with(|| Method::new(leak(service.to_owned()), UNKNOWN, GrpcType::unary))
                .info
                .service;
            table.methods.insert(
                format!("/{service}/{method}"),
                Method::new(service_name, leak(method.to_owned()), kind),
            );
        };
        let set = prost_types::FileDescriptorSet::decode(crate::proto::FILE_DESCRIPTOR_SET)
            .expect("the descriptor set compiled in at build time decodes");
        for file in &set.file {
            for service in &file.service {
                let full = format!("{}.{}", file.package(), service.name());
                for method in &service.method {
                    let kind = GrpcType::of(method.client_streaming(), method.server_streaming());
                    add(&full, method.name(), kind);
                }
            }
        }
        for (service, method, kind) in STANDARD {
            add(service, method, *kind);
        }
        table
    })
}

/// The method a request path names. A path no service answers becomes
/// `unknown`/`unknown` and a made-up method of a real service
/// `<service>`/`unknown`, so callers cannot grow the label sets.
pub fn lookup(path: &str) -> &'static Method {
    let table = table();
    if let Some(found) = table.methods.get(path) {
        return found;
    }
    path.trim_start_matches('/')
        .split_once('/')
        .and_then(|(service, _)| table.services.get(service).copied())
        .unwrap_or(table.unknown)
}

/// Whether a method is a health check (not traced: probes would flood
/// the collector with root spans).
pub fn is_health(info: &MethodInfo) -> bool {
    info.service == "grpc.health.v1.Health"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_of_the_contract_is_known_with_its_shape() {
        let watch = lookup("/court.identity.v1.LinkStatusService/WatchLinkEvents").info;
        assert_eq!(watch.method, "WatchLinkEvents");
        assert_eq!(watch.kind, GrpcType::server_stream);
        let import = lookup("/court.identity.v1.AccountAdminService/ImportAccounts").info;
        assert_eq!(import.kind, GrpcType::client_stream);
        let sign_in = lookup("/court.identity.v1.AccountLinkService/AuthenticatePacer").info;
        assert_eq!(sign_in.kind, GrpcType::unary);
        assert!(is_health(&lookup("/grpc.health.v1.Health/Check").info));
    }

    #[test]
    fn only_the_unary_reads_audited_when_refused_defer_their_spans() {
        let defers = |path: &str| lookup(path).defers_span;
        assert!(defers("/court.identity.v1.LinkStatusService/GetLinkStatus"));
        assert!(defers(
            "/court.identity.v1.LinkStatusService/BatchGetLinkStatus"
        ));
        assert!(defers("/court.identity.v1.AccountLinkService/GetCourt"));
        assert!(!defers(
            "/court.identity.v1.LinkStatusService/WatchLinkEvents"
        ));
        assert!(!defers(
            "/court.identity.v1.AccountLinkService/AuthenticatePacer"
        ));
        assert!(!defers(
            "/court.identity.v1.AccountAdminService/ListAuditEvents"
        ));
        assert!(!defers("/evil.Service/Anything"));
    }

    #[test]
    fn made_up_paths_share_the_unknown_labels() {
        let made_up = lookup("/court.identity.v1.AccountLinkService/StealEverything").info;
        assert_eq!(made_up.service, "court.identity.v1.AccountLinkService");
        assert_eq!(made_up.method, "unknown");
        let other = lookup("/evil.Service/Anything").info;
        assert_eq!((other.service, other.method), ("unknown", "unknown"));
        assert_eq!(lookup("no-slash").info.service, "unknown");
    }

    #[test]
    fn a_methods_series_are_the_families_own() {
        let method = lookup("/court.identity.v1.LinkStatusService/GetLinkStatus");
        let series = method.metrics();
        let labels = GrpcCallLabels {
            grpc_type: GrpcType::unary,
            grpc_service: "court.identity.v1.LinkStatusService",
            grpc_method: "GetLinkStatus",
            grpc_code: "NotFound",
        };
        let family = &metrics().grpc.handled;
        let before = family.get_or_create(&labels).get();
        series.handled(tonic::Code::NotFound).inc();
        series.handled(tonic::Code::NotFound).inc();
        assert_eq!(family.get_or_create(&labels).get(), before + 2);
        let started = metrics().grpc.started.get_or_create(&series.labels).get();
        series.started.inc();
        assert_eq!(
            metrics().grpc.started.get_or_create(&series.labels).get(),
            started + 1
        );
    }
}
