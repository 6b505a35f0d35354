//! RFC 4648 base32 without padding, the form authenticator apps expect.
//!
//! The TOTP secret is a secret, so the symbols are turned into bits by
//! `base32ct`, without data-dependent branches or table look-ups.
use base32ct::{Base32UpperUnpadded, Encoding};

const NOT_BASE32: &str = "must be base32 (A-Z, 2-7)";

/// Encodes bytes as unpadded upper-case base32.
pub fn encode(bytes: &[u8]) -> String {
    Base32UpperUnpadded::encode_string(bytes)
}

/// Decodes base32, ignoring case, spaces and trailing `=` padding.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let mut symbols: String = text
        .trim_end_matches('=')
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    // People type secrets by hand: a dangling last symbol (1, 3 or 6 past a
    // whole group, lengths RFC 4648 never produces) completes no byte, and has
    // always been checked and then dropped rather than refused.
    if matches!(symbols.len() % 8, 1 | 3 | 6) {
        let last = symbols.pop();
        if !last.is_some_and(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)) {
            return Err(NOT_BASE32.to_owned());
        }
    }
    Base32UpperUnpadded::decode_vec(&symbols).map_err(|_| NOT_BASE32.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4648 section 10, without the padding.
    const VECTORS: [(&[u8], &str); 7] = [
        (b"", ""),
        (b"f", "MY"),
        (b"fo", "MZXQ"),
        (b"foo", "MZXW6"),
        (b"foob", "MZXW6YQ"),
        (b"fooba", "MZXW6YTB"),
        (b"foobar", "MZXW6YTBOI"),
    ];

    #[test]
    fn encodes_the_rfc_4648_vectors_unpadded() {
        for (bytes, text) in VECTORS {
            assert_eq!(encode(bytes), text);
        }
    }

    #[test]
    fn decodes_the_rfc_4648_vectors_padded_or_not() {
        for (bytes, text) in VECTORS {
            assert_eq!(decode(text).unwrap(), bytes);
            let padded = format!("{text}{}", "=".repeat((8 - text.len() % 8) % 8));
            assert_eq!(decode(&padded).unwrap(), bytes);
        }
    }

    #[test]
    fn decoding_ignores_case_and_spaces() {
        assert_eq!(decode("mzxw 6ytb").unwrap(), b"fooba");
        assert_eq!(decode("MzXw6 YtBoI").unwrap(), b"foobar");
    }

    #[test]
    fn a_dangling_last_symbol_is_dropped_once_checked() {
        assert_eq!(decode("A").unwrap(), b"");
        assert_eq!(decode("MZX").unwrap(), b"f");
        assert_eq!(decode("MZXW6Y").unwrap(), b"foo");
        assert!(decode("MZ1").is_err());
        assert!(decode("MZXW6é").is_err());
    }

    #[test]
    fn symbols_outside_the_alphabet_are_refused() {
        assert!(decode("MZXW1").is_err());
        assert!(decode("MZ=XW").is_err());
        assert!(decode("MZXW6YT-").is_err());
    }

    #[test]
    fn round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
    }
}
