//! Admin calls made with a `request_id` run once (AIP-155): a retry with the
//! same id and the same request gets the first call's answer, stored, rather
//! than acting again (a retried EnrollTotp must not replace the secret it
//! just returned). A call of the same id still running answers ABORTED; an
//! id used before for a different request, INVALID_ARGUMENT.
use std::{future::Future, time::Duration};

use super::{AdminService, LinkError};
use crate::store::{Claimed, RequestKey};

/// How long a request_id is remembered.
pub const REQUEST_ID_KEPT_FOR: Duration = Duration::from_secs(24 * 3600);

/// A claim older than this without an answer belongs to a call that died
/// with its process; a retry then runs the request again.
const ABANDONED_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Whether a stored answer holds a secret (then it is sealed under the TOTP
/// key, as enrolled secrets are, and never stored in the clear).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Nothing secret in it.
    Plain,
    /// Sealed at rest.
    Secret,
}

impl AdminService {
    /// Runs `call` once per `key` (every time when there is no key) and
    /// returns its encoded answer, or the stored answer of the first run.
    pub async fn once<F, Fut>(
        &self,
        key: Option<RequestKey>,
        answer: Answer,
        call: F,
    ) -> Result<Vec<u8>, LinkError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<u8>, LinkError>>,
    {
        let Some(key) = key else {
            return call().await;
        };
        let now = self.clock.now();
        match self
            .store
            .claim_request(&key, now, now - ABANDONED_AFTER)
            .await?
        {
            Claimed::New => {}
            Claimed::Done(stored) => return self.unseal(&key, answer, &stored),
            Claimed::Running => return Err(LinkError::RequestInProgress),
            Claimed::Mismatch => return Err(LinkError::RequestIdReused),
        }
        let encoded = match call().await {
            Ok(encoded) => encoded,
            Err(error) => {
                // Nothing was done (or nothing that a rerun would repeat
                // differently): a retry may run it again.
                if let Err(release) = self.store.release_request(&key).await {
                    tracing::warn!(error = %release, "could not release a failed request's id");
                }
                return Err(error);
            }
        };
        match self.seal(&key, answer, &encoded) {
            Some(stored) => {
                // The call is done: a failure to store its answer must not
                // turn it into an error. A retry then finds the claim
                // running until it is abandoned, and runs it again.
                if let Err(error) = self.store.complete_request(&key, &stored).await {
                    tracing::warn!(%error, method = key.method, "could not store a request's answer");
                }
            }
            None => {
                let _ = self.store.release_request(&key).await;
            }
        }
        Ok(encoded)
    }

    fn context(key: &RequestKey) -> String {
        format!("request:{}:{}", key.operator, key.request_id)
    }

    fn seal(&self, key: &RequestKey, answer: Answer, encoded: &[u8]) -> Option<Vec<u8>> {
        match answer {
            Answer::Plain => Some(encoded.to_vec()),
            Answer::Secret => Some(self.totp_key.as_ref()?.seal(&Self::context(key), encoded)),
        }
    }

    fn unseal(
        &self,
        key: &RequestKey,
        answer: Answer,
        stored: &[u8],
    ) -> Result<Vec<u8>, LinkError> {
        match answer {
            Answer::Plain => Ok(stored.to_vec()),
            Answer::Secret => {
                let totp_key = self.totp_key.as_ref().ok_or(LinkError::TotpNotConfigured)?;
                totp_key
                    .open(&Self::context(key), stored)
                    .map_err(|e| LinkError::Internal(Box::new(e)))
            }
        }
    }
}
