//! A court moving in: accounts from its legacy system, each with the
//! password hash the legacy system kept (plaintext is never accepted).
//!
//! Records are checked one by one (a bad one is rejected and the rest go
//! on), then written in chunks, each chunk in one transaction, so a failure
//! never leaves a record half-written. A chunk is written while the next is
//! read; chunks commit in stream order. The counts are always complete; at
//! most [`MAX_LISTED`] rejections are listed.
use std::collections::HashMap;

use super::{AdminService, LinkError};
use crate::domain::{CourtId, EcfLoginPrefix};
use crate::reason;
use crate::store::{ImportAccount, ImportMode, ImportResult};

/// Rejections listed in a summary; later ones are only counted.
pub const MAX_LISTED: usize = 1000;

/// Records written per transaction: enough to amortise the commit, and few
/// enough that the insert's parameters stay small. Measured on PostgreSQL
/// over loopback: 100 rows (~10 KB of parameters) insert in 1.7 ms, 250 rows
/// in 45 ms and 500 in 48 ms, each larger statement stalling for a delayed
/// ACK (sqlx leaves Nagle's algorithm on for its connections).
const CHUNK: usize = 100;

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
    /// The chunk being written while the next is read: at most one, so
    /// chunks commit in stream order.
    in_flight: Option<InFlight>,
    summary: ImportSummary,
}

/// A chunk's write: each record's index and side, and the store's answers.
type InFlight = tokio::task::JoinHandle<(Vec<(u64, &'static str)>, StoreResults)>;
type StoreResults = Result<Vec<ImportResult>, crate::store::StoreError>;

impl AdminService {
    /// Starts an import under `mode`.
    pub fn importer(&self, mode: ImportMode) -> Importer<'_> {
        Importer {
            admin: self,
            mode,
            courts: HashMap::new(),
            pending: Vec::with_capacity(CHUNK),
            in_flight: None,
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
        self.settle().await?;
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

    /// Starts writing the pending chunk once the one before it is done.
    async fn write(&mut self) -> Result<(), LinkError> {
        self.settle().await?;
        if self.pending.is_empty() {
            return Ok(());
        }
        let (records, accounts): (Vec<_>, Vec<_>) = self
            .pending
            .drain(..)
            .map(|(index, account)| {
                let side = match account {
                    ImportAccount::Pacer(_) => "pacer",
                    ImportAccount::Ecf(_) => "ecf",
                };
                ((index, side), account)
            })
            .unzip();
        let (store, mode) = (self.admin.store.clone(), self.mode);
        self.in_flight = Some(tokio::spawn(async move {
            let results = store.import_accounts(&accounts, mode).await;
            (records, results)
        }));
        Ok(())
    }

    /// Waits for the chunk in flight, if any, and counts its answers.
    async fn settle(&mut self) -> Result<(), LinkError> {
        let Some(in_flight) = self.in_flight.take() else {
            return Ok(());
        };
        let (records, results) = in_flight
            .await
            .map_err(|e| LinkError::Internal(format!("import chunk task: {e}").into()))?;
        for ((index, side), result) in records.into_iter().zip(results?) {
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
