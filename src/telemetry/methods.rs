//! The methods this server answers, read once from the descriptor set the
//! reflection service serves (plus health and reflection), so that metric
//! labels name only real methods and know each one's streaming shape.
use std::{collections::HashMap, sync::OnceLock};

use prost::Message;

use crate::metrics::GrpcType;

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

struct Table {
    methods: HashMap<String, MethodInfo>,
    services: HashMap<String, &'static str>,
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
        };
        let mut add = |service: &str, method: &str, kind: GrpcType| {
            let service_name = *table
                .services
                .entry(service.to_owned())
                .or_insert_with(|| leak(service.to_owned()));
            table.methods.insert(
                format!("/{service}/{method}"),
                MethodInfo {
                    service: service_name,
                    method: leak(method.to_owned()),
                    kind,
                },
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
pub fn lookup(path: &str) -> MethodInfo {
    let table = table();
    if let Some(found) = table.methods.get(path) {
        return *found;
    }
    let service = path
        .trim_start_matches('/')
        .split_once('/')
        .and_then(|(service, _)| table.services.get(service).copied())
        .unwrap_or("unknown");
    MethodInfo {
        service,
        method: "unknown",
        kind: GrpcType::unary,
    }
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
        let watch = lookup("/court.identity.v1.LinkStatusService/WatchLinkEvents");
        assert_eq!(watch.method, "WatchLinkEvents");
        assert_eq!(watch.kind, GrpcType::server_stream);
        let import = lookup("/court.identity.v1.AccountAdminService/ImportAccounts");
        assert_eq!(import.kind, GrpcType::client_stream);
        let sign_in = lookup("/court.identity.v1.AccountLinkService/AuthenticatePacer");
        assert_eq!(sign_in.kind, GrpcType::unary);
        assert!(is_health(&lookup("/grpc.health.v1.Health/Check")));
    }

    #[test]
    fn made_up_paths_share_the_unknown_labels() {
        let made_up = lookup("/court.identity.v1.AccountLinkService/StealEverything");
        assert_eq!(made_up.service, "court.identity.v1.AccountLinkService");
        assert_eq!(made_up.method, "unknown");
        let other = lookup("/evil.Service/Anything");
        assert_eq!((other.service, other.method), ("unknown", "unknown"));
        assert_eq!(lookup("no-slash").service, "unknown");
    }
}
