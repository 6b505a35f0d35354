//! Housekeeping under load: sign-ins while `pacer-link housekeep` (the
//! CronJob's command) purges a backlog of expired audit rows. The purger is
//! paused (SIGSTOP) and resumed (SIGCONT) in alternating slices, so the
//! sign-ins with and without it are measured side by side until it is done.
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tonic::transport::Channel;

use crate::drive::Run;
use crate::scenarios;
use crate::seed::SeedDb;
use crate::stats::{Summary, round};

/// The default audit retention, in days (`PACER_LINK_AUDIT_RETENTION_DAYS`).
const RETENTION_DAYS: i64 = 400;

struct Purger(Child);

impl Purger {
    fn start(binary: &Path, database_url: &str, log: &Path) -> anyhow::Result<Self> {
        let child = Command::new(binary)
            .arg("housekeep")
            .env("DATABASE_URL", database_url)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(log)?)
            .stderr(std::fs::File::create(log.with_extension("stderr"))?)
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting {} housekeep: {e}", binary.display()))?;
        Ok(Self(child))
    }

    fn signal(&self, name: &str) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.0.id().to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "kill -{name} failed");
        Ok(())
    }

    /// `Some(success)` once it has exited.
    fn finished(&mut self) -> anyhow::Result<Option<bool>> {
        Ok(self.0.try_wait()?.map(|s| s.success()))
    }
}

impl Drop for Purger {
    fn drop(&mut self) {
        let _ = self.signal("CONT");
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// AuthenticatePacer at `concurrency` in `slice`-long turns, with the purger
/// paused and then running, until it has purged every expired row.
pub async fn purge(
    channels: &[Channel],
    concurrency: usize,
    slice: Duration,
    binary: &Path,
    database_url: &str,
    seed: &SeedDb,
) -> anyhow::Result<Vec<Summary>> {
    let expired = seed.audit_rows_older_than(RETENTION_DAYS).await?;
    let log = Path::new("target/bench-housekeep.log");
    eprintln!(
        "purge: {expired} expired audit rows; {} housekeep (logs in {})",
        binary.display(),
        log.display()
    );
    let mut purger = Purger::start(binary, database_url, log)?;
    // Paused before it has its connection, it would find the pool's wait
    // for one timed out on waking; so it runs until its first batch is done.
    let begun = Instant::now();
    while seed.audit_rows_older_than(RETENTION_DAYS).await? == expired {
        anyhow::ensure!(
            purger.finished()?.is_none(),
            "housekeep exited before purging; see {}",
            log.display()
        );
        anyhow::ensure!(
            begun.elapsed() < Duration::from_secs(60),
            "housekeep purged nothing in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (mut paused, mut purging) = (Run::default(), Run::default());
    let mut running = Duration::ZERO;
    let success = loop {
        purger.signal("STOP")?;
        paused.merge(scenarios::auth(channels, concurrency, slice).await);
        if let Some(success) = purger.finished()? {
            break success;
        }
        purger.signal("CONT")?;
        let resumed = Instant::now();
        purging.merge(scenarios::auth(channels, concurrency, slice).await);
        running += resumed.elapsed();
        if let Some(success) = purger.finished()? {
            break success;
        }
    };
    anyhow::ensure!(success, "housekeep failed; see {}", log.display());
    let left = seed.audit_rows_older_than(RETENTION_DAYS).await?;
    anyhow::ensure!(left == 0, "{left} expired audit rows were left");

    let load = format!("{concurrency} in flight");
    let paused = Summary::from_run(
        "auth-no-purge",
        load.clone(),
        paused.recorder,
        paused.elapsed,
    );
    let mut under = Summary::from_run("auth-purging", load, purging.recorder, purging.elapsed);
    under.ratio = Some(("auth-no-purge".into(), under.rate / paused.rate));
    if let (Some(with), Some(without)) = (under.latency, paused.latency) {
        under.note("p99_ratio", json!(round(with.p99 / without.p99)));
        under.note("p50_ratio", json!(round(with.p50 / without.p50)));
    }
    let seconds = running.as_secs_f64();
    under.note("rows_purged", json!(expired));
    under.note("purge_running_s", json!(round(seconds)));
    under.note(
        "rows_purged_per_s",
        json!(round(expired as f64 / seconds.max(1e-9))),
    );
    Ok(vec![paused, under])
}
