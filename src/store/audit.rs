//! The audit trail of calls.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// One audited call, as appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// When the call finished.
    pub occurred_at: DateTime<Utc>,
    /// The RPC's method name, e.g. `AuthenticatePacer`.
    pub rpc: String,
    /// The court as given (sanitised), if the call named or resolved one.
    pub court_id: Option<String>,
    /// The account as given (sanitised), if any.
    pub subject: Option<String>,
    /// The account in the case-insensitive form sign-ins use; searches
    /// match this.
    pub subject_normalized: Option<String>,
    /// `OK` or the gRPC status code name.
    pub outcome: String,
    /// The error reason, or what the answer hides (e.g. `ACCOUNT_LOCKED`).
    pub reason: Option<String>,
    /// The caller's network address.
    pub caller: Option<String>,
    /// Who called: a SPIFFE ID, or `anonymous`.
    pub caller_identity: Option<String>,
    /// The filer's own address, as a front-end reported it.
    pub end_user_address: Option<String>,
    /// The operator an admin call was authenticated as.
    pub operator: Option<String>,
    /// The operator's stated reason (Unlink, UnlockAccount).
    pub detail: Option<String>,
    /// How many refused calls from one source this row stands for; 1 for
    /// every other row.
    pub repeat_count: i64,
    /// The trace the call belongs to.
    pub trace_id: Option<String>,
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the trail; later events have larger ids.
    pub id: i64,
    /// What was recorded.
    pub event: NewAuditEvent,
}

/// Which audit events to list. Every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exactly this court.
    pub court_id: Option<String>,
    /// This subject, compared in its normalised (lower-case) form.
    pub subject: Option<String>,
    /// Exactly this operator.
    pub operator: Option<String>,
    /// Exactly this caller identity.
    pub caller_identity: Option<String>,
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
    /// Where the page starts: below the last event of the page before.
    pub before: Option<AuditCursor>,
}

impl AuditFilter {
    /// Whether pages run in time order. A time window far back in the
    /// trail is read from the time index, beginning at the window, instead
    /// of walking ids down from the newest event; ids and times grow
    /// together, but not strictly (a call's row is written when it ends).
    pub fn in_time_order(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// The cursor for the page after one that ended with `last`.
    pub fn cursor_after(&self, last: &AuditRecord) -> AuditCursor {
        if self.in_time_order() {
            AuditCursor::TimeAndId(last.event.occurred_at, last.id)
        } else {
            AuditCursor::Id(last.id)
        }
    }
}

/// A page cursor, in the order the filter's pages run (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditCursor {
    /// Ids below this one: pages without a time bound.
    Id(i64),
    /// Events before this one in (time, id) order: pages with a time bound.
    TimeAndId(DateTime<Utc>, i64),
}

/// The append-only audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends events to the audit trail, all or none, in one statement.
    async fn append_audit(&self, events: &[NewAuditEvent]) -> Result<(), StoreError>;

    /// Up to `limit` audit events matching `filter`, newest first.
    async fn audit_events(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError>;
}
