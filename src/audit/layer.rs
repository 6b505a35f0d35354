//! Appends one audit row per audited call, after its answer is known.
use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use http::{Request, Response};
use opentelemetry::trace::TraceContextExt;
use tower::{Layer, Service};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::backlog::Backlog;
use super::note::{AuditNote, NOTE};
use crate::caller::{SourcePolicy, source_address};
use crate::linking::clock::Clock;
use crate::store::{NewAuditEvent, Store};

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

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        if !super::is_audited(service) || method.is_empty() || method.len() > 64 {
            return Box::pin(self.inner.call(request));
        }
        let rpc = method.to_owned();
        let caller = source_address(&request, self.layer.source).map(|ip| ip.to_string());
        let note = Arc::new(Mutex::new(AuditNote::default()));
        // The note is in scope for the synchronous part of the call (where
        // interceptors run) and for its future.
        let future = NOTE.sync_scope(note.clone(), || self.inner.call(request));
        let layer = self.layer.clone();
        Box::pin(async move {
            let result = NOTE.scope(note.clone(), future).await;
            let outcome = match &result {
                Ok(response) => crate::telemetry::status_code_of(response),
                Err(_) => tonic::Code::Internal,
            };
            let note = note.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let event = NewAuditEvent {
                occurred_at: layer.clock.now(),
                rpc,
                court_id: note.court_id,
                subject: note.subject,
                outcome: crate::telemetry::code_name(outcome),
                reason: note.hidden_reason.or(note.reason).map(str::to_owned),
                caller,
                trace_id: current_trace_id(),
            };
            // A call shed under overload did no work: its row is queued so
            // that the refusal is not held up by the database (see backlog).
            if event.reason.as_deref() == Some(crate::grpc::OVERLOADED) {
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
