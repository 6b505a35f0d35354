//! Per-source throttling of sign-in attempts, against credential stuffing
//! spread over many usernames (which the per-account lockout cannot see).
//! Each source address has a token bucket; an attempt takes a token and a
//! successful one gives it back, so only failures (and refusals) use up
//! the allowance. The buckets live in this replica's memory: with N
//! replicas a source gets up to N times the rate, which is why the
//! per-account lockout, not this, is kept in the database.
mod bucket;
mod layer;

pub use bucket::{SourceLimiter, ThrottleSettings};
pub use layer::{END_USER_ADDRESS, Refusals, ThrottleLayer};

/// The sign-in methods a source is limited on, by gRPC path.
pub fn is_sign_in(path: &str) -> bool {
    matches!(
        path,
        "/court.identity.v1.AccountLinkService/AuthenticatePacer"
            | "/court.identity.v1.AccountLinkService/VerifyEcf"
            | "/court.identity.v1.FilerAuthService/AuthenticateFiler"
    )
}
