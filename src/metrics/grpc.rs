//! The server families of the grpc-ecosystem Prometheus middleware
//! (go-grpc-prometheus and its successors), named, labelled and spelled as
//! the dashboards and alerts written for them expect.
use prometheus_client::{
    encoding::{EncodeLabelSet, EncodeLabelValue},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

/// A method's streaming shape, as the `grpc_type` label spells it.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum GrpcType {
    /// One request, one response.
    unary,
    /// A stream of requests, one response.
    client_stream,
    /// One request, a stream of responses.
    server_stream,
    /// Streams both ways.
    bidi_stream,
}

impl GrpcType {
    /// The shape of a method from its descriptor's streaming flags.
    pub fn of(client_streaming: bool, server_streaming: bool) -> Self {
        match (client_streaming, server_streaming) {
            (false, false) => Self::unary,
            (true, false) => Self::client_stream,
            (false, true) => Self::server_stream,
            (true, true) => Self::bidi_stream,
        }
    }
}

/// A method's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrpcLabels {
    /// `unary`, `client_stream`, `server_stream` or `bidi_stream`.
    pub grpc_type: GrpcType,
    /// The proto service, e.g. `court.identity.v1.LinkStatusService`.
    pub grpc_service: &'static str,
    /// The method, or `unknown` for a path no service answers.
    pub grpc_method: &'static str,
}

/// A finished call's labels: its method's and its status code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrpcCallLabels {
    /// As in [`GrpcLabels`].
    pub grpc_type: GrpcType,
    /// As in [`GrpcLabels`].
    pub grpc_service: &'static str,
    /// As in [`GrpcLabels`].
    pub grpc_method: &'static str,
    /// The code as Go spells it: `OK`, `Canceled`, `Unauthenticated`, ...
    pub grpc_code: &'static str,
}

/// The `grpc_server_*` families.
#[derive(Clone)]
pub struct GrpcMetrics {
    /// Calls started.
    pub started: Family<GrpcLabels, Counter>,
    /// Calls finished, by code (a stream's code is read from its trailers).
    pub handled: Family<GrpcCallLabels, Counter>,
    /// Seconds from the request's arrival to the call's end.
    pub handling_seconds: Family<GrpcLabels, Histogram>,
    /// Request messages received.
    pub msg_received: Family<GrpcLabels, Counter>,
    /// Response messages sent.
    pub msg_sent: Family<GrpcLabels, Counter>,
}

impl Default for GrpcMetrics {
    fn default() -> Self {
        Self {
            started: Family::default(),
            handled: Family::default(),
            // go-grpc-prometheus's default buckets, so that recording rules
            // written for them keep their `le` values.
            handling_seconds: Family::new_with_constructor(|| {
                Histogram::new([
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
            }),
            msg_received: Family::default(),
            msg_sent: Family::default(),
        }
    }
}

impl GrpcMetrics {
    /// Registers the families at the top level (no `pacer_link_` prefix).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "grpc_server_started",
            "Total number of RPCs started on the server",
            self.started.clone(),
        );
        registry.register(
            "grpc_server_handled",
            "Total number of RPCs completed on the server, regardless of success or failure",
            self.handled.clone(),
        );
        registry.register(
            "grpc_server_handling_seconds",
            "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server",
            self.handling_seconds.clone(),
        );
        registry.register(
            "grpc_server_msg_received",
            "Total number of RPC stream messages received on the server",
            self.msg_received.clone(),
        );
        registry.register(
            "grpc_server_msg_sent",
            "Total number of gRPC stream messages sent by the server",
            self.msg_sent.clone(),
        );
    }
}

/// A status code as grpc-go's `codes.Code.String()` spells it, which the
/// `grpc_code` label of the grpc-ecosystem middleware carries.
pub fn go_code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_spelled_as_grpc_go_spells_them() {
        assert_eq!(go_code_name(tonic::Code::Ok), "OK");
        assert_eq!(go_code_name(tonic::Code::Cancelled), "Canceled");
        assert_eq!(
            go_code_name(tonic::Code::Unauthenticated),
            "Unauthenticated"
        );
        assert_eq!(
            go_code_name(tonic::Code::DeadlineExceeded),
            "DeadlineExceeded"
        );
    }

    #[test]
    fn the_families_render_with_their_conventional_names() {
        let mut registry = Registry::default();
        let grpc = GrpcMetrics::default();
        grpc.register(&mut registry);
        let labels = GrpcLabels {
            grpc_type: GrpcType::of(false, true),
            grpc_service: "court.identity.v1.LinkStatusService",
            grpc_method: "WatchLinkEvents",
        };
        grpc.started.get_or_create(&labels).inc();
        grpc.handled
            .get_or_create(&GrpcCallLabels {
                grpc_type: labels.grpc_type,
                grpc_service: labels.grpc_service,
                grpc_method: labels.grpc_method,
                grpc_code: go_code_name(tonic::Code::Aborted),
            })
            .inc();
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
        assert!(out.contains(
            "grpc_server_started_total{grpc_type=\"server_stream\",grpc_service=\"court.identity.v1.LinkStatusService\",grpc_method=\"WatchLinkEvents\"} 1"
        ), "{out}");
        assert!(out.contains("grpc_code=\"Aborted\"} 1"), "{out}");
    }
}
