//! `pacer-link import FILE --addr URL`: streams a JSON Lines file of account
//! records to `ImportAccounts` and reports each rejection by line number.
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use tokio::sync::mpsc;

use super::connection::{Connection, admin_request, admin_token};
use super::records::parse_line;
use crate::proto::{self, account_admin_service_client::AccountAdminServiceClient};
use crate::reason;

/// `import` options.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The JSON Lines file: one `AccountRecord` per line (blank lines are skipped).
    pub file: PathBuf,
    /// The service.
    #[command(flatten)]
    pub connection: Connection,
    /// Check and compare every record, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace stored accounts that differ from their record.
    #[arg(long)]
    pub update_existing: bool,
}

/// A rejection, by line.
struct Rejected {
    line: u64,
    reason: String,
    field: String,
}

/// Records sent per progress report when stderr is not a terminal.
const PROGRESS_EVERY: u64 = 100_000;

/// Runs the import; an error when the call failed or any record was rejected.
pub async fn run_import(args: ImportArgs) -> anyhow::Result<()> {
    let token = admin_token()?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let channel = args.connection.connect().await?;

    let (sender, receiver) = mpsc::channel::<Vec<proto::ImportAccountsRequest>>(16);
    let options = (args.dry_run, args.update_existing);
    // Reading and parsing run beside the call, so the stream never waits
    // for the disk and the file is never held in memory.
    let reader = tokio::task::spawn_blocking(move || {
        read_records(std::io::BufReader::new(file), total_bytes, options, &sender)
    });
    let request = admin_request(&token, Batches::new(receiver))?;
    let answer = AccountAdminServiceClient::new(channel)
        .import_accounts(request)
        .await;
    let (lines, mut rejected) = reader.await.context("the file reader stopped")??;
    let summary = answer
        .map_err(|status| anyhow::anyhow!("import failed: {}", status.message()))?
        .into_inner();

    for r in &summary.rejections {
        let line = lines.get(r.index as usize).copied().unwrap_or_default();
        rejected.push(Rejected {
            line,
            reason: r.reason.clone(),
            field: r.field.clone(),
        });
    }
    rejected.sort_by_key(|r| r.line);
    let local = rejected
        .iter()
        .filter(|r| r.reason == reason::INVALID_JSON)
        .count() as u64;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}created {}, unchanged {}, updated {}, rejected {}",
        if summary.dry_run { "dry run: " } else { "" },
        summary.created,
        summary.unchanged,
        summary.updated,
        summary.rejected + local,
    )?;
    for r in &rejected {
        writeln!(out, "line {}: {} ({})", r.line, r.reason, r.field)?;
    }
    let listed = summary.rejections.len() as u64;
    if summary.rejected > listed {
        writeln!(
            out,
            "({} more rejections not listed)",
            summary.rejected - listed
        )?;
    }
    if summary.rejected + local > 0 {
        anyhow::bail!("{} records rejected", summary.rejected + local);
    }
    Ok(())
}

/// Sends every record of `file`; returns the line of each message sent (by
/// index) and the lines that are not records.
fn read_records(
    file: impl BufRead,
    total_bytes: u64,
    (dry_run, update_existing): (bool, bool),
    sender: &mpsc::Sender<Vec<proto::ImportAccountsRequest>>,
) -> anyhow::Result<(Vec<u64>, Vec<Rejected>)> {
    let mut progress = Progress::new(total_bytes);
    let (mut lines, mut rejected) = (Vec::new(), Vec::new());
    let mut batch = Vec::with_capacity(BATCH);
    for (n, line) in file.lines().enumerate() {
        let number = n as u64 + 1;
        let line = line.with_context(|| format!("cannot read line {number}"))?;
        progress.advance(line.len() as u64 + 1, lines.len() as u64);
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(&line) {
            Ok(record) => {
                let message = proto::ImportAccountsRequest {
                    record: Some(record),
                    dry_run,
                    update_existing,
                };
                batch.push(message);
                lines.push(number);
                // A closed stream means the call ended; its answer says why.
                if batch.len() == BATCH && sender.blocking_send(std::mem::take(&mut batch)).is_err()
                {
                    break;
                }
            }
            Err(_) => rejected.push(Rejected {
                line: number,
                reason: reason::INVALID_JSON.to_owned(),
                field: "line".to_owned(),
            }),
        }
    }
    if !batch.is_empty() {
        let _ = sender.blocking_send(batch);
    }
    progress.done(lines.len() as u64);
    Ok((lines, rejected))
}

/// Records handed from the reader to the stream at a time. Many messages
/// ready at once are written in few HTTP/2 frames and read by the server
/// without a wake-up each; one at a time, each costs a round of both.
const BATCH: usize = 256;

/// The stream of messages the reader hands over in batches.
struct Batches {
    receiver: mpsc::Receiver<Vec<proto::ImportAccountsRequest>>,
    current: std::vec::IntoIter<proto::ImportAccountsRequest>,
}

impl Batches {
    fn new(receiver: mpsc::Receiver<Vec<proto::ImportAccountsRequest>>) -> Self {
        Self {
            receiver,
            current: Vec::new().into_iter(),
        }
    }
}

impl tokio_stream::Stream for Batches {
    type Item = proto::ImportAccountsRequest;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        loop {
            if let Some(message) = self.current.next() {
                return Poll::Ready(Some(message));
            }
            match self.receiver.poll_recv(cx) {
                Poll::Ready(Some(batch)) => self.current = batch.into_iter(),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// A bar on a terminal, a line every [`PROGRESS_EVERY`] records otherwise.
struct Progress {
    total_bytes: u64,
    read_bytes: u64,
    terminal: bool,
    shown: u64,
}

impl Progress {
    fn new(total_bytes: u64) -> Self {
        Self {
            total_bytes,
            read_bytes: 0,
            terminal: std::io::stderr().is_terminal(),
            shown: 0,
        }
    }

    fn advance(&mut self, bytes: u64, sent: u64) {
        self.read_bytes += bytes;
        if self.terminal {
            let percent = (self.read_bytes * 100)
                .checked_div(self.total_bytes)
                .unwrap_or(100)
                .min(100);
            if percent != self.shown {
                self.shown = percent;
                let filled = (percent / 4) as usize;
                eprint!(
                    "\r[{}{}] {percent:3}% {sent} records",
                    "#".repeat(filled),
                    ".".repeat(25 - filled)
                );
            }
        } else if sent > 0 && sent.is_multiple_of(PROGRESS_EVERY) && sent != self.shown {
            self.shown = sent;
            eprintln!("{sent} records sent");
        }
    }

    fn done(&self, sent: u64) {
        if self.terminal {
            eprintln!("\r[{}] 100% {sent} records", "#".repeat(25));
        } else {
            eprintln!("{sent} records sent");
        }
    }
}
