//! The TOTP second factor: RFC 6238 codes (HMAC-SHA1, 6 digits, 30 s steps,
//! one step of clock skew either way) and the key that seals the shared
//! secrets at rest.
mod base32;
mod key;
mod totp;

pub use base32::{decode as base32_decode, encode as base32_encode};
pub use key::{MfaKeyError, TotpKey};
pub use totp::{STEP_SECONDS, code_at, matching_step, step_at};

/// Length of a generated secret: 160 bits, as RFC 4226 recommends.
pub const GENERATED_SECRET_BYTES: usize = 20;
/// Shortest secret accepted for enrollment: RFC 4226's 128-bit minimum.
pub const MIN_SECRET_BYTES: usize = 16;
/// Longest secret accepted for enrollment.
pub const MAX_SECRET_BYTES: usize = 64;
