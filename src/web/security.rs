//! What every response of the front-end carries, and its session cookie.
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::header::{self, HeaderMap, HeaderValue};

use super::session::SessionId;

/// The session cookie. `__Host-` makes browsers insist on `Secure`, on
/// `Path=/` and on no `Domain`, so no other host or path can set or read it.
pub const COOKIE: &str = "__Host-pacer-link-session";

/// Pages may load only this origin's stylesheet; no script, frame, plugin
/// or foreign form target.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every response.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        http::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// `Strict-Transport-Security`, for a front-end served over TLS.
pub async fn strict_transport(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    response
}

/// The session id a request's cookie names, if it has the issued shape.
pub fn session_cookie(headers: &HeaderMap) -> Option<Option<SessionId>> {
    let mut found = None;
    for value in headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            if let Some((name, id)) = pair.trim().split_once('=')
                && name == COOKIE
            {
                found = Some(SessionId::parse(id));
            }
        }
    }
    found
}

/// The `Set-Cookie` value for a new session: a session cookie (no expiry
/// of its own; the server ends the session).
pub fn set_cookie(id: &SessionId) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict",
        id.expose()
    ))
    .expect("a hex session id is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_cookie_of_the_issued_shape_names_a_session() {
        let id = "ab".repeat(32);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE}={id}")).unwrap(),
        );
        assert_eq!(
            session_cookie(&headers)
                .flatten()
                .map(|s| s.expose().to_owned()),
            Some(id)
        );
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}=forged")).unwrap(),
        );
        assert!(matches!(session_cookie(&headers), Some(None)));
        assert!(session_cookie(&HeaderMap::new()).is_none());
    }
}
