//! Admin requests made with a `request_id`, so that a retry answers what the
//! first call answered instead of acting twice (AIP-155).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;

/// One operator's request, as a retry must match it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey {
    /// Who asked: ids are scoped per operator.
    pub operator: String,
    /// The caller's id for the request.
    pub request_id: Uuid,
    /// The method, e.g. `EnrollTotp`.
    pub method: &'static str,
    /// SHA-256 of the request without its id: a reused id for a different
    /// request is refused, not answered with another request's outcome.
    pub digest: [u8; 32],
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// First sight (or a claim abandoned long enough ago): run the request.
    New,
    /// Done before: this is the stored answer.
    Done(Vec<u8>),
    /// The same request is running right now.
    Running,
    /// The id names a different request of this operator.
    Mismatch,
}

/// Stored admin requests.
#[async_trait]
pub trait RequestStore: Send + Sync {
    /// Claims `key` at `now`, taking over a claim without an answer made
    /// before `stale_before`; reports what holds it otherwise.
    async fn claim_request(
        &self,
        key: &RequestKey,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Claimed, StoreError>;

    /// Stores the answer of a claimed request.
    async fn complete_request(&self, key: &RequestKey, response: &[u8]) -> Result<(), StoreError>;

    /// Drops a claim whose call failed, so that a retry runs it again.
    async fn release_request(&self, key: &RequestKey) -> Result<(), StoreError>;
}
