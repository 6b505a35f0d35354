//! Refuses the calls the caller policy does not grant with
//! `PERMISSION_DENIED`; records the caller on the audit row of every
//! audited call, granted or not.
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, Response};
use tower::{Layer, Service};

use super::{CallerPolicy, always_open};
use crate::audit::AuditFacts;
use crate::caller::CallerIdentity;

/// Adds [`Authorize`] to a service.
#[derive(Clone)]
pub struct AuthorizeLayer {
    policy: Option<Arc<CallerPolicy>>,
    refusal: fn() -> tonic::Status,
}

impl AuthorizeLayer {
    /// Enforces `policy` (none: every call is allowed), answering a refused
    /// call with `refusal()`: the API's own error mapping builds that
    /// status, so this layer knows no reasons.
    pub fn new(policy: Option<Arc<CallerPolicy>>, refusal: fn() -> tonic::Status) -> Self {
        Self { policy, refusal }
    }
}

impl<S> Layer<S> for AuthorizeLayer {
    type Service = Authorize<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Authorize {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`AuthorizeLayer`] builds.
#[derive(Clone)]
pub struct Authorize<S> {
    inner: S,
    layer: AuthorizeLayer,
}

impl<S, B> Service<Request<B>> for Authorize<S>
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
        let caller = CallerIdentity::of(request.extensions());
        if let Some(facts) = request.extensions().get::<AuditFacts>() {
            facts.caller_identity(&caller.id);
        }
        let method = request.uri().path().trim_start_matches('/');
        let service = method.split_once('/').map_or(method, |(s, _)| s);
        let refused = match &self.layer.policy {
            Some(policy) => !always_open(service) && !policy.allows(&caller.id, method),
            None => false,
        };
        if refused {
            crate::metrics::metrics().callers_not_allowed.inc();
            tracing::warn!(caller = %caller.id, %method, "caller not allowed");
            let status = (self.layer.refusal)();
            return Box::pin(std::future::ready(Ok(status.into_http())));
        }
        Box::pin(self.inner.call(request))
    }
}
