//! The audit trail: one row per sign-in attempt, flow step and admin call,
//! written by a tower layer once the call has its answer. Handlers and the
//! domain add what only they know (the court and account as given, a reason
//! the answer hides) to a note scoped to the call.
mod backlog;
mod layer;
mod note;

pub use layer::AuditLayer;
pub use note::{
    note_court, note_hidden_reason, note_reason, note_subject, run_to_completion, sanitize,
};

/// The methods the trail records: everything but the read-only status calls.
pub fn is_audited(service: &str) -> bool {
    matches!(
        service,
        "court.identity.v1.AccountLinkService"
            | "court.identity.v1.AccountAdminService"
            | "court.identity.v1.FilerAuthService"
    )
}
