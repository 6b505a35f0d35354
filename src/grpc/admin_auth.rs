//! Bearer-token check for admin calls, as a tonic interceptor: which
//! operator, if any, the token belongs to.
use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use tonic::{Request, Status, service::Interceptor};

use super::ApiError;
use crate::audit::AuditFacts;

/// The operator an admin call was authenticated as, in its extensions.
#[derive(Debug, Clone)]
pub(super) struct OperatorName(pub Arc<str>);

/// Admits a call only with `authorization: Bearer <token>` whose SHA-256
/// matches an operator's. The presented token is hashed, then compared with
/// every operator's digest in constant time and without stopping at a match,
/// so neither a token's content, its length nor which operator it belongs to
/// leaks through timing. With no operator, every call is refused.
#[derive(Clone)]
pub struct AdminAuth {
    operators: Arc<[(Arc<str>, [u8; 32])]>,
}

impl AdminAuth {
    /// Checks against the operators, each a name and its token's SHA-256.
    pub fn new(operators: impl IntoIterator<Item = (String, [u8; 32])>) -> Self {
        Self {
            operators: operators
                .into_iter()
                .map(|(name, digest)| (Arc::from(name), digest))
                .collect(),
        }
    }

    /// The operator `presented` belongs to, if any.
    fn operator(&self, presented: &str) -> Option<Arc<str>> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = Choice::from(0);
        let mut index = 0u64;
        for (i, (_, expected)) in self.operators.iter().enumerate() {
            let matched = digest.ct_eq(expected);
            index.conditional_assign(&(i as u64), matched);
            found |= matched;
        }
        bool::from(found).then(|| self.operators[index as usize].0.clone())
    }
}

impl Interceptor for AdminAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let operator = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|presented| self.operator(presented))
            .ok_or(ApiError::AdminUnauthenticated)?;
        AuditFacts::of(request.extensions()).operator(&operator);
        request.extensions_mut().insert(OperatorName(operator));
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    fn auth() -> AdminAuth {
        AdminAuth::new([
            ("alice".to_owned(), digest("alice-token-0123456789")),
            ("bob".to_owned(), digest("bob-token-0123456789")),
        ])
    }

    #[test]
    fn a_token_names_its_operator() {
        assert_eq!(
            auth().operator("bob-token-0123456789").as_deref(),
            Some("bob")
        );
        assert_eq!(
            auth().operator("alice-token-0123456789").as_deref(),
            Some("alice")
        );
    }

    #[test]
    fn an_unknown_token_names_no_one() {
        assert_eq!(auth().operator("carol-token-0123456789"), None);
        assert_eq!(AdminAuth::new([]).operator(""), None);
    }
}
