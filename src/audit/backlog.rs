//! Audit rows written in batches off the caller's path: those of refused
//! calls (shed under overload, throttled, unauthenticated) and of calls the
//! caller cancelled or let time out.
//!
//! Refusals must stay cheap: a refusal that waited for its own database
//! insert would cost the service what it is refusing to spend, and a flood
//! of them would hold the connection pool. A refused call has checked no
//! credential and changed nothing, so its row is queued here and written
//! with others in one statement, and the refusal goes out at once. A
//! cancelled call has no one left to answer, so its row waits here too.
//! Rows still queued are written when the server stops ([`Backlog::flush`]);
//! only a crash can lose them, and a full queue drops rows (counted in
//! `pacer_link_audit_failures_total` and logged), never blocks a caller.
//!
//! Refusals that wait in the same batch and come from the same source
//! (caller identity, network address, filer's address, operator) for the
//! same method and reason become one row with a `repeat_count`: a flood is
//! counted whole, per source, without burying the rows around it.
use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::store::{NewAuditEvent, Store};

/// Rows that may wait; beyond it rows are dropped rather than callers blocked.
const CAPACITY: usize = 10_000;
/// Most rows in one insert.
const MAX_BATCH: usize = 500;

enum Command {
    /// A row, and whether it is a refusal that may be merged with others.
    Row(Box<NewAuditEvent>, bool),
    Flush(oneshot::Sender<()>),
}

/// The queue of audit rows waiting for the writer task.
#[derive(Clone)]
pub struct Backlog {
    queue: mpsc::Sender<Command>,
}

impl Backlog {
    /// Starts the writer task, which appends to `store`.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (queue, commands) = mpsc::channel(CAPACITY);
        tokio::spawn(write(store, commands));
        Self { queue }
    }

    /// Queues `event` without waiting; it is written as it is.
    pub fn push(&self, event: NewAuditEvent) {
        self.send(event, false);
    }

    /// Queues the row of a call refused before any credential was checked;
    /// it may be merged with like refusals from the same source.
    pub fn push_refusal(&self, event: NewAuditEvent) {
        self.send(event, true);
    }

    fn send(&self, event: NewAuditEvent, refusal: bool) {
        if self
            .queue
            .try_send(Command::Row(Box::new(event), refusal))
            .is_err()
        {
            crate::metrics::metrics().audit_failures.inc();
            tracing::error!("audit backlog full or closed: a deferred row was dropped");
        }
    }

    /// Waits until every row queued before this call is written (or failed).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Command::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

/// What makes two refusals the same for the trail: who, from where, what.
#[derive(Hash, PartialEq, Eq)]
struct Source {
    rpc: String,
    outcome: String,
    reason: Option<String>,
    caller: Option<String>,
    caller_identity: Option<String>,
    end_user_address: Option<String>,
    operator: Option<String>,
}

impl Source {
    fn of(event: &NewAuditEvent) -> Self {
        Self {
            rpc: event.rpc.clone(),
            outcome: event.outcome.clone(),
            reason: event.reason.clone(),
            caller: event.caller.clone(),
            caller_identity: event.caller_identity.clone(),
            end_user_address: event.end_user_address.clone(),
            operator: event.operator.clone(),
        }
    }
}

/// The rows of one batch, like refusals merged.
#[derive(Default)]
struct Batch {
    rows: Vec<NewAuditEvent>,
    refusals: HashMap<Source, usize>,
}

impl Batch {
    fn add(&mut self, event: NewAuditEvent, refusal: bool) {
        if !refusal {
            self.rows.push(event);
            return;
        }
        let source = Source::of(&event);
        let Some(&i) = self.refusals.get(&source) else {
            self.refusals.insert(source, self.rows.len());
            self.rows.push(event);
            return;
        };
        let row = &mut self.rows[i];
        row.repeat_count += event.repeat_count;
        row.occurred_at = row.occurred_at.max(event.occurred_at);
        // One row for many accounts names none of them.
        if row.subject_normalized != event.subject_normalized {
            (row.subject, row.subject_normalized) = (None, None);
        }
        if row.court_id != event.court_id {
            row.court_id = None;
        }
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.refusals.clear();
    }
}

async fn write(store: Arc<dyn Store>, mut commands: mpsc::Receiver<Command>) {
    let mut batch = Batch::default();
    let mut taken = 0u64;
    let mut flushed = Vec::new();
    while let Some(first) = commands.recv().await {
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Row(event, refusal) => {
                    batch.add(*event, refusal);
                    taken += 1;
                }
                Command::Flush(done) => flushed.push(done),
            }
            // Merged refusals take no room in the insert, but a batch still
            // ends, so that a flood is written as it goes.
            if batch.rows.len() < MAX_BATCH && taken < CAPACITY as u64 {
                next = commands.try_recv().ok();
            }
        }
        if !batch.rows.is_empty()
            && let Err(error) = store.append_audit(&batch.rows).await
        {
            crate::metrics::metrics().audit_failures.inc_by(taken);
            tracing::error!(calls = taken, %error, "deferred audit rows not recorded");
        }
        batch.clear();
        taken = 0;
        for done in flushed.drain(..) {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use sqlx::Connection;

    use super::*;
    use crate::store::{AuditFilter, PoolSettings};

    fn shed_row(i: i64) -> NewAuditEvent {
        NewAuditEvent {
            occurred_at: chrono::DateTime::from_timestamp(1_800_000_000 + i, 0).unwrap(),
            rpc: "AuthenticatePacer".into(),
            court_id: Some("cod".into()),
            subject: Some(format!("user{i}")),
            subject_normalized: Some(format!("user{i}")),
            outcome: "RESOURCE_EXHAUSTED".into(),
            reason: Some("OVERLOADED".into()),
            caller: None,
            caller_identity: None,
            end_user_address: None,
            operator: None,
            detail: None,
            repeat_count: 1,
            trace_id: None,
        }
    }

    #[tokio::test]
    async fn flush_waits_until_rows_held_up_by_the_database_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("audit.db").display());
        let settings = PoolSettings {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
        };
        let store = crate::store::open(&url, &settings).await.unwrap();
        store.migrate().await.unwrap();
        // Another writer holds the database, so the backlog's inserts wait.
        let mut blocker = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN EXCLUSIVE")
            .execute(&mut blocker)
            .await
            .unwrap();
        let backlog = Backlog::start(store.clone());

        let started = Instant::now();
        for i in 0..1200 {
            backlog.push(shed_row(i));
        }
        let pushed = started.elapsed();
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            sqlx::query("COMMIT").execute(&mut blocker).await.unwrap();
        });
        backlog.flush().await;
        let flushed = started.elapsed();
        release.await.unwrap();
        let stored = store
            .audit_events(&AuditFilter::default(), 2000)
            .await
            .unwrap();

        assert!(
            pushed < Duration::from_millis(100),
            "pushing blocked: {pushed:?}"
        );
        assert!(
            flushed >= Duration::from_millis(300),
            "flush returned early"
        );
        assert_eq!(stored.len(), 1200);
        assert_eq!(stored.last().unwrap().event, shed_row(0));
    }

    #[test]
    fn like_refusals_from_one_source_become_one_row_and_others_stay_whole() {
        let from = |address: &str, i: i64| NewAuditEvent {
            end_user_address: Some(address.into()),
            ..shed_row(i)
        };
        let mut batch = Batch::default();

        for i in 0..40 {
            batch.add(from("198.51.100.7", i), true);
        }
        batch.add(from("203.0.113.9", 40), true);
        batch.add(from("198.51.100.7", 41), false);

        let rows = &batch.rows;
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].repeat_count, 40);
        assert_eq!(rows[0].occurred_at, shed_row(39).occurred_at);
        assert_eq!(
            (&rows[0].subject, &rows[0].court_id),
            (&None, &Some("cod".into()))
        );
        assert_eq!((rows[1].repeat_count, rows[2].repeat_count), (1, 1));
        assert_eq!(rows[2].subject.as_deref(), Some("user41"));
    }

    #[test]
    fn merged_refusals_for_one_account_keep_it() {
        let mut batch = Batch::default();

        for i in 0..3 {
            let same_account = NewAuditEvent {
                subject: Some("HHumbert".into()),
                subject_normalized: Some("hhumbert".into()),
                ..shed_row(i)
            };
            batch.add(same_account, true);
        }

        assert_eq!(batch.rows.len(), 1);
        assert_eq!(batch.rows[0].subject.as_deref(), Some("HHumbert"));
        assert_eq!(batch.rows[0].repeat_count, 3);
    }
}
