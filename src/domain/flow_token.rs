use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

const TOKEN_BYTES: usize = 32;
const ENCODED_LEN: usize = 43;
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The bearer secret naming one link flow: 256 bits from the OS CSPRNG,
/// base64url without padding. Only its SHA-256 is ever stored, so a database
/// leak does not hand out live flows. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct FlowToken(String);

/// The SHA-256 of a flow token: what the store keys flows by.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FlowTokenHash(pub [u8; 32]);

impl FlowToken {
    /// Draws a fresh token.
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        // ThreadRng is a CSPRNG (ChaCha12) reseeded from the operating system.
        rand::rng().fill_bytes(&mut bytes);
        Self(encode(&bytes))
    }

    /// Parses a token presented by a caller. Only the shape is checked; an
    /// unknown token is found out by the lookup.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if raw.len() != ENCODED_LEN || !raw.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err("is not a flow token".into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// The hash under which the flow is stored.
    pub fn hash(&self) -> FlowTokenHash {
        FlowTokenHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The token text, to hand to the caller who started the flow.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for FlowToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FlowToken(<redacted>)")
    }
}

fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(ENCODED_LEN);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_differ() {
        let a = FlowToken::generate();
        let b = FlowToken::generate();
        assert_eq!(a.expose().len(), ENCODED_LEN);
        assert!(FlowToken::parse(a.expose()).is_ok());
        assert_ne!(a, b);
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        assert!(FlowToken::parse("").is_err());
        assert!(FlowToken::parse("short").is_err());
        assert!(FlowToken::parse(&"=".repeat(ENCODED_LEN)).is_err());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let token = FlowToken::generate();
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
