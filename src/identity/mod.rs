//! Who is calling and what they may call. The identity layer names the
//! caller (a SPIFFE ID, or `anonymous`) for every layer after it; the
//! authorization layer refuses the methods the caller policy does not grant.
mod authorize;
mod layer;
mod peer;
mod policy;

use std::sync::Arc;

pub use authorize::AuthorizeLayer;
pub use layer::IdentityLayer;
pub use peer::{spiffe_id_of_certificate, spiffe_id_of_xfcc};
pub use policy::CallerPolicy;

/// Longest SPIFFE ID accepted, in bytes (the SPIFFE spec's limit).
const MAX_SPIFFE_ID: usize = 2048;

/// How callers are named and what they may call.
#[derive(Debug, Clone, Default)]
pub struct CallerSettings {
    /// The caller policy; `None` lets every caller call every method.
    pub policy: Option<Arc<CallerPolicy>>,
    /// Whether the caller is named by the `x-forwarded-client-cert` header
    /// of a sidecar that terminates mTLS, rather than by our own TLS peer.
    pub trust_xfcc: bool,
}

/// `raw` when it is a well-formed SPIFFE ID: `spiffe://`, a trust domain of
/// lower-case letters, digits, `.`, `-` and `_`, then an optional path of
/// printable ASCII without query or fragment.
pub fn spiffe_id(raw: &str) -> Option<&str> {
    let rest = raw.strip_prefix("spiffe://")?;
    let (domain, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let domain_ok = !domain.is_empty()
        && domain
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    let path_ok = path
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#');
    (domain_ok && path_ok && raw.len() <= MAX_SPIFFE_ID && path != "/").then_some(raw)
}

/// Whether a service is open to every caller whatever the policy: health
/// checks and reflection, which probes and operators need.
fn always_open(service: &str) -> bool {
    service.starts_with("grpc.health.") || service.starts_with("grpc.reflection.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spiffe_ids_are_recognised() {
        assert!(spiffe_id("spiffe://court.example/ns/cmecf/sa/web").is_some());
        assert!(spiffe_id("spiffe://court.example").is_some());
        assert!(spiffe_id("spiffe://Court.example/x").is_none());
        assert!(spiffe_id("spiffe:///x").is_none());
        assert!(spiffe_id("spiffe://court.example/a b").is_none());
        assert!(spiffe_id("spiffe://court.example/a?b").is_none());
        assert!(spiffe_id("https://court.example/a").is_none());
    }
}
