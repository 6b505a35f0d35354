//! The audit trail: one row per sign-in attempt, flow step and admin call,
//! written by a tower layer once the call has its answer. The answer gives
//! the outcome and its public reason; what only the handler and the domain
//! know travels in an explicit [`AuditFacts`] handle.
mod backlog;
mod facts;
mod layer;

pub use facts::{AuditFacts, sanitize};
pub use layer::{AuditFlush, AuditLayer};

/// The methods the trail records: everything but the read-only status calls.
pub fn is_audited(service: &str) -> bool {
    matches!(
        service,
        "court.identity.v1.AccountLinkService"
            | "court.identity.v1.AccountAdminService"
            | "court.identity.v1.FilerAuthService"
    )
}
