//! Domain values that parse at the boundary: once constructed they are valid,
//! so handlers and the store never see raw strings.
mod account;
mod court;
mod flow_token;
mod names;
mod otp;
mod password;
mod text;

pub use text::breaks_text;

pub use account::{ClientCode, DisplayName, EcfLogin, PacerUsername, UnlinkReason};
pub use court::{CourtEnvironment, CourtId, CourtName, EcfLoginPrefix, environment_text};
pub use flow_token::{FlowToken, FlowTokenHash};
pub use names::names_match;
pub use otp::OtpCode;
pub use password::{NewPassword, Password};

/// Why one input field was rejected; becomes a `google.rpc.BadRequest` field violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The request field, as named in the proto.
    pub field: String,
    /// What is wrong with it, safe to show to the caller (never echoes secrets).
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Collects the violations of a whole request so the caller learns every bad
/// field at once rather than one per round trip.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// Parses one field, remembering its violation under `field`.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(description) => {
                self.0.push(FieldViolation::new(field, description));
                None
            }
        }
    }

    /// Ends the parse: every field is valid, or all violations are returned.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldViolation>> {
        if self.0.is_empty()
            && let Some(value) = build()
        {
            return Ok(value);
        }
        Err(self.0)
    }
}
