//! The audit trail: one row per sign-in attempt, flow step and admin call,
//! written by a tower layer once the call has its answer. The answer gives
//! the outcome and its public reason; what only the handler and the domain
//! know travels in an explicit [`AuditFacts`] handle.
mod backlog;
mod facts;
mod layer;

pub use facts::{AuditFacts, sanitize};
pub use layer::{AuditFlush, AuditLayer};

/// Which calls of a service the trail records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audited {
    /// Every call: sign-ins, flow steps, admin calls.
    Always,
    /// Only calls the caller policy refused: the read-only status and court
    /// reads, whose volume would bury everything else.
    WhenRefused,
    /// Never: health and reflection.
    Never,
}

/// Which calls of `method` of `service` the trail records.
pub fn audited(service: &str, method: &str) -> Audited {
    match service {
        // A front-end reads the court's record for every page it shows.
        "court.identity.v1.AccountLinkService" if method == "GetCourt" => Audited::WhenRefused,
        "court.identity.v1.AccountLinkService"
        | "court.identity.v1.AccountAdminService"
        | "court.identity.v1.FilerAuthService" => Audited::Always,
        "court.identity.v1.LinkStatusService" => Audited::WhenRefused,
        _ => Audited::Never,
    }
}
