//! What every fuzz target does with its bytes: decode them as one gRPC
//! request message, then validate it the way its handler does before any
//! I/O. Validation may refuse, but only with `INVALID_ARGUMENT` naming at
//! least one field; it must never panic or fail any other way.
//!
//! Each target covers one proto service; its first byte picks the request
//! type, so adding an RPC is one line in that service's list.
use pacer_link::domain::{CourtId, FlowToken, Violations};
use pacer_link::linking::{LinkError, MAX_BATCH, StatusQuery};
use prost::Message;

pub use libfuzzer_sys::fuzz_target;
pub use pacer_link::linking;
pub use pacer_link::proto;

/// Validation through the request's `TryFrom` conversion into a command.
pub fn parsed_as<C, M>(request: M) -> Result<(), LinkError>
where
    C: TryFrom<M, Error = LinkError>,
{
    C::try_from(request).map(drop)
}

/// A request carrying only a flow token (PreviewLink, ConfirmLink).
pub fn flow_token(raw: &str) -> Result<(), LinkError> {
    let mut v = Violations::default();
    let token = v.check("flow_token", FlowToken::parse(raw));
    Ok(v.finish(|| token.map(drop))?)
}

/// BatchGetLinkStatus: the size limit, then every lookup.
pub fn batch(request: proto::BatchGetLinkStatusRequest) -> Result<(), LinkError> {
    if request.requests.len() > MAX_BATCH {
        return Err(LinkError::InvalidArgument(vec![
            pacer_link::domain::FieldViolation::new("requests", "too many"),
        ]));
    }
    let mut refused = Vec::new();
    for lookup in request.requests {
        if let Err(error) = StatusQuery::try_from(lookup) {
            match error {
                LinkError::InvalidArgument(violations) => refused.extend(violations),
                other => return Err(other),
            }
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(LinkError::InvalidArgument(refused))
    }
}

/// WatchLinkEvents: the cursor fits an `i64`, the court filter is empty or a court id.
pub fn watch(request: proto::WatchLinkEventsRequest) -> Result<(), LinkError> {
    let mut v = Violations::default();
    let after = v.check(
        "after_sequence",
        i64::try_from(request.after_sequence).map_err(|_| "is out of range".to_owned()),
    );
    let court = if request.court_id.is_empty() {
        Some(())
    } else {
        v.check("court_id", CourtId::parse(&request.court_id))
            .map(drop)
    };
    Ok(v.finish(|| after.and(court))?)
}

/// Decodes `data` as `M` and validates it; panics on anything a server must not do.
pub fn check<M>(data: &[u8], validate: fn(M) -> Result<(), LinkError>)
where
    M: Message + Default + PartialEq + Clone,
{
    let Ok(request) = M::decode(data) else { return };
    // What was decoded encodes and decodes back to itself.
    let encoded = request.encode_to_vec();
    assert_eq!(encoded.len(), request.encoded_len());
    let again = M::decode(encoded.as_slice()).expect("re-encoded request decodes");
    assert!(again == request, "request changed on re-encoding");
    match validate(request) {
        Ok(()) => {}
        Err(LinkError::InvalidArgument(violations)) => {
            assert!(!violations.is_empty(), "INVALID_ARGUMENT without a field");
            for v in &violations {
                assert!(!v.field.is_empty() && !v.description.is_empty(), "{v:?}");
            }
        }
        Err(other) => panic!("validation failed with {other:?}"),
    }
}

/// A fuzz target over one proto service: `fuzz_service!(Request => validation, ...)`,
/// where validation is a `fn(Request) -> Result<(), LinkError>`.
#[macro_export]
macro_rules! fuzz_service {
    ($($request:ident => $validate:expr),+ $(,)?) => {
        $crate::fuzz_target!(|data: &[u8]| {
            let targets: &[fn(&[u8])] = &[
                $(|body| $crate::check::<$crate::proto::$request>(body, $validate)),+
            ];
            if let Some((selector, body)) = data.split_first() {
                targets[usize::from(*selector) % targets.len()](body);
            }
        });
    };
}
