//! The outbox of link events, read in commit order.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::domain::{CourtId, EcfLogin, PacerUsername};

/// What happened to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEventKind {
    /// A link was confirmed.
    Linked,
    /// A link was removed.
    Unlinked,
}

impl LinkEventKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linked => "linked",
            Self::Unlinked => "unlinked",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "linked" => Ok(Self::Linked),
            "unlinked" => Ok(Self::Unlinked),
            other => Err(format!("unknown event type {other:?}")),
        }
    }
}

/// A committed link event from the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEventRecord {
    /// Position in commit order, gap-free across all courts, from 1.
    pub sequence: i64,
    /// Unique id.
    pub event_id: Uuid,
    /// What happened.
    pub kind: LinkEventKind,
    /// The court.
    pub court_id: CourtId,
    /// The CM/ECF side.
    pub ecf_login: EcfLogin,
    /// The PACER side.
    pub pacer_username: PacerUsername,
    /// When it committed.
    pub occurred_at: DateTime<Utc>,
}

/// The link events that confirming and unlinking append.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Up to `limit` committed events with a sequence above `after`, in order.
    async fn events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LinkEventRecord>, StoreError>;

    /// The highest committed event sequence (0 when there is none).
    async fn last_event_sequence(&self) -> Result<i64, StoreError>;

    /// Wakes `wake` whenever an event may have committed (through any
    /// replica, for PostgreSQL), until the connection fails. Wake-ups may be
    /// coalesced or lost; readers also poll, so a lost one only delays.
    async fn listen_for_events(&self, wake: &tokio::sync::Notify) -> Result<(), StoreError>;
}
