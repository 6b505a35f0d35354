use super::{EcfLoginPrefix, text};

fn login_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// A PACER username, lower case. PACER treats usernames case-insensitively,
/// so normalising here keeps `HHumbert` and `hhumbert` one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PacerUsername(String);

impl PacerUsername {
    /// Parses: 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        text::identifier(
            raw,
            1,
            64,
            |c| login_char(c) || c == '@',
            "letters, digits, '.', '_', '-' and '@'",
        )
        .map(Self)
    }

    /// The username as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A legacy CM/ECF login in one court, lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EcfLogin(String);

impl EcfLogin {
    /// Parses: 1 to 64 letters, digits, `.`, `_` or `-`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        text::identifier(raw, 1, 64, login_char, "letters, digits, '.', '_' and '-'").map(Self)
    }

    /// Whether the login has the court's prefix ("co" in Colorado).
    pub fn has_prefix(&self, prefix: &EcfLoginPrefix) -> bool {
        self.0.starts_with(prefix.as_str())
    }

    /// The login as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as an account shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses: 1 to 128 characters, trimmed, no control characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        text::human(raw, 128).map(Self)
    }

    /// Whether two names are the same person's name as a filer would read it
    /// (see [`super::names::names_match`]).
    pub fn matches(&self, other: &DisplayName) -> bool {
        super::names::names_match(&self.0, &other.0)
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional PACER client code (billing reference).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientCode(Option<String>);

impl ClientCode {
    /// Parses: empty means none; otherwise up to 32 printable ASCII characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Ok(Self(None));
        }
        if raw.chars().count() > 32 {
            return Err("must be at most 32 characters".into());
        }
        if !raw.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            return Err("may contain only printable ASCII characters".into());
        }
        Ok(Self(Some(raw.to_owned())))
    }

    /// The code, if one was given.
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Why an operator removed a link, for the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlinkReason(String);

impl UnlinkReason {
    /// Parses: 1 to 500 characters, trimmed, no control characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        text::human(raw, 500).map(Self)
    }

    /// The reason as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
