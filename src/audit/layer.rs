//! Appends one audit row per audited call, after its answer is known.
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use http::{Request, Response};
use opentelemetry::trace::TraceContextExt;
use tower::{Layer, Service};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::AuditFacts;
use super::backlog::Backlog;
use crate::caller::{CallerIdentity, SourcePolicy, source_address};
use crate::clock::Clock;
use crate::store::{NewAuditEvent, Store};
use crate::telemetry::{CallSpan, code_name, reason_of, status_of};

/// Adds [`Audit`] to a service.
#[derive(Clone)]
pub struct AuditLayer {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    source: SourcePolicy,
    deferred: Backlog,
}

impl AuditLayer {
    /// Audits into `store`, naming callers by `source`. Starts the writer
    /// of deferred rows (refused and cancelled calls), so it needs a tokio
    /// runtime.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, source: SourcePolicy) -> Self {
        Self {
            deferred: Backlog::start(store.clone()),
            store,
            clock,
            source,
        }
    }

    /// A handle that waits for the rows queued so far, for readers of the
    /// trail: a search then sees every call answered before it.
    pub fn flusher(&self) -> AuditFlush {
        AuditFlush(self.deferred.clone())
    }

    /// Waits until the deferred rows queued so far are written; the
    /// server calls it once it has stopped serving, before closing the store.
    pub async fn flush(&self) {
        self.deferred.flush().await;
    }
}

/// Waits for this replica's deferred audit rows; see [`AuditLayer::flusher`].
#[derive(Clone)]
pub struct AuditFlush(Backlog);

impl AuditFlush {
    /// Returns once every row queued before the call is written (or failed).
    pub async fn flush(&self) {
        self.0.flush().await;
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

type ResponseFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

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
    type Future = ResponseFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        let audited = super::audited(service, method);
        if audited == super::Audited::Never || method.is_empty() || method.len() > 64 {
            return Box::pin(self.inner.call(request));
        }
        if audited == super::Audited::WhenRefused {
            return self.call_refusable(request);
        }
        let rpc = method.to_owned();
        let caller = source_address(&request, self.layer.source).map(|ip| ip.to_string());
        let deadline = grpc_deadline(request.headers());
        // Whoever handles the call (an interceptor, the handler, the domain
        // code it calls) records into this handle; the row is written here.
        let facts = AuditFacts::default();
        facts.caller_identity(&CallerIdentity::of(request.extensions()).id);
        request.extensions_mut().insert(facts.clone());
        let future = self.inner.call(request);
        let layer = self.layer.clone();
        Box::pin(async move {
            // Until the answer is known, a row is owed: if the caller hangs
            // up or its deadline passes, the future is dropped and the guard
            // queues the row with CANCELLED or DEADLINE_EXCEEDED.
            let row = (layer.clone(), rpc, caller, facts);
            // A status read the caller gave up on owes no row.
            let mut owed = Owed {
                row: (audited == super::Audited::Always).then(|| row.clone()),
                deadline,
            };
            let result = future.await;
            owed.row = None;
            let (layer, rpc, caller, facts) = row;
            let status = result.as_ref().ok().and_then(status_of);
            let (outcome, reason) = match (&result, &status) {
                (Err(_), _) => (tonic::Code::Internal, None),
                (Ok(_), None) => (tonic::Code::Ok, None),
                (Ok(_), Some(status)) => (status.code(), reason_of(status)),
            };
            let deferred = reason.as_deref().is_some_and(is_refusal);
            let event = layer.event(rpc, caller, &facts, outcome, reason);
            // A refused call did no work: its row is queued so that the
            // refusal is not held up by the database, and a flood of
            // refusals is written in batches (see backlog).
            if deferred {
                layer.deferred.push_refusal(event);
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

impl<S> Audit<S> {
    /// A call audited only when the caller policy refuses it: the status
    /// reads, tens of thousands a second from one front-end. Nothing is
    /// allocated for the row unless the answer is that refusal; the handler
    /// records no facts for these calls.
    fn call_refusable<B, R>(&mut self, request: Request<B>) -> ResponseFuture<S::Response, S::Error>
    where
        S: Service<Request<B>, Response = Response<R>> + Send,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        R: Send + 'static,
    {
        let uri = request.uri().clone();
        let source = source_address(&request, self.layer.source);
        let identity = CallerIdentity::of(request.extensions()).id;
        let call_span = CallSpan::of(request.extensions()).cloned();
        let future = self.inner.call(request);
        let layer = self.layer.clone();
        Box::pin(async move {
            let result = future.await;
            let refused = result.as_ref().ok().and_then(status_of).and_then(|status| {
                let reason = reason_of(&status)?;
                (reason == crate::reason::CALLER_NOT_ALLOWED).then_some((status.code(), reason))
            });
            if let Some((outcome, reason)) = refused {
                let path = uri.path().trim_start_matches('/');
                let rpc = path.split_once('/').map_or("", |(_, method)| method);
                let facts = AuditFacts::default();
                facts.caller_identity(&identity);
                let caller = source.map(|ip| ip.to_string());
                let mut event = layer.event(rpc.to_owned(), caller, &facts, outcome, Some(reason));
                // The refusal's log line is in this span: the row names its trace.
                if let Some(call_span) = &call_span {
                    event.trace_id = trace_id_of(call_span.span());
                }
                layer.deferred.push_refusal(event);
            }
            result
        })
    }
}

impl AuditLayer {
    fn event(
        &self,
        rpc: String,
        caller: Option<String>,
        facts: &AuditFacts,
        outcome: tonic::Code,
        reason: Option<String>,
    ) -> NewAuditEvent {
        let facts = facts.snapshot();
        NewAuditEvent {
            occurred_at: self.clock.now(),
            rpc,
            court_id: facts.court_id,
            subject_normalized: facts.subject.as_deref().map(str::to_ascii_lowercase),
            subject: facts.subject,
            outcome: code_name(outcome).to_owned(),
            reason: facts.hidden_reason.map(str::to_owned).or(reason),
            caller,
            caller_identity: facts.caller_identity,
            end_user_address: facts.end_user_address,
            operator: facts.operator,
            detail: facts.detail,
            repeat_count: 1,
            trace_id: current_trace_id(),
        }
    }
}

/// Refusals made before any credential was checked or anything changed.
fn is_refusal(reason: &str) -> bool {
    use crate::reason::{
        ADMIN_UNAUTHENTICATED, CALLER_NOT_ALLOWED, END_USER_ADDRESS_REQUIRED, OVERLOADED,
        TOO_MANY_ATTEMPTS,
    };
    // Readers of the trail flush these first (`AuditFlush`), so deferring
    // them changes when a row is written, never whether a search finds it.
    [
        OVERLOADED,
        TOO_MANY_ATTEMPTS,
        ADMIN_UNAUTHENTICATED,
        END_USER_ADDRESS_REQUIRED,
        CALLER_NOT_ALLOWED,
    ]
    .contains(&reason)
}

/// The row of a call whose answer is not known yet.
struct Owed {
    row: Option<(AuditLayer, String, Option<String>, AuditFacts)>,
    deadline: Option<Instant>,
}

impl Drop for Owed {
    fn drop(&mut self) {
        let Some((layer, rpc, caller, facts)) = self.row.take() else {
            return;
        };
        let outcome = match self.deadline {
            Some(deadline) if Instant::now() >= deadline => tonic::Code::DeadlineExceeded,
            _ => tonic::Code::Cancelled,
        };
        let event = layer.event(rpc, caller, &facts, outcome, None);
        layer.deferred.push(event);
    }
}

/// When the caller's `grpc-timeout` runs out, if it sent one.
fn grpc_deadline(headers: &http::HeaderMap) -> Option<Instant> {
    let raw = headers.get("grpc-timeout")?.to_str().ok()?;
    let (value, unit) = raw.split_at(raw.len().checked_sub(1)?);
    let value: u64 = value.parse().ok()?;
    let timeout = match unit {
        "H" => Duration::from_secs(value.saturating_mul(3600)),
        "M" => Duration::from_secs(value.saturating_mul(60)),
        "S" => Duration::from_secs(value),
        "m" => Duration::from_millis(value),
        "u" => Duration::from_micros(value),
        "n" => Duration::from_nanos(value),
        _ => return None,
    };
    Instant::now().checked_add(timeout)
}

/// The trace id of the call's server span, when tracing is on.
fn current_trace_id() -> Option<String> {
    trace_id_of(&tracing::Span::current())
}

fn trace_id_of(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span = context.span();
    let span_context = span.span_context();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}
