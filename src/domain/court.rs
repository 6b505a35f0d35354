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

/// The label of a court's non-production environment, e.g. `train`, shown
/// beside its name on the filer's screens. Production courts have none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourtEnvironment(String);

impl CourtEnvironment {
    /// Parses: empty for none, else 1 to 16 ASCII letters or digits, lower case.
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        if raw.is_empty() {
            return Ok(None);
        }
        text::identifier(
            raw,
            1,
            16,
            |c| c.is_ascii_alphanumeric(),
            "letters and digits",
        )
        .map(|label| Some(Self(label)))
    }

    /// The label as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The label as stored and sent: empty for a production court.
pub fn environment_text(environment: Option<&CourtEnvironment>) -> &str {
    environment.map_or("", CourtEnvironment::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_environment_label_is_optional_and_lower_cased() {
        assert_eq!(CourtEnvironment::parse(""), Ok(None));
        assert_eq!(
            CourtEnvironment::parse("Train").unwrap().unwrap().as_str(),
            "train"
        );
        assert!(CourtEnvironment::parse("tr ain").is_err());
        assert!(CourtEnvironment::parse(&"t".repeat(17)).is_err());
    }
}
