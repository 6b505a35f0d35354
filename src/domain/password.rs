use std::fmt;

const MAX_CHARS: usize = 256;
const NEW_MIN_CHARS: usize = 12;

/// A password as the user typed it: never trimmed, never printed. `Debug`
/// is redacted so it cannot leak through a log line or an error.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Parses a password offered for sign-in: 1 to 256 characters, as received.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if raw.chars().count() > MAX_CHARS {
            return Err(format!("must be at most {MAX_CHARS} characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The bytes handed to the password hash.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A password being set on an account: as `Password`, and at least 12
/// characters, the length NIST SP 800-63B suggests for single-factor secrets.
#[derive(Clone, Debug)]
pub struct NewPassword(Password);

impl NewPassword {
    /// Parses a password to store.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() < NEW_MIN_CHARS {
            return Err(format!("must be at least {NEW_MIN_CHARS} characters"));
        }
        Password::parse(raw).map(Self)
    }

    /// The password to hash.
    pub fn password(&self) -> &Password {
        &self.0
    }
}
