//! A tower layer around every RPC: a server span named and attributed by the
//! OpenTelemetry RPC conventions, joined to the caller's trace through the
//! W3C `traceparent` / `tracestate` / `baggage` metadata and carrying the
//! caller's identity, and the request, error and latency metrics. Nothing
//! from the request body or other headers (which may carry the admin token)
//! is recorded.
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use http::{HeaderMap, Request, Response};
use opentelemetry::propagation::Extractor;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::outcome::{code_name, error_chain, reason_of, status_of};
use crate::caller::{CallerIdentity, CallerLabel};
use crate::metrics::{MethodLabels, RpcLabels, metrics, seconds};

/// Adds [`RpcTelemetry`] to a service.
#[derive(Clone, Copy, Debug, Default)]
pub struct RpcTelemetryLayer;

impl<S> Layer<S> for RpcTelemetryLayer {
    type Service = RpcTelemetry<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RpcTelemetry { inner }
    }
}

/// The service [`RpcTelemetryLayer`] builds.
#[derive(Clone, Debug)]
pub struct RpcTelemetry<S> {
    inner: S,
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

impl<S, B, R> Service<Request<B>> for RpcTelemetry<S>
where
    S: Service<Request<B>, Response = Response<R>> + Send,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        // Only our own services become label values: arbitrary paths from
        // callers must not grow the metric families without bound.
        let known = service.starts_with("court.identity.v1.") || service.starts_with("grpc.");
        let (service, method) = if known && !method.is_empty() && method.len() <= 64 {
            (service.to_owned(), method.to_owned())
        } else {
            ("unknown".to_owned(), "unknown".to_owned())
        };
        let caller = CallerIdentity::of(request.extensions()).id;
        let caller_label = CallerLabel::of(request.extensions());
        let span = tracing::info_span!(
            "rpc",
            otel.name = %format!("{service}/{method}"),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            caller.identity = %caller,
            rpc.grpc.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        let parent = opentelemetry::global::get_text_map_propagator(|p| {
            p.extract(&Headers(request.headers()))
        });
        let _ = span.set_parent(parent);
        let started = Instant::now();
        let future = self.inner.call(request).instrument(span.clone());
        Box::pin(async move {
            let result = future.await;
            let status = result.as_ref().ok().and_then(status_of);
            let code = match (&result, &status) {
                (Err(_), _) => tonic::Code::Internal,
                (Ok(_), None) => tonic::Code::Ok,
                (Ok(_), Some(status)) => status.code(),
            };
            if let Some(status) = &status {
                span.in_scope(|| record_failure(status));
            }
            span.record("rpc.grpc.status_code", code as i32);
            if matches!(
                code,
                tonic::Code::Internal
                    | tonic::Code::Unknown
                    | tonic::Code::DataLoss
                    | tonic::Code::Unavailable
            ) {
                span.record("otel.status_code", "ERROR");
            }
            let m = metrics();
            m.rpc_requests
                .get_or_create(&RpcLabels {
                    service: service.clone(),
                    method: method.clone(),
                    code: code_name(code),
                    caller: caller_label.clone(),
                })
                .inc();
            m.rpc_duration
                .get_or_create(&MethodLabels {
                    service,
                    method,
                    caller: caller_label,
                })
                .observe(seconds(started.elapsed()));
            result
        })
    }
}

/// Logs and counts a failed call by its reason. Unexpected failures are
/// logged with their whole cause chain, which the client never sees.
fn record_failure(status: &tonic::Status) {
    let reason = reason_of(status).unwrap_or_default();
    let cause = error_chain(status).unwrap_or_default();
    match status.code() {
        tonic::Code::Internal | tonic::Code::Unknown | tonic::Code::DataLoss => {
            tracing::error!(%reason, error = %cause, "internal error");
        }
        tonic::Code::Unavailable if reason == crate::reason::DATABASE_UNAVAILABLE => {
            metrics().db_unavailable.inc();
            tracing::warn!(%reason, error = %cause, "database unavailable");
        }
        _ => tracing::debug!(%reason, code = ?status.code(), "call refused"),
    }
}
