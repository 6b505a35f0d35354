//! Who is calling: the address a per-source limit and the audit trail use.
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, LazyLock};

use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

/// Who is calling, as the identity layer established it from the verified
/// client certificate (or a trusted sidecar's header); it places this in
/// every request's extensions for the layers and handlers after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// A SPIFFE ID (`spiffe://<trust-domain>/...`), or [`ANONYMOUS`]. Shared,
    /// as every layer of every call reads it.
    pub id: Arc<str>,
    /// Whether the caller is a front-end that relays filers' sign-ins and
    /// must name each filer's own address (`end-user-address` metadata).
    pub front_end: bool,
}

/// The identity of a caller that presented none.
pub const ANONYMOUS: &str = "anonymous";

/// [`ANONYMOUS`], shared rather than allocated per call.
pub fn anonymous() -> Arc<str> {
    static ID: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from(ANONYMOUS));
    ID.clone()
}

impl CallerIdentity {
    /// The caller of a request, or an anonymous one when no identity layer
    /// ran.
    pub fn of(extensions: &http::Extensions) -> Self {
        extensions.get::<Self>().cloned().unwrap_or_else(|| Self {
            id: anonymous(),
            front_end: false,
        })
    }
}

/// The caller as the per-RPC metrics label it: a policy's caller, `anonymous`
/// or `other`, so that callers cannot grow the metric families without bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerLabel(pub Arc<str>);

/// The label of a caller the policy does not list.
pub const OTHER: &str = "other";

/// [`OTHER`], shared rather than allocated per call.
pub fn other() -> Arc<str> {
    static LABEL: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from(OTHER));
    LABEL.clone()
}

impl CallerLabel {
    /// The label of a request's caller: `anonymous` when no identity layer ran.
    pub fn of(extensions: &http::Extensions) -> Arc<str> {
        extensions
            .get::<Self>()
            .map_or_else(anonymous, |label| label.0.clone())
    }
}

/// Which address stands for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourcePolicy {
    /// The TCP peer: right when clients connect directly.
    #[default]
    Peer,
    /// The `x-forwarded-for` hop appended by the outermost of this many
    /// trusted proxies, counted from the right: each proxy appends the
    /// address it received from, so hops further left are whatever the
    /// client sent. The peer when the header has fewer hops or a malformed
    /// one. Right only when every request arrives through these proxies.
    TrustedProxies(u8),
}

/// The caller's address under `policy`, if known.
pub fn source_address<B>(request: &http::Request<B>, policy: SourcePolicy) -> Option<IpAddr> {
    let extensions = request.extensions();
    let peer = extensions
        .get::<TcpConnectInfo>()
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .map(TlsConnectInfo::get_ref)
        })
        .and_then(TcpConnectInfo::remote_addr)
        .map(|a| canonical(a.ip()));
    match policy {
        SourcePolicy::Peer => peer,
        SourcePolicy::TrustedProxies(0) => peer,
        SourcePolicy::TrustedProxies(trusted) => request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').nth(usize::from(trusted) - 1))
            .and_then(|hop| hop.trim().parse::<IpAddr>().ok())
            .map(canonical)
            .or(peer),
    }
}

/// IPv4-mapped IPv6 addresses as plain IPv4, so one client is one key.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The key a rate limit counts under: the address for IPv4, its /64 network
/// for IPv6 (one subscriber commonly holds a whole /64).
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(forwarded: Option<&str>) -> http::Request<()> {
        let mut builder = http::Request::builder();
        if let Some(value) = forwarded {
            builder = builder.header("x-forwarded-for", value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn the_forwarded_header_counts_only_when_trusted() {
        let r = request(Some("203.0.113.7, 10.0.0.1"));
        assert_eq!(source_address(&r, SourcePolicy::Peer), None);
        assert_eq!(source_address(&r, SourcePolicy::TrustedProxies(0)), None);
        let garbage = request(Some("not an address"));
        assert_eq!(
            source_address(&garbage, SourcePolicy::TrustedProxies(1)),
            None
        );
    }

    #[test]
    fn trusted_hops_are_counted_from_the_right() {
        // The client forged the first hop; the two proxies appended the rest.
        let r = request(Some("198.51.100.66, 203.0.113.7, 10.0.0.1"));
        assert_eq!(
            source_address(&r, SourcePolicy::TrustedProxies(1)),
            Some("10.0.0.1".parse().unwrap())
        );
        assert_eq!(
            source_address(&r, SourcePolicy::TrustedProxies(2)),
            Some("203.0.113.7".parse().unwrap())
        );
        // Fewer hops than trusted proxies: not through them all.
        assert_eq!(source_address(&r, SourcePolicy::TrustedProxies(4)), None);
    }

    #[test]
    fn ipv6_is_limited_per_64() {
        let a = rate_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = rate_key("2001:db8:1:2:bbbb::2".parse().unwrap());
        assert_eq!(a, b);
        // A mapped IPv4 address is made plain first, so it keeps its own key.
        let mapped = canonical("::ffff:192.0.2.1".parse().unwrap());
        assert_eq!(mapped, "192.0.2.1".parse::<IpAddr>().unwrap());
        assert_eq!(rate_key(mapped), mapped);
    }
}
