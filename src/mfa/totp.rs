//! RFC 6238 time-based one-time passwords.
//!
//! Hand-written over `hmac`: TOTP crates answer yes or no; a sign-in needs
//! the step matched, to refuse reuse.
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

use crate::domain::OtpCode;

/// The length of a time step.
pub const STEP_SECONDS: i64 = 30;

/// The time step a Unix time falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The six-digit code of `step`, as ASCII digits.
pub fn code_at(secret: &[u8], step: i64) -> [u8; 6] {
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    // RFC 4226's dynamic truncation.
    let offset = usize::from(digest[19] & 0x0f);
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]) % 1_000_000;
    let mut digits = [b'0'; 6];
    let mut rest = value;
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    digits
}

/// The step, among the current one and one either side, whose code is
/// `code`. Every candidate is compared in constant time, with no early exit.
pub fn matching_step(secret: &[u8], code: &OtpCode, unix_seconds: i64) -> Option<i64> {
    let now = step_at(unix_seconds);
    let mut found = None;
    for step in [now - 1, now, now + 1] {
        if bool::from(code_at(secret, step).ct_eq(code.expose())) {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 column, last six digits.
    const SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_vectors() {
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(
                &code_at(SECRET, step_at(time)),
                code.as_bytes(),
                "at {time}"
            );
        }
    }

    #[test]
    fn one_step_of_skew_either_way_and_no_more() {
        let now = 1_234_567_890;
        let step = step_at(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_at(SECRET, step + offset);
            let code = OtpCode::parse_optional(std::str::from_utf8(&code).unwrap())
                .unwrap()
                .unwrap();
            assert_eq!(
                matching_step(SECRET, &code, now).is_some(),
                accepted,
                "offset {offset}"
            );
        }
    }
}
