//! A request message over the size limit answers `RESOURCE_EXHAUSTED` with
//! an ErrorInfo (`MESSAGE_TOO_LARGE`), as gRPC's status table has it for
//! messages too large, where tonic's decoder answers `OUT_OF_RANGE` without
//! details. Innermost, so the audit and telemetry layers see the answer the
//! client gets.
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use http::{Request, Response};
use tower::{Layer, Service};

use super::error::message_too_large;
use crate::telemetry::status_of;

/// How tonic's decoder words a message over `max_decoding_message_size`.
const DECODER_TOO_LARGE: &str = "Error, decoded message length too large";

/// Builds [`Oversize`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OversizeLayer;

impl<S> Layer<S> for OversizeLayer {
    type Service = Oversize<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Oversize { inner }
    }
}

/// The service [`OversizeLayer`] builds.
#[derive(Debug, Clone)]
pub struct Oversize<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for Oversize<S>
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
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            let too_large = status_of(&response).is_some_and(|status| {
                status.code() == tonic::Code::OutOfRange
                    && status.message().starts_with(DECODER_TOO_LARGE)
            });
            Ok(if too_large {
                message_too_large().into_http()
            } else {
                response
            })
        })
    }
}
