//! What the clerk's office reads before switching the legacy logins off:
//! how many of a court's CM/ECF accounts are linked, and which are not.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::{CourtId, EcfLogin};

/// A court's CM/ECF accounts, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverageCounts {
    /// All of them.
    pub ecf_accounts: i64,
    /// Those linked.
    pub linked: i64,
    /// Unlinked ones with a failed CM/ECF sign-in on record.
    pub unlinked_with_failed_attempts: i64,
}

/// Which accounts a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStateFilter {
    /// Every account.
    Any,
    /// Only linked ones.
    Linked,
    /// Only unlinked ones.
    Unlinked,
}

/// One CM/ECF account as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcfAccountListing {
    /// The login.
    pub login: String,
    /// The filer's name.
    pub display_name: String,
    /// The PACER account it is linked to, and when.
    pub link: Option<(String, DateTime<Utc>)>,
    /// Its last failed CM/ECF sign-in.
    pub last_failed_at: Option<DateTime<Utc>>,
}

/// Counts and lists a court's CM/ECF accounts by link state.
#[async_trait]
pub trait CoverageStore: Send + Sync {
    /// The court's accounts, counted: one row, kept as they change.
    async fn link_coverage(&self, court: &CourtId) -> Result<CoverageCounts, StoreError>;

    /// Up to `limit` of the court's accounts matching `state`, in login
    /// order, after `after` (keyset paging).
    async fn ecf_accounts(
        &self,
        court: &CourtId,
        state: LinkStateFilter,
        after: Option<&EcfLogin>,
        limit: u32,
    ) -> Result<Vec<EcfAccountListing>, StoreError>;
}
