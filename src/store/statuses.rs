//! Many link statuses of one court at once: the cache misses of a
//! `BatchGetLinkStatus`, read in a few statements instead of one each.
use async_trait::async_trait;

use super::{AccountKey, AccountStatus, StoreError};
use crate::domain::CourtId;

/// Looks up many accounts' link status together.
#[async_trait]
pub trait StatusStore: Send + Sync {
    /// What `AccountStore::account_status` answers for each of `accounts`,
    /// in the order given: `None` when the court does not exist. A few
    /// statements whatever the count (the court, the CM/ECF logins, the
    /// PACER usernames), each reading its accounts by index.
    async fn account_statuses(
        &self,
        court: &CourtId,
        accounts: &[AccountKey],
    ) -> Result<Option<Vec<AccountStatus>>, StoreError>;
}
