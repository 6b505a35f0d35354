//! Bearer-token check for admin calls, as a tonic interceptor.
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::{Request, Status, service::Interceptor};

use super::ApiError;

/// Admits a call only with `authorization: Bearer <token>` matching the
/// configured token. Both sides are hashed before the constant-time
/// comparison, so neither content nor length leaks through timing. With no
/// token configured, every call is refused.
#[derive(Clone)]
pub struct AdminAuth {
    expected: Option<[u8; 32]>,
}

impl AdminAuth {
    /// Checks against `token`; `None` refuses everything.
    pub fn new(token: Option<&str>) -> Self {
        Self {
            expected: token.map(|t| Sha256::digest(t.as_bytes()).into()),
        }
    }
}

impl Interceptor for AdminAuth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let presented = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match (&self.expected, presented) {
            (Some(expected), Some(presented)) => {
                let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
                if bool::from(digest.ct_eq(expected)) {
                    Ok(request)
                } else {
                    Err(ApiError::AdminUnauthenticated.into())
                }
            }
            _ => Err(ApiError::AdminUnauthenticated.into()),
        }
    }
}
