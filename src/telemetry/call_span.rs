//! The server span of a hot read, made only when something needs it.
//!
//! A front-end reads link status tens of thousands of times a second, and a
//! successful read logs nothing and writes no audit row. With no exporter a
//! span is only a carrier of ids for log lines and audit rows, and making it
//! (the registry entry, the text layer's formatted fields, the OpenTelemetry
//! ids and context) was a sixth of the server's CPU per read. So when spans
//! are not exported and nothing logs at `debug`, such a call gets a
//! [`CallSpan`] instead: the span is made the first time the call has a use
//! for it (a failure to log, a refusal to audit), joined to the caller's
//! trace as an up-front span would have been.
use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicBool, Ordering},
};

use http::HeaderMap;
use opentelemetry::propagation::Extractor;
use tracing::level_filters::LevelFilter;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::methods::Method;

/// Whether finished spans leave the process (set once at start-up).
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Records that spans are exported, so that every call gets its span up front.
pub(super) fn set_exporting(exporting: bool) {
    EXPORTING.store(exporting, Ordering::Relaxed);
}

/// Whether a call of a method that may defer its span must have it up
/// front: spans are exported (a trace needs its real start and its
/// children), or something logs at `debug`, whose lines from inside the
/// call should name it.
pub(super) fn needed_up_front() -> bool {
    up_front(EXPORTING.load(Ordering::Relaxed), LevelFilter::current())
}

fn up_front(exporting: bool, most_verbose: LevelFilter) -> bool {
    exporting || most_verbose >= LevelFilter::DEBUG
}

/// A call's server span, made on first use. Cloned into the request's
/// extensions, so that the layers inside (the audit trail) use the same span.
#[derive(Clone)]
pub struct CallSpan(Arc<Deferred>);

struct Deferred {
    method: &'static Method,
    caller: Arc<str>,
    /// The caller's trace context, read from the request only when it sent
    /// one (most calls carry none, and reading costs).
    parent: Option<opentelemetry::Context>,
    span: OnceLock<tracing::Span>,
}

impl CallSpan {
    pub(super) fn new(method: &'static Method, caller: Arc<str>, headers: &HeaderMap) -> Self {
        Self(Arc::new(Deferred {
            method,
            caller,
            parent: carries_context(headers).then(|| caller_context(headers)),
            span: OnceLock::new(),
        }))
    }

    /// The deferred span of the call whose request carries `extensions`.
    pub fn of(extensions: &http::Extensions) -> Option<&Self> {
        extensions.get()
    }

    /// The span, made now if it was not yet.
    pub fn span(&self) -> &tracing::Span {
        let deferred = &*self.0;
        deferred.span.get_or_init(|| {
            let span = server_span(deferred.method, &deferred.caller);
            let _ = span.set_parent(deferred.parent.clone().unwrap_or_default());
            span
        })
    }

    /// The span if something has made it.
    pub(super) fn made(&self) -> Option<&tracing::Span> {
        self.0.span.get()
    }
}

/// A server span named and attributed by the OpenTelemetry RPC conventions,
/// not yet joined to any trace.
pub(super) fn server_span(method: &Method, caller: &str) -> tracing::Span {
    tracing::info_span!(
        "rpc",
        otel.name = method.span_name,
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = method.info.service,
        rpc.method = method.info.method,
        caller.identity = caller,
        rpc.grpc.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

/// The caller's trace context, by the configured propagators.
pub(super) fn caller_context(headers: &HeaderMap) -> opentelemetry::Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)))
}

/// Whether the request carries a field any configured propagator reads.
fn carries_context(headers: &HeaderMap) -> bool {
    opentelemetry::global::get_text_map_propagator(|p| {
        p.fields().any(|field| headers.contains_key(field))
    })
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

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn spans_are_made_up_front_when_exported_or_logged_at_debug() {
        assert!(!up_front(false, LevelFilter::INFO));
        assert!(!up_front(false, LevelFilter::OFF));
        assert!(up_front(false, LevelFilter::DEBUG));
        assert!(up_front(false, LevelFilter::TRACE));
        assert!(up_front(true, LevelFilter::INFO));
    }

    fn trace_id(span: &tracing::Span) -> String {
        span.context().span().span_context().trace_id().to_string()
    }

    #[test]
    fn a_deferred_span_is_made_once_and_joins_the_callers_trace() {
        let _serial = super::super::subscriber_test_lock();
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        // At `info`, as every subscriber of these tests: the most verbose
        // level of any of them decides whether spans are deferred.
        let subscriber = tracing_subscriber::registry()
            .with(LevelFilter::INFO)
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let _guard = tracing::subscriber::set_default(subscriber);
        let method =
            super::super::methods::lookup("/court.identity.v1.LinkStatusService/GetLinkStatus");
        let caller = "11112222333344445555666677778888";
        let mut headers = HeaderMap::new();
        headers.insert(
            "traceparent",
            format!("00-{caller}-1122334455667788-01").parse().unwrap(),
        );

        let joined = CallSpan::new(method, Arc::from("front-end"), &headers);
        let fresh = CallSpan::new(method, Arc::from("front-end"), &HeaderMap::new());

        assert!(joined.made().is_none() && fresh.made().is_none());
        assert_eq!(trace_id(joined.span()), caller);
        assert_eq!(joined.made().map(trace_id).as_deref(), Some(caller));
        let own = trace_id(fresh.span());
        assert_eq!(own.len(), 32);
        assert_ne!(own, caller);
        assert_ne!(own, "0".repeat(32));
        assert_eq!(trace_id(fresh.span()), own, "made once");
    }
}
