//! Reading a call's outcome back from its HTTP response, for the layers that
//! act on it (metrics, logs, the audit trail, the throttle).
use std::error::Error;

use http::Response;
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// The gRPC status a response carries in its headers (errors answered
/// trailers-only), or `None` for a response whose status follows the body.
/// tonic keeps the `Status` itself, with its source error, in the response's
/// extensions; a response built without it is read from its headers.
pub fn status_of<B>(response: &Response<B>) -> Option<Status> {
    if let Some(status) = response.extensions().get::<Status>() {
        return Some(status.clone());
    }
    response.headers().get("grpc-status")?;
    Status::from_header_map(response.headers())
}

/// The gRPC status code of a response that carries it in its headers;
/// otherwise the call succeeded as far as headers go.
pub fn status_code_of<B>(response: &Response<B>) -> Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(Code::Ok, Code::from_i32)
}

/// The `google.rpc.ErrorInfo` reason of a status, if it has one.
pub fn reason_of(status: &Status) -> Option<String> {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
}

/// A status's source error and its causes, joined as one line. A cause
/// whose text its parent's message already includes is not repeated.
pub fn error_chain(status: &Status) -> Option<String> {
    let mut cause: Option<&(dyn Error + 'static)> = status.source();
    let mut parts: Vec<String> = Vec::new();
    while let Some(error) = cause {
        let text = error.to_string();
        if !parts.last().is_some_and(|parent| parent.contains(&text)) {
            parts.push(text);
        }
        cause = error.source();
    }
    (!parts.is_empty()).then(|| parts.join(": "))
}

/// The `UPPER_SNAKE_CASE` name of a status code, as in the gRPC spec.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::ErrorDetails;

    #[test]
    fn status_codes_are_named_as_in_the_grpc_spec() {
        assert_eq!(code_name(Code::Ok), "OK");
        assert_eq!(code_name(Code::InvalidArgument), "INVALID_ARGUMENT");
        assert_eq!(code_name(Code::Unauthenticated), "UNAUTHENTICATED");
        // Every code: its Rust name in upper snake case.
        for value in 0..=16 {
            let code = Code::from(value);
            let mut expected = String::new();
            for (i, c) in format!("{code:?}").chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    expected.push('_');
                }
                expected.push(c.to_ascii_uppercase());
            }
            assert_eq!(code_name(code), expected);
        }
    }

    #[test]
    fn the_reason_is_read_from_headers_when_the_status_is_not_kept() {
        let details = ErrorDetails::with_error_info("OVERLOADED", "pacer-link", []);
        let status = Status::with_error_details(Code::ResourceExhausted, "busy", details);
        let mut response: Response<()> = status.into_http();
        response.extensions_mut().clear();
        let read = status_of(&response).expect("a status in the headers");
        assert_eq!(read.code(), Code::ResourceExhausted);
        assert_eq!(reason_of(&read).as_deref(), Some("OVERLOADED"));
        assert!(status_of(&Response::new(())).is_none());
    }

    #[derive(Debug, thiserror::Error)]
    #[error("storage failure")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_error_chain_lists_every_cause() {
        let outer = Outer(std::io::Error::other("connection reset"));
        let mut status = Status::internal("internal error");
        status.set_source(std::sync::Arc::new(outer));
        assert_eq!(
            error_chain(&status).as_deref(),
            Some("storage failure: connection reset")
        );
        assert_eq!(error_chain(&Status::internal("x")), None);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("database unavailable: {0}")]
    struct Repeating(#[source] std::io::Error);

    #[test]
    fn a_cause_its_parent_already_quotes_is_not_repeated() {
        let mut status = Status::unavailable("retry");
        status.set_source(std::sync::Arc::new(Repeating(std::io::Error::other(
            "timed out",
        ))));
        assert_eq!(
            error_chain(&status).as_deref(),
            Some("database unavailable: timed out")
        );
    }
}
