//! A tower layer around every RPC: a server span named and attributed by the
//! OpenTelemetry RPC conventions, joined to the caller's trace through the
//! configured propagators and carrying the caller's identity, and the
//! request, error and latency metrics (the service's own families and the
//! grpc-ecosystem `grpc_server_*` ones). Nothing from the request body or
//! other headers (which may carry the admin token) is recorded.
//!
//! A call ends when its response body does: a stream's code is read from its
//! trailers, and a body dropped before them (the client went away) counts as
//! `CANCELLED`. Health checks are counted but not traced, and the hot status
//! reads make their span only when they need it (see [`super::call_span`]).
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Instant,
};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use prometheus_client::metrics::counter::Counter;
use tonic::{Code, Status};
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::call_span::{self, CallSpan};
use super::frames::MessageCounter;
use super::methods::{self, Method};
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

impl<S, R> Service<Request<tonic::body::Body>> for RpcTelemetry<S>
where
    S: Service<Request<tonic::body::Body>, Response = Response<R>> + Send,
    S::Future: Send + 'static,
    R: Body<Data = Bytes> + Unpin + Send + 'static,
{
    type Response = Response<CallBody<R>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<tonic::body::Body>) -> Self::Future {
        let method = methods::lookup(request.uri().path());
        let series = method.metrics();
        series.started.inc();
        let received = series.received.clone();
        let sent = series.sent.clone();
        let span = if methods::is_health(&method.info) {
            Traced::UpFront(tracing::Span::none())
        } else if method.defers_span && !call_span::needed_up_front() {
            let caller = CallerIdentity::of(request.extensions()).id;
            let call_span = CallSpan::new(method, caller, request.headers());
            request.extensions_mut().insert(call_span.clone());
            Traced::Deferred(call_span)
        } else {
            Traced::UpFront(server_span(method, &request))
        };
        let instrumented = match &span {
            Traced::UpFront(span) => span.clone(),
            Traced::Deferred(_) => tracing::Span::none(),
        };
        let call = Call {
            method,
            caller_label: CallerLabel::of(request.extensions()),
            span,
            started: Instant::now(),
        };
        let request = request.map(|body| {
            tonic::body::Body::new(CountedBody {
                inner: body,
                counter: MessageCounter::default(),
                messages: received,
            })
        });
        let future = self.inner.call(request).instrument(instrumented);
        Box::pin(async move {
            let response = match future.await {
                Ok(response) => response,
                Err(error) => {
                    call.finish(Code::Internal, None);
                    return Err(error);
                }
            };
            // An error answered trailers-only ends the call here; otherwise
            // the body carries the messages and then the status.
            let call = match status_of(&response) {
                Some(status) => {
                    call.finish(status.code(), Some(&status));
                    None
                }
                None => Some(call),
            };
            Ok(response.map(|inner| CallBody {
                inner,
                counter: MessageCounter::default(),
                messages: sent,
                call,
            }))
        })
    }
}

/// The server span of a call, joined to the caller's trace.
fn server_span<B>(method: &Method, request: &Request<B>) -> tracing::Span {
    let caller = CallerIdentity::of(request.extensions()).id;
    let span = call_span::server_span(method, &caller);
    let _ = span.set_parent(call_span::caller_context(request.headers()));
    span
}

/// What a call needs to be recorded when it ends.
struct Call {
    method: &'static Method,
    caller_label: std::sync::Arc<str>,
    span: Traced,
    started: Instant,
}

/// A call's server span: made with the call, or made only if needed.
enum Traced {
    UpFront(tracing::Span),
    Deferred(CallSpan),
}

impl Call {
    fn finish(self, code: Code, status: Option<&Status>) {
        let failure = status.filter(|s| s.code() != Code::Ok);
        // A deferred span is made now if the failure is to be logged in it;
        // a call that succeeded (or went away) without needing it has none.
        let span = match &self.span {
            Traced::UpFront(span) => Some(span),
            Traced::Deferred(deferred) if failure.is_some() => Some(deferred.span()),
            Traced::Deferred(deferred) => deferred.made(),
        };
        if let Some(span) = span {
            if let Some(status) = failure {
                span.in_scope(|| record_failure(status));
            }
            span.record("rpc.grpc.status_code", code as i32);
            if is_server_error(code) {
                span.record("otel.status_code", "ERROR");
            }
        }
        let elapsed = seconds(self.started.elapsed());
        let info = &self.method.info;
        let m = metrics();
        m.rpc_requests
            .get_or_create(&RpcLabels {
                service: info.service,
                method: info.method,
                code: code_name(code),
                caller: self.caller_label.clone(),
            })
            .inc();
        m.rpc_duration
            .get_or_create(&MethodLabels {
                service: info.service,
                method: info.method,
                caller: self.caller_label,
            })
            .observe(elapsed);
        let series = self.method.metrics();
        series.handled(code).inc();
        series.handling.observe(elapsed);
    }
}

/// The codes the OpenTelemetry RPC conventions mark as a server span's error
/// (the others are the caller's mistakes, not the server's).
fn is_server_error(code: Code) -> bool {
    matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

/// A request body that counts the messages read from it.
struct CountedBody<B> {
    inner: B,
    counter: MessageCounter,
    messages: Counter,
}

impl<B: Body<Data = Bytes> + Unpin> Body for CountedBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if let Some(Ok(Some(data))) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref)) {
            this.messages.inc_by(this.counter.feed(data));
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that counts the messages sent and ends the call with the
/// status its trailers carry.
pub struct CallBody<B> {
    inner: B,
    counter: MessageCounter,
    messages: Counter,
    call: Option<Call>,
}

impl<B: Body<Data = Bytes> + Unpin> Body for CallBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.messages.inc_by(this.counter.feed(data));
                } else if let Some(trailers) = frame.trailers_ref() {
                    let status = Status::from_header_map(trailers);
                    let code = status.as_ref().map_or(Code::Unknown, Status::code);
                    if let Some(call) = this.call.take() {
                        call.finish(code, status.as_ref());
                    }
                }
            }
            Some(Err(_)) => {
                if let Some(call) = this.call.take() {
                    call.finish(Code::Internal, None);
                }
            }
            None => {
                // Ended without trailers: the status never reached the caller.
                if let Some(call) = this.call.take() {
                    call.finish(Code::Unknown, None);
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for CallBody<B> {
    fn drop(&mut self) {
        // Dropped before its trailers: the client cancelled or went away.
        if let Some(call) = self.call.take() {
            call.finish(Code::Cancelled, None);
        }
    }
}

/// Logs and counts a failed call by its reason. Unexpected failures are
/// logged with their whole cause chain, which the client never sees.
fn record_failure(status: &Status) {
    let reason = reason_of(status).unwrap_or_default();
    let cause = error_chain(status).unwrap_or_default();
    match status.code() {
        Code::Internal | Code::Unknown | Code::DataLoss => {
            tracing::error!(%reason, error = %cause, "internal error");
        }
        Code::Unavailable if reason == crate::reason::DATABASE_UNAVAILABLE => {
            metrics().db_unavailable.inc();
            tracing::warn!(%reason, error = %cause, "database unavailable");
        }
        _ => tracing::debug!(%reason, code = ?status.code(), "call refused"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::TracerProvider as _;
    use tower::{ServiceExt, service_fn};
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// Keeps the trace id of every span ended, in order.
    #[derive(Clone, Debug, Default)]
    struct Made(Arc<Mutex<Vec<String>>>);

    impl opentelemetry_sdk::trace::SpanExporter for Made {
        async fn export(
            &self,
            batch: Vec<opentelemetry_sdk::trace::SpanData>,
        ) -> opentelemetry_sdk::error::OTelSdkResult {
            let ids = batch.iter().map(|s| s.span_context.trace_id().to_string());
            self.0.lock().unwrap().extend(ids);
            Ok(())
        }
    }

    /// Answers one call of `path` with `status` through the layer, as
    /// `traceparent`'s caller, and returns the spans it made.
    fn spans_of(path: &str, status: Status) -> Vec<String> {
        let _serial = crate::telemetry::subscriber_test_lock();
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        let made = Made::default();
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_simple_exporter(made.clone())
            .build();
        // At `info`, as every subscriber of these tests: the most verbose
        // level of any of them decides whether spans are deferred.
        let subscriber = tracing_subscriber::registry()
            .with(LevelFilter::INFO)
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let _guard = tracing::subscriber::set_default(subscriber);
        let inner = service_fn(move |_: Request<tonic::body::Body>| {
            let status = status.clone();
            async move { Ok::<_, std::convert::Infallible>(status.into_http::<tonic::body::Body>()) }
        });
        let request = Request::builder()
            .uri(path)
            .header("traceparent", format!("00-{TRACE}-1122334455667788-01"))
            .body(tonic::body::Body::empty())
            .unwrap();
        let call = RpcTelemetryLayer.layer(inner).oneshot(request);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        drop(runtime.block_on(call).unwrap());
        made.0.lock().unwrap().clone()
    }

    const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
    const STATUS: &str = "/court.identity.v1.LinkStatusService/GetLinkStatus";

    #[test]
    fn a_status_read_makes_its_span_only_when_it_fails() {
        assert_eq!(spans_of(STATUS, Status::ok("")), Vec::<String>::new());
        assert_eq!(
            spans_of(STATUS, Status::not_found("no such account")),
            [TRACE]
        );
        assert_eq!(spans_of(STATUS, Status::internal("broken")), [TRACE]);
    }

    #[test]
    fn other_calls_make_their_span_up_front_even_when_they_succeed() {
        let sign_in = "/court.identity.v1.AccountLinkService/AuthenticatePacer";
        assert_eq!(spans_of(sign_in, Status::ok("")), [TRACE]);
        let watch = "/court.identity.v1.LinkStatusService/WatchLinkEvents";
        assert_eq!(spans_of(watch, Status::ok("")), [TRACE]);
    }

    #[test]
    fn server_spans_are_errors_for_the_servers_own_failures_only() {
        for code in [
            Code::Unknown,
            Code::DeadlineExceeded,
            Code::Unimplemented,
            Code::Internal,
            Code::Unavailable,
            Code::DataLoss,
        ] {
            assert!(is_server_error(code), "{code:?}");
        }
        for code in [
            Code::Ok,
            Code::InvalidArgument,
            Code::NotFound,
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::ResourceExhausted,
            Code::FailedPrecondition,
            Code::Cancelled,
        ] {
            assert!(!is_server_error(code), "{code:?}");
        }
    }
}
