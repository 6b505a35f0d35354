//! A court moving in: accounts from its legacy system, each with the
//! password hash the legacy system kept (plaintext is never accepted).
//!
//! Records are checked one by one (a bad one is rejected and the rest go
//! on), then written in chunks, each chunk in one transaction, so a failure
//! never leaves a record half-written. The counts are always complete; at
//! most [`MAX_LISTED`] rejections are listed.
use std::collections::HashMap;

use super::{AdminService, LinkError};
use crate::domain::{CourtId, EcfLoginPrefix};
use crate::reason;
use crate::store::{ImportAccount, ImportMode, ImportResult};

/// Rejections listed in a summary; later ones are only counted.
pub const MAX_LISTED: usize = 1000;

/// Records written per transaction: large enough to amortise the commit,
/// small enough that a chunk holds its locks only briefly.
const CHUNK: usize = 500;

/// Why one record was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The record's position in the stream, from 0.
    pub index: u64,
    /// An error reason, e.g. `UNSUPPORTED_PASSWORD_HASH`.
    pub reason: &'static str,
    /// The record field at fault, e.g. `ecf.password_hash`; empty for the
    /// record as a whole.
    pub field: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Accounts that were new.
    pub created: u64,
    /// Accounts already stored exactly so.
    pub unchanged: u64,
    /// Accounts replaced (`update_existing`).
    pub updated: u64,
    /// Records not imported.
    pub rejected: u64,
    /// The first [`MAX_LISTED`] rejections, in stream order.
    pub rejections: Vec<Rejection>,
}

impl ImportSummary {
    fn reject(&mut self, index: u64, reason: &'static str, field: &str) {
        self.rejected += 1;
        if self.rejections.len() < MAX_LISTED {
            self.rejections.push(Rejection {
                index,
                reason,
                field: field.to_owned(),
            });
        }
    }
}

/// One import stream's state: the courts it has looked up, the records
/// waiting to be written, and the summary so far.
pub struct Importer<'a> {
    admin: &'a AdminService,
    mode: ImportMode,
    courts: HashMap<CourtId, Option<EcfLoginPrefix>>,
    pending: Vec<(u64, ImportAccount)>,
    summary: ImportSummary,
}

impl AdminService {
    /// Starts an import under `mode`.
    pub fn importer(&self, mode: ImportMode) -> Importer<'_> {
        Importer {
            admin: self,
            mode,
            courts: HashMap::new(),
            pending: Vec::with_capacity(CHUNK),
            summary: ImportSummary::default(),
        }
    }
}

impl Importer<'_> {
    /// Records that record `index` could not be read: `reason` at `field`.
    pub fn reject(&mut self, index: u64, reason: &'static str, field: &str) {
        self.summary.reject(index, reason, field);
    }

    /// Takes record `index`: checks its court, then queues it, writing a
    /// chunk when one is full. An error is the store's: the stream ends.
    pub async fn add(&mut self, index: u64, account: ImportAccount) -> Result<(), LinkError> {
        if let ImportAccount::Ecf(ecf) = &account {
            let prefix = match self.courts.get(&ecf.court_id) {
                Some(prefix) => prefix.clone(),
                None => {
                    let court = self.admin.store.court(&ecf.court_id).await?;
                    let prefix = court.map(|c| c.ecf_login_prefix);
                    self.courts.insert(ecf.court_id.clone(), prefix.clone());
                    prefix
                }
            };
            let Some(prefix) = prefix else {
                self.reject(index, reason::UNKNOWN_COURT, "ecf.court_id");
                return Ok(());
            };
            if !ecf.login.has_prefix(&prefix) {
                self.reject(index, reason::ECF_LOGIN_PREFIX_MISMATCH, "ecf.login");
                return Ok(());
            }
        }
        self.pending.push((index, account));
        if self.pending.len() >= CHUNK {
            self.write().await?;
        }
        Ok(())
    }

    /// Writes what is left and returns the summary.
    pub async fn finish(mut self) -> Result<ImportSummary, LinkError> {
        self.write().await?;
        let s = &self.summary;
        tracing::info!(
            dry_run = self.mode.dry_run,
            created = s.created,
            unchanged = s.unchanged,
            updated = s.updated,
            rejected = s.rejected,
            "accounts imported"
        );
        Ok(self.summary)
    }

    async fn write(&mut self) -> Result<(), LinkError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let accounts: Vec<_> = self.pending.iter().map(|(_, a)| a.clone()).collect();
        let results = self
            .admin
            .store
            .import_accounts(&accounts, self.mode)
            .await?;
        for ((index, account), result) in self.pending.drain(..).zip(results) {
            let side = match account {
                ImportAccount::Pacer(_) => "pacer",
                ImportAccount::Ecf(_) => "ecf",
            };
            let s = &mut self.summary;
            match result {
                ImportResult::Created => s.created += 1,
                ImportResult::Unchanged => s.unchanged += 1,
                ImportResult::Updated => s.updated += 1,
                ImportResult::Differs => s.reject(index, reason::CONFLICT, side),
                ImportResult::Linked => {
                    s.reject(
                        index,
                        reason::ECF_ACCOUNT_ALREADY_LINKED,
                        "ecf.display_name",
                    );
                }
            }
        }
        Ok(())
    }
}
