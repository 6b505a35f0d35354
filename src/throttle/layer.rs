//! Refuses sign-in attempts from a source over its rate with
//! `RESOURCE_EXHAUSTED` and a `RetryInfo` saying when to come back.
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
use crate::caller::{SourcePolicy, rate_key, source_address};

/// Adds [`Throttle`] to a service.
#[derive(Clone)]
pub struct ThrottleLayer {
    limiter: Option<Arc<SourceLimiter>>,
    source: SourcePolicy,
    refusal: fn(Duration) -> tonic::Status,
}

impl ThrottleLayer {
    /// Throttles with `limiter` (none: let everything through), answering a
    /// refused attempt with `refusal(retry_after)`: the API's own error
    /// mapping builds that status, so this layer knows no reasons.
    pub fn new(
        limiter: Option<SourceLimiter>,
        source: SourcePolicy,
        refusal: fn(Duration) -> tonic::Status,
    ) -> Self {
        Self {
            limiter: limiter.map(Arc::new),
            source,
            refusal,
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
        let key = match &self.layer.limiter {
            Some(limiter) if super::is_sign_in(request.uri().path()) => {
                source_address(&request, self.layer.source)
                    .map(|ip| (limiter.clone(), rate_key(ip)))
            }
            _ => None,
        };
        let Some((limiter, key)) = key else {
            return Box::pin(self.inner.call(request));
        };
        if let Err(retry_after) = limiter.try_take(key, Instant::now()) {
            crate::metrics::metrics().source_throttled.inc();
            let status = (self.layer.refusal)(retry_after);
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
