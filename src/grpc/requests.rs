//! The `request_id` of mutating admin calls: parsed, scoped to the operator,
//! and tied to a digest of the rest of the request (see
//! [`crate::linking::AdminService::once`]).
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::admin_auth::OperatorName;
use crate::domain::Violations;
use crate::linking::LinkError;
use crate::store::RequestKey;

/// The request's key when it carries a `request_id` (`id` reaches the
/// field), `None` when it does not, or INVALID_ARGUMENT when it is not a UUID.
pub(super) fn request_key<M: Message + Clone>(
    request: &Request<M>,
    method: &'static str,
    id: impl FnOnce(&mut M) -> &mut String,
) -> Result<Option<RequestKey>, LinkError> {
    let mut rest = request.get_ref().clone();
    let raw = std::mem::take(id(&mut rest));
    if raw.is_empty() {
        return Ok(None);
    }
    let mut v = Violations::default();
    let request_id = v.check(
        "request_id",
        Uuid::parse_str(&raw).map_err(|_| "must be a UUID (e.g. from uuid4) or empty".to_owned()),
    );
    let request_id = v.finish(|| request_id)?;
    let operator = request
        .extensions()
        .get::<OperatorName>()
        .map_or_else(|| "unknown".to_owned(), |o| o.0.to_string());
    Ok(Some(RequestKey {
        operator,
        request_id,
        method,
        digest: Sha256::digest(rest.encode_to_vec()).into(),
    }))
}

/// Decodes an answer the first run encoded.
pub(super) fn decoded<M: Message + Default>(encoded: &[u8]) -> Result<Response<M>, Status> {
    M::decode(encoded)
        .map(Response::new)
        .map_err(|e| Status::from(LinkError::Internal(Box::new(e))))
}
