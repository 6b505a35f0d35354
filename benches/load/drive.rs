//! Closed-loop and open-loop load, with a progress line on stderr.
use std::{
    future::Future,
    io::{IsTerminal, Write},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::stats::{Recorder, code_name};

/// What one operation ended with.
pub type Outcome = Result<(), tonic::Status>;

/// The calls of one run and how long it took.
#[derive(Default)]
pub struct Run {
    pub recorder: Recorder,
    pub elapsed: Duration,
    /// Open loops only: how late each call left the client, against its schedule.
    pub send_lag: Recorder,
    /// Open loops only: the calls timed from when they left the client.
    pub from_send: Recorder,
}

impl Run {
    /// Adds another slice of the same load.
    pub fn merge(&mut self, other: Run) {
        self.recorder.merge(other.recorder);
        self.elapsed += other.elapsed;
        self.send_lag.merge(other.send_lag);
        self.from_send.merge(other.from_send);
    }
}

/// Runs `baseline` and `scenario` in alternating slices, `rounds` of each,
/// so that both see the same background load on a shared machine.
pub async fn paired(
    rounds: usize,
    mut baseline: impl AsyncFnMut() -> Run,
    mut scenario: impl AsyncFnMut() -> Run,
) -> (Run, Run) {
    let (mut base, mut under_test) = (Run::default(), Run::default());
    for _ in 0..rounds.max(1) {
        base.merge(baseline().await);
        under_test.merge(scenario().await);
    }
    (base, under_test)
}

/// `concurrency` workers, each calling `op(worker)` back to back until
/// `duration` has passed.
pub async fn closed_loop<F, Fut>(label: &str, concurrency: usize, duration: Duration, op: F) -> Run
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let progress = Progress::start(label);
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency.max(1) {
        let op = op.clone();
        let done = progress.counter();
        workers.spawn(async move {
            let mut recorder = Recorder::default();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let code = code_of(op(worker).await);
                recorder.record(code, sent.elapsed());
                done.fetch_add(1, Ordering::Relaxed);
            }
            recorder
        });
    }
    let mut recorder = Recorder::default();
    while let Some(worker) = workers.join_next().await {
        recorder.merge(worker.expect("a load worker panicked"));
    }
    let elapsed = started.elapsed();
    progress.finish();
    Run {
        recorder,
        elapsed,
        ..Run::default()
    }
}

/// Tasks that send the calls of an open loop, each every `PACERS`-th one of
/// the schedule: one sender alone falls behind at tens of thousands of calls
/// a second, and its lag would be counted as the server's latency.
const PACERS: u64 = 8;

/// Offers `rate` operations per second for `duration`, whatever the answers
/// (each one a task of its own), and times each from the moment it was due,
/// so a slow server cannot hide its queueing by slowing the client down.
/// A call still unanswered after `timeout` counts as DEADLINE_EXCEEDED.
///
/// tokio's timer ticks once a millisecond, so calls leave up to about a
/// millisecond after they were due, and that lateness is part of the
/// latency. `Run::send_lag` records it, and `Run::from_send` the same calls
/// timed from when they actually left.
pub async fn open_loop<F, Fut>(
    label: &str,
    rate: f64,
    duration: Duration,
    timeout: Duration,
    op: F,
) -> Run
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let progress = Progress::start(label);
    let rate = rate.max(0.001);
    let total = (duration.as_secs_f64() * rate) as u64;
    let op = Arc::new(op);
    let started = Instant::now();
    let mut pacers = tokio::task::JoinSet::new();
    for pacer in 0..PACERS {
        let op = op.clone();
        let done = progress.counter();
        pacers.spawn(async move {
            let mut run = Run::default();
            let mut calls = tokio::task::JoinSet::new();
            let record = |run: &mut Run, (code, due, sent): (&'static str, Duration, Duration)| {
                run.recorder.record(code, due);
                run.from_send.record(code, sent);
                done.fetch_add(1, Ordering::Relaxed);
            };
            for n in (pacer..total).step_by(PACERS as usize) {
                let scheduled = started + Duration::from_secs_f64(n as f64 / rate);
                if scheduled > Instant::now() {
                    tokio::time::sleep_until(scheduled.into()).await;
                }
                let sent = Instant::now();
                run.send_lag.record("OK", sent - scheduled);
                let call = op(n);
                calls.spawn(async move {
                    let code = match tokio::time::timeout(timeout, call).await {
                        Ok(outcome) => code_of(outcome),
                        Err(_) => "DEADLINE_EXCEEDED",
                    };
                    (code, scheduled.elapsed(), sent.elapsed())
                });
                // Reap finished calls as we go so the set stays small.
                while let Some(result) = calls.try_join_next() {
                    record(&mut run, result.expect("a call task panicked"));
                }
            }
            while let Some(result) = calls.join_next().await {
                record(&mut run, result.expect("a call task panicked"));
            }
            run
        });
    }
    let mut run = Run::default();
    while let Some(pacer) = pacers.join_next().await {
        run.merge(pacer.expect("a pacer panicked"));
    }
    run.elapsed = started.elapsed();
    progress.finish();
    run
}

fn code_of(outcome: Outcome) -> &'static str {
    match outcome {
        Ok(()) => "OK",
        Err(status) => code_name(status.code()),
    }
}

/// A line on stderr, rewritten every half second: operations so far and
/// the current rate.
pub struct Progress {
    label: String,
    done: Arc<AtomicU64>,
    printer: tokio::task::JoinHandle<()>,
}

impl Progress {
    /// Starts printing for `label`.
    pub fn start(label: &str) -> Self {
        let done = Arc::new(AtomicU64::new(0));
        let counter = done.clone();
        let name = label.to_owned();
        let terminal = std::io::stderr().is_terminal();
        let printer = tokio::spawn(async move {
            let label = name;
            let started = Instant::now();
            let mut last = (Instant::now(), 0u64);
            loop {
                tokio::time::sleep(Duration::from_millis(if terminal { 500 } else { 2000 })).await;
                let now = (Instant::now(), counter.load(Ordering::Relaxed));
                let rate = (now.1 - last.1) as f64 / (now.0 - last.0).as_secs_f64();
                let line = format!(
                    "{label:<16} {:>6.1}s {:>9} done {:>10.1}/s now",
                    started.elapsed().as_secs_f64(),
                    now.1,
                    rate
                );
                if terminal {
                    eprint!("\r{line}   ");
                    let _ = std::io::stderr().flush();
                } else {
                    eprintln!("{line}");
                }
                last = now;
            }
        });
        Self {
            label: label.to_owned(),
            done,
            printer,
        }
    }

    /// The counter to bump per finished operation.
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.done.clone()
    }

    /// Stops printing and ends the line.
    pub fn finish(self) {
        self.printer.abort();
        let line = format!(
            "{}: {} operations",
            self.label,
            self.done.load(Ordering::Relaxed)
        );
        if std::io::stderr().is_terminal() {
            eprintln!("\r{line:<64}");
        } else {
            eprintln!("{line}");
        }
    }
}

/// `n` HTTP/2 connections to `addr`, which clients share round-robin.
pub async fn connect(
    addr: std::net::SocketAddr,
    n: usize,
) -> anyhow::Result<Vec<tonic::transport::Channel>> {
    let mut channels = Vec::with_capacity(n.max(1));
    for _ in 0..n.max(1) {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
            .tcp_nodelay(true)
            .connect()
            .await?;
        channels.push(channel);
    }
    Ok(channels)
}
