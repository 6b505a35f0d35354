use super::text;

/// A court's identifier, e.g. `cod`: 2 to 16 ASCII letters or digits, lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CourtId(String);

impl CourtId {
    /// Parses and normalises to lower case.
    pub fn parse(raw: &str) -> Result<Self, String> {
        text::identifier(
            raw,
            2,
            16,
            |c| c.is_ascii_alphanumeric(),
            "letters and digits",
        )
        .map(Self)
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A court's full name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourtName(String);

impl CourtName {
    /// Parses: 1 to 200 characters, trimmed, no control characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        text::human(raw, 200).map(Self)
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What every CM/ECF login of one court begins with, e.g. `co`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcfLoginPrefix(String);

impl EcfLoginPrefix {
    /// Parses: 1 to 8 ASCII letters or digits, lower case.
    pub fn parse(raw: &str) -> Result<Self, String> {
        text::identifier(
            raw,
            1,
            8,
            |c| c.is_ascii_alphanumeric(),
            "letters and digits",
        )
        .map(Self)
    }

    /// The prefix as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
