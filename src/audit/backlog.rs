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
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::store::{NewAuditEvent, Store};

/// Rows that may wait; beyond it rows are dropped rather than callers blocked.
const CAPACITY: usize = 10_000;
/// Most rows in one insert.
const MAX_BATCH: usize = 500;

enum Command {
    Row(Box<NewAuditEvent>),
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

    /// Queues `event` without waiting.
    pub fn push(&self, event: NewAuditEvent) {
        if self.queue.try_send(Command::Row(Box::new(event))).is_err() {
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

async fn write(store: Arc<dyn Store>, mut commands: mpsc::Receiver<Command>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut flushed = Vec::new();
    while let Some(first) = commands.recv().await {
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Row(event) => batch.push(*event),
                Command::Flush(done) => flushed.push(done),
            }
            if batch.len() < MAX_BATCH {
                next = commands.try_recv().ok();
            }
        }
        if !batch.is_empty()
            && let Err(error) = store.append_audit(&batch).await
        {
            crate::metrics::metrics()
                .audit_failures
                .inc_by(batch.len() as u64);
            tracing::error!(rows = batch.len(), %error, "deferred audit rows not recorded");
        }
        batch.clear();
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
}
