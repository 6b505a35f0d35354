//! Accounts moved in from a court's legacy system, with the password hashes
//! it kept, written a chunk at a time.
use async_trait::async_trait;

use super::{NewEcfAccount, NewPacerAccount, StoreError};

/// How an import treats what is already stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportMode {
    /// Check and compare everything, write nothing.
    pub dry_run: bool,
    /// Replace a stored account that differs (never a linked CM/ECF one).
    pub update_existing: bool,
}

/// One account to import; its `password_hash` is in any accepted format.
#[derive(Debug, Clone)]
pub enum ImportAccount {
    /// A PACER account.
    Pacer(NewPacerAccount),
    /// A CM/ECF account in an existing court.
    Ecf(NewEcfAccount),
}

/// What importing one account did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportResult {
    /// It was new and is now stored.
    Created,
    /// The stored account is the same.
    Unchanged,
    /// The stored account differed and was replaced.
    Updated,
    /// The stored account differs and the import may not replace it.
    Differs,
    /// The CM/ECF account is linked and differs (its name): never replaced.
    Linked,
}

/// Writes imported accounts.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Imports `accounts` in order, in one transaction: a failure writes
    /// none of them. Each is created if new, left alone if the same as
    /// stored, and replaced if it differs and `mode.update_existing` is set;
    /// a linked CM/ECF account keeps its (retired) password whatever the
    /// record says, and counts as the same when its name is. In a dry run
    /// the transaction is rolled back, so the answers still account for
    /// earlier records of the same chunk.
    async fn import_accounts(
        &self,
        accounts: &[ImportAccount],
        mode: ImportMode,
    ) -> Result<Vec<ImportResult>, StoreError>;
}
