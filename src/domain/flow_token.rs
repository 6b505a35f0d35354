use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use rand::RngCore;
use sha2::{Digest, Sha256};

const TOKEN_BYTES: usize = 32;
const ENCODED_LEN: usize = 43;
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The bearer secret naming one link flow: 256 bits from the OS CSPRNG,
/// base64url without padding (encoded by `base64ct`, in constant time). Only
/// its SHA-256 is ever stored, so a database leak does not hand out live
/// flows. `Debug` is redacted.
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
        Self(Base64UrlUnpadded::encode_string(&bytes))
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

    #[test]
    fn tokens_are_rfc_4648_base64url_without_padding() {
        let first: Vec<u8> = (0..32).collect();
        let last: Vec<u8> = (224..=255).collect();
        assert_eq!(
            Base64UrlUnpadded::encode_string(&first),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
        );
        assert_eq!(
            Base64UrlUnpadded::encode_string(&last),
            "4OHi4-Tl5ufo6err7O3u7_Dx8vP09fb3-Pn6-_z9_v8"
        );
    }

    #[test]
    fn any_43_url_safe_symbols_parse_as_before() {
        // The last symbol's two spare bits are not zero: never generated, but
        // the shape is all that parsing has ever checked.
        let token = format!("{}B", "-_".repeat(21));
        assert_eq!(FlowToken::parse(&token).unwrap().expose(), token);
    }

    #[test]
    fn the_stored_hash_is_the_sha_256_of_the_token_text() {
        let token = FlowToken::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
        let expected = [
            0xea, 0x86, 0x6a, 0x75, 0x7e, 0x4c, 0x38, 0xba, 0xbf, 0xa8, 0x12, 0x7c, 0xbe, 0x9a,
            0x40, 0x9d, 0x3e, 0x1f, 0x93, 0xa0, 0x0f, 0xf1, 0x48, 0x8f, 0xf7, 0x35, 0xfc, 0xf9,
            0x17, 0xaf, 0xff, 0xd0,
        ];
        assert_eq!(token.hash(), FlowTokenHash(expected));
    }
}
