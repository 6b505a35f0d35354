use std::fmt;

/// A one-time code as typed: exactly six ASCII digits. `Debug` is redacted,
/// since a code is a (short-lived) secret.
#[derive(Clone)]
pub struct OtpCode([u8; 6]);

impl OtpCode {
    /// Parses an optional code field: empty means no code was given.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, String> {
        if raw.is_empty() {
            return Ok(None);
        }
        let bytes: [u8; 6] = raw
            .as_bytes()
            .try_into()
            .map_err(|_| "must be exactly 6 digits".to_owned())?;
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err("must be exactly 6 digits".into());
        }
        Ok(Some(Self(bytes)))
    }

    /// The digits, for a constant-time comparison.
    pub fn expose(&self) -> &[u8; 6] {
        &self.0
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_or_nothing() {
        assert!(OtpCode::parse_optional("").unwrap().is_none());
        assert!(OtpCode::parse_optional("012345").unwrap().is_some());
        for bad in ["12345", "1234567", "12345a", "١٢٣٤٥٦", " 12345"] {
            assert!(OtpCode::parse_optional(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn debug_never_shows_the_code() {
        let code = OtpCode::parse_optional("424242").unwrap().unwrap();
        assert!(!format!("{code:?}").contains("424242"));
    }
}
