//! Seals TOTP secrets with ChaCha20-Poly1305 under a key from configuration.
//! Each ciphertext is bound to its username (associated data), so a sealed
//! secret copied onto another account's row does not open.
use chacha20poly1305::{
    ChaCha20Poly1305, KeyInit, Nonce,
    aead::{Aead, Payload},
};

const NONCE_BYTES: usize = 12;

/// Sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum MfaKeyError {
    /// The configured key is not 64 hex digits.
    #[error("the TOTP key must be 64 hexadecimal digits (32 bytes)")]
    BadKey,
    /// A stored secret does not open under this key (wrong key or tampering).
    #[error("a stored TOTP secret does not open with the configured key")]
    Unsealable,
}

/// The key sealing TOTP secrets. `Debug` is redacted.
#[derive(Clone)]
pub struct TotpKey(ChaCha20Poly1305);

impl std::fmt::Debug for TotpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpKey(<redacted>)")
    }
}

impl TotpKey {
    /// Parses 64 hexadecimal digits.
    pub fn from_hex(hex: &str) -> Result<Self, MfaKeyError> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(MfaKeyError::BadKey);
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte =
                u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| MfaKeyError::BadKey)?;
        }
        Ok(Self(ChaCha20Poly1305::new(&key.into())))
    }

    /// Encrypts `secret` for `username`: a fresh random nonce, then the ciphertext.
    pub fn seal(&self, username: &str, secret: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce);
        let sealed = self
            .0
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: username.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 encrypts any message under 256 GiB");
        [nonce.as_slice(), &sealed].concat()
    }

    /// Decrypts what `seal` made for the same username.
    pub fn open(&self, username: &str, sealed: &[u8]) -> Result<Vec<u8>, MfaKeyError> {
        if sealed.len() < NONCE_BYTES {
            return Err(MfaKeyError::Unsealable);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| MfaKeyError::Unsealable)?;
        self.0
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: username.as_bytes(),
                },
            )
            .map_err(|_| MfaKeyError::Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_secret_opens_for_its_username_only() {
        let key = TotpKey::from_hex(KEY).unwrap();
        let sealed = key.seal("hhumbert", b"secret bytes");
        assert_eq!(key.open("hhumbert", &sealed).unwrap(), b"secret bytes");
        assert!(key.open("cquilty", &sealed).is_err());
        let other = TotpKey::from_hex(&KEY.replace("00", "ff")).unwrap();
        assert!(other.open("hhumbert", &sealed).is_err());
    }

    #[test]
    fn keys_must_be_64_hex_digits() {
        assert!(TotpKey::from_hex("abcd").is_err());
        assert!(TotpKey::from_hex(&"g".repeat(64)).is_err());
        assert!(format!("{:?}", TotpKey::from_hex(KEY).unwrap()) == "TotpKey(<redacted>)");
    }
}
