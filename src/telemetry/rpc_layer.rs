//! A tower layer around every RPC: a server span named and attributed by the
//! OpenTelemetry RPC conventions, joined to the caller's trace through the
//! W3C `traceparent` / `tracestate` / `baggage` metadata, and the request,
//! error and latency metrics. Nothing from the request body or other headers
//! (which may carry the admin token) is recorded.
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

/// The gRPC status code of a response that carries it in its headers
/// (errors, trailers-only); otherwise the call succeeded as far as headers go.
pub fn status_code_of<B>(response: &Response<B>) -> tonic::Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}

/// The `UPPER_SNAKE_CASE` name of a status code, as in the gRPC spec.
pub fn code_name(code: tonic::Code) -> String {
    let name = format!("{code:?}");
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    if code == tonic::Code::Ok {
        "OK".into()
    } else {
        out
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
        let span = tracing::info_span!(
            "rpc",
            otel.name = %format!("{service}/{method}"),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
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
            let code = match &result {
                Ok(response) => status_code_of(response),
                Err(_) => tonic::Code::Internal,
            };
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
                })
                .inc();
            m.rpc_duration
                .get_or_create(&MethodLabels { service, method })
                .observe(seconds(started.elapsed()));
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_named_as_in_the_grpc_spec() {
        assert_eq!(code_name(tonic::Code::Ok), "OK");
        assert_eq!(code_name(tonic::Code::InvalidArgument), "INVALID_ARGUMENT");
        assert_eq!(code_name(tonic::Code::Unauthenticated), "UNAUTHENTICATED");
    }
}
