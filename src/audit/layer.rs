//! Appends one audit row per audited call, after its answer is known.
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, Response};
use opentelemetry::trace::TraceContextExt;
use tower::{Layer, Service};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::AuditFacts;
use super::backlog::Backlog;
use crate::caller::{SourcePolicy, source_address};
use crate::clock::Clock;
use crate::store::{NewAuditEvent, Store};
use crate::telemetry::{code_name, reason_of, status_of};

/// Adds [`Audit`] to a service.
#[derive(Clone)]
pub struct AuditLayer {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    source: SourcePolicy,
    shed: Backlog,
}

impl AuditLayer {
    /// Audits into `store`, naming callers by `source`. Starts the writer
    /// of shed calls' rows, so it needs a tokio runtime.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, source: SourcePolicy) -> Self {
        Self {
            shed: Backlog::start(store.clone()),
            store,
            clock,
            source,
        }
    }

    /// Waits until the rows of shed calls queued so far are written; the
    /// server calls it once it has stopped serving, before closing the store.
    pub async fn flush(&self) {
        self.shed.flush().await;
    }
}

impl<S> Layer<S> for AuditLayer {
    type Service = Audit<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Audit {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`AuditLayer`] builds.
#[derive(Clone)]
pub struct Audit<S> {
    inner: S,
    layer: AuditLayer,
}

impl<S, B, R> Service<Request<B>> for Audit<S>
where
    S: Service<Request<B>, Response = Response<R>> + Send,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        if !super::is_audited(service) || method.is_empty() || method.len() > 64 {
            return Box::pin(self.inner.call(request));
        }
        let rpc = method.to_owned();
        let caller = source_address(&request, self.layer.source).map(|ip| ip.to_string());
        // Whoever handles the call (an interceptor, the handler, the domain
        // code it calls) records into this handle; the row is written here.
        let facts = AuditFacts::default();
        request.extensions_mut().insert(facts.clone());
        let future = self.inner.call(request);
        let layer = self.layer.clone();
        Box::pin(async move {
            let result = future.await;
            let status = result.as_ref().ok().and_then(status_of);
            let (outcome, reason) = match (&result, &status) {
                (Err(_), _) => (tonic::Code::Internal, None),
                (Ok(_), None) => (tonic::Code::Ok, None),
                (Ok(_), Some(status)) => (status.code(), reason_of(status)),
            };
            let facts = facts.snapshot();
            let shed = reason.as_deref() == Some(crate::reason::OVERLOADED);
            let event = NewAuditEvent {
                occurred_at: layer.clock.now(),
                rpc,
                court_id: facts.court_id,
                subject: facts.subject,
                outcome: code_name(outcome),
                reason: facts.hidden_reason.map(str::to_owned).or(reason),
                caller,
                trace_id: current_trace_id(),
            };
            // A call shed under overload did no work: its row is queued so
            // that the refusal is not held up by the database (see backlog).
            if shed {
                layer.shed.push(event);
                return result;
            }
            if let Err(error) = layer.store.append_audit(std::slice::from_ref(&event)).await {
                crate::metrics::metrics().audit_failures.inc();
                tracing::error!(rpc = %event.rpc, %error, "audit event not recorded");
            }
            result
        })
    }
}

/// The trace id of the call's server span, when tracing is on.
fn current_trace_id() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}
