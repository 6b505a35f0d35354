//! Refuses sign-in attempts from a source over its rate with
//! `RESOURCE_EXHAUSTED` and a `RetryInfo` saying when to come back. Behind a
//! front-end (a caller the policy marks `front_end`), the source is the
//! filer's own address, which the front-end must send as `end-user-address`
//! metadata; from every other caller that header is ignored.
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use http::{Request, Response};
use tower::{Layer, Service};

use super::SourceLimiter;
use crate::audit::AuditFacts;
use crate::caller::{CallerIdentity, SourcePolicy, canonical, rate_key, source_address};

/// The metadata a front-end names each filer's own address in.
pub const END_USER_ADDRESS: &str = "end-user-address";

/// How this layer answers what it refuses; the API's error mapping builds
/// the statuses, so this layer knows no reasons.
#[derive(Clone, Copy)]
pub struct Refusals {
    /// An attempt over the source's rate, with when to retry.
    pub throttled: fn(Duration) -> tonic::Status,
    /// A front-end's sign-in without a valid `end-user-address`.
    pub end_user_address_required: fn() -> tonic::Status,
}

/// Adds [`Throttle`] to a service.
#[derive(Clone)]
pub struct ThrottleLayer {
    limiter: Option<Arc<SourceLimiter>>,
    source: SourcePolicy,
    refusals: Refusals,
}

impl ThrottleLayer {
    /// Throttles with `limiter` (none: let everything through), naming
    /// callers by `source`, answering refusals with `refusals`.
    pub fn new(limiter: Option<SourceLimiter>, source: SourcePolicy, refusals: Refusals) -> Self {
        Self {
            limiter: limiter.map(Arc::new),
            source,
            refusals,
        }
    }
}

impl<S> Layer<S> for ThrottleLayer {
    type Service = Throttle<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Throttle {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`ThrottleLayer`] builds.
#[derive(Clone)]
pub struct Throttle<S> {
    inner: S,
    layer: ThrottleLayer,
}

impl<S, B> Service<Request<B>> for Throttle<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Send,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if !super::is_sign_in(request.uri().path()) {
            return Box::pin(self.inner.call(request));
        }
        let source = if CallerIdentity::of(request.extensions()).front_end {
            let Some(filer) = end_user_address(request.headers()) else {
                let status = (self.layer.refusals.end_user_address_required)();
                return Box::pin(std::future::ready(Ok(status.into_http())));
            };
            AuditFacts::of(request.extensions()).end_user_address(&filer.to_string());
            Some(filer)
        } else {
            source_address(&request, self.layer.source)
        };
        let key = match (&self.layer.limiter, source) {
            (Some(limiter), Some(ip)) => Some((limiter.clone(), rate_key(ip))),
            _ => None,
        };
        let Some((limiter, key)) = key else {
            return Box::pin(self.inner.call(request));
        };
        if let Err(retry_after) = limiter.try_take(key, Instant::now()) {
            crate::metrics::metrics().source_throttled.inc();
            let status = (self.layer.refusals.throttled)(retry_after);
            return Box::pin(std::future::ready(Ok(status.into_http())));
        }
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await;
            if let Ok(response) = &result
                && crate::telemetry::status_code_of(response) == tonic::Code::Ok
            {
                limiter.give_back(key);
            }
            result
        })
    }
}

/// The filer's address a front-end sent, if it is one.
fn end_user_address(headers: &http::HeaderMap) -> Option<std::net::IpAddr> {
    let raw = headers.get(END_USER_ADDRESS)?.to_str().ok()?;
    raw.trim().parse().ok().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttle::ThrottleSettings;
    use tower::{ServiceExt, service_fn};

    const PATH: &str = "/court.identity.v1.AccountLinkService/AuthenticatePacer";

    fn refusals() -> Refusals {
        Refusals {
            throttled: |_| tonic::Status::resource_exhausted("throttled"),
            end_user_address_required: || tonic::Status::invalid_argument("no address"),
        }
    }

    /// One attempt per source; every attempt fails (so none is given back).
    fn layer() -> ThrottleLayer {
        let settings = ThrottleSettings {
            per_minute: 1,
            burst: 1,
            max_sources: 100,
        };
        ThrottleLayer::new(SourceLimiter::new(settings), SourcePolicy::Peer, refusals())
    }

    async fn call(layer: &ThrottleLayer, front_end: bool, filer: Option<&str>) -> tonic::Code {
        let inner = service_fn(|_: Request<()>| async {
            Ok::<_, std::convert::Infallible>(
                tonic::Status::unauthenticated("wrong password").into_http(),
            )
        });
        let mut request = Request::builder().uri(PATH);
        if let Some(filer) = filer {
            request = request.header(END_USER_ADDRESS, filer);
        }
        let mut request = request.body(()).unwrap();
        let id = "spiffe://court.example/ns/cmecf/sa/cmecf-web".to_owned();
        request.extensions_mut().insert(CallerIdentity {
            id: id.into(),
            front_end,
        });
        let response = layer.layer(inner).oneshot(request).await.unwrap();
        crate::telemetry::status_code_of(&response)
    }

    #[tokio::test]
    async fn a_front_end_is_throttled_per_filer_address() {
        let layer = layer();
        let first = call(&layer, true, Some("198.51.100.1")).await;
        let again = call(&layer, true, Some("198.51.100.1")).await;
        let other_filer = call(&layer, true, Some("198.51.100.2")).await;

        assert_eq!(first, tonic::Code::Unauthenticated);
        assert_eq!(again, tonic::Code::ResourceExhausted);
        assert_eq!(other_filer, tonic::Code::Unauthenticated);
    }

    #[tokio::test]
    async fn a_front_end_must_name_the_filer() {
        let layer = layer();
        assert_eq!(call(&layer, true, None).await, tonic::Code::InvalidArgument);
        let garbage = call(&layer, true, Some("not-an-address")).await;
        assert_eq!(garbage, tonic::Code::InvalidArgument);
    }

    #[tokio::test]
    async fn other_callers_cannot_choose_their_bucket() {
        let layer = layer();
        // No peer address in a bare request: an unknown source is not limited
        // by anyone's bucket, and the header it sent is ignored.
        let first = call(&layer, false, Some("198.51.100.1")).await;
        let second = call(&layer, false, Some("198.51.100.2")).await;
        let filer = call(&layer, true, Some("198.51.100.1")).await;

        assert_eq!(first, tonic::Code::Unauthenticated);
        assert_eq!(second, tonic::Code::Unauthenticated);
        assert_eq!(
            filer,
            tonic::Code::Unauthenticated,
            "the header took no token"
        );
    }
}
