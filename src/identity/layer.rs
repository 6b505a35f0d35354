//! Names the caller of every request: the SPIFFE ID of its verified client
//! certificate, or of the trusted sidecar's `x-forwarded-client-cert`
//! header; `anonymous` otherwise.
use std::{
    sync::Arc,
    task::{Context, Poll},
};

use http::Request;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tower::{Layer, Service};

use super::{CallerPolicy, CallerSettings, spiffe_id_of_certificate, spiffe_id_of_xfcc};
use crate::caller::{ANONYMOUS, CallerIdentity, CallerLabel, anonymous, other};

/// Adds [`Identify`] to a service.
#[derive(Clone, Debug)]
pub struct IdentityLayer {
    policy: Option<Arc<CallerPolicy>>,
    trust_xfcc: bool,
}

impl IdentityLayer {
    /// Names callers as `settings` say.
    pub fn new(settings: &CallerSettings) -> Self {
        Self {
            policy: settings.policy.clone(),
            trust_xfcc: settings.trust_xfcc,
        }
    }

    fn identify<B>(&self, request: &Request<B>) -> (CallerIdentity, CallerLabel) {
        let id = if self.trust_xfcc {
            request
                .headers()
                .get_all("x-forwarded-client-cert")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(spiffe_id_of_xfcc)
        } else {
            request
                .extensions()
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(TlsConnectInfo::peer_certs)
                .and_then(|chain| {
                    chain
                        .first()
                        .and_then(|leaf| spiffe_id_of_certificate(leaf))
                })
        };
        // A listed caller's id and label are the policy's own, shared; only
        // a caller the policy does not list costs an allocation.
        let policy = self.policy.as_deref();
        let listed = policy.and_then(|p| p.listed(id.as_deref().unwrap_or(ANONYMOUS)));
        let (id, label, front_end) = match (listed, id) {
            (Some((shared, front_end)), _) => (shared.clone(), shared.clone(), front_end),
            (None, None) => (anonymous(), anonymous(), false),
            (None, Some(id)) => (Arc::from(id), other(), false),
        };
        (CallerIdentity { id, front_end }, CallerLabel(label))
    }
}

impl<S> Layer<S> for IdentityLayer {
    type Service = Identify<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Identify {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`IdentityLayer`] builds.
#[derive(Clone, Debug)]
pub struct Identify<S> {
    inner: S,
    layer: IdentityLayer,
}

impl<S, B> Service<Request<B>> for Identify<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let (identity, label) = self.layer.identify(&request);
        request.extensions_mut().insert(identity);
        request.extensions_mut().insert(label);
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::OTHER;

    const WEB: &str = "spiffe://court.example/ns/cmecf/sa/web";

    fn layer(trust_xfcc: bool) -> IdentityLayer {
        let policy = CallerPolicy::parse(&format!(
            "[[caller]]\nid = \"{WEB}\"\nallow = []\nfront_end = true\n"
        ))
        .unwrap();
        IdentityLayer::new(&CallerSettings {
            policy: Some(Arc::new(policy)),
            trust_xfcc,
        })
    }

    fn with_xfcc(uri: &str) -> Request<()> {
        Request::builder()
            .header("x-forwarded-client-cert", format!("Hash=ab;URI={uri}"))
            .body(())
            .unwrap()
    }

    #[test]
    fn the_sidecar_header_names_the_caller_only_when_trusted() {
        let (trusted, label) = layer(true).identify(&with_xfcc(WEB));
        let (ignored, _) = layer(false).identify(&with_xfcc(WEB));

        assert_eq!((&*trusted.id, trusted.front_end), (WEB, true));
        assert_eq!(label.0.as_ref(), WEB);
        assert_eq!(&*ignored.id, ANONYMOUS);
    }

    #[test]
    fn a_caller_the_policy_does_not_list_is_labelled_other() {
        let (identity, label) = layer(true).identify(&with_xfcc("spiffe://court.example/x"));

        assert_eq!(&*identity.id, "spiffe://court.example/x");
        assert!(!identity.front_end);
        assert_eq!(label.0.as_ref(), OTHER);
    }

    #[test]
    fn a_listed_caller_shares_the_policys_id_and_an_unnamed_one_is_anonymous() {
        let layer = layer(true);
        let (first, first_label) = layer.identify(&with_xfcc(WEB));
        let (second, _) = layer.identify(&with_xfcc(WEB));
        assert!(Arc::ptr_eq(&first.id, &second.id));
        assert!(Arc::ptr_eq(&first.id, &first_label.0));

        let (nobody, label) = layer.identify(&Request::new(()));
        assert_eq!((&*nobody.id, nobody.front_end), (ANONYMOUS, false));
        assert_eq!(&*label.0, ANONYMOUS);
    }
}
