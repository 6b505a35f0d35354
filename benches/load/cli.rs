//! Command line of the load generator.
use std::{path::PathBuf, time::Duration};

use clap::{Parser, ValueEnum};

/// Drives the real service over loopback gRPC and compares each scenario
/// with its baseline measured in the same run.
#[derive(Debug, Clone, Parser)]
#[command(name = "load")]
pub struct Options {
    /// Which scenario to run; `all` runs every one (overload last).
    #[arg(long, value_enum, default_value = "all")]
    pub scenario: Scenario,
    /// Requests in flight at once (closed loop) per scenario.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Flows the `flow` scenario keeps in flight. By default as many as the
    /// service admits to hashing, so that no step is refused; more could keep
    /// the hashing threads busy while other flows are in their hash-free
    /// steps, and a hashing step refused as overloaded is tried again after
    /// the delay its `RetryInfo` asks for (the refusals are counted in the
    /// JSON as `hashing_steps_refused_and_retried`).
    #[arg(long)]
    pub flow_in_flight: Option<usize>,
    /// How long each scenario and baseline runs, e.g. `10s`, `500ms`, `1m`.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Each scenario and its baseline run in this many alternating slices
    /// (so both see the same background load); `duration` is their total.
    #[arg(long, default_value_t = 5)]
    pub rounds: u32,
    /// Write every figure as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// A PostgreSQL server (`postgres://user@127.0.0.1:5432/postgres`): a
    /// fresh database is created on it and dropped at the end. Without it,
    /// a temporary SQLite file is used.
    #[arg(long, env = "BENCH_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Drive the service as shipped: this `pacer-link` binary (e.g.
    /// target/release/pacer-link), started as a separate process with
    /// `serve` and its defaults (logs and telemetry layers on), over the
    /// run's database, rather than in-process with logs off.
    #[arg(long)]
    pub server_binary: Option<PathBuf>,
    /// HTTP/2 connections the clients spread their calls over.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// The service's database pool size.
    #[arg(long, default_value_t = 16)]
    pub db_max_connections: u32,
    /// Accounts seeded for the `status` scenario (half of them linked).
    #[arg(long, default_value_t = 100_000)]
    pub population: usize,
    /// Concurrent WatchLinkEvents streams in the `watch` scenario.
    #[arg(long, default_value_t = 1000)]
    pub watchers: usize,
    /// Links confirmed per second while the watchers follow.
    #[arg(long, default_value_t = 20.0)]
    pub watch_rate: f64,
    /// Link events seeded into the outbox for the `catchup` scenario.
    #[arg(long, default_value_t = 1_000_000)]
    pub catchup_events: u64,
    /// Accounts of the `scale` scenario's small court (half linked; ten
    /// audit rows and one link event each).
    #[arg(long, default_value_t = 10_000)]
    pub scale_small: usize,
    /// Accounts of the `scale` scenario's large court, likewise.
    #[arg(long, default_value_t = 1_000_000)]
    pub scale_large: usize,
    /// Expired audit rows seeded for the `purge` scenario.
    #[arg(long, default_value_t = 10_000_000)]
    pub purge_rows: u64,
    /// Offered load of the `overload` scenario, as a multiple of the
    /// measured `auth` saturation rate.
    #[arg(long, default_value_t = 4.0)]
    pub overload_factor: f64,
    /// The client gives up on a call after this long (`overload` only).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub overload_timeout: Duration,
    /// Calls of each side (unknown username, wrong password) per
    /// concurrency level in the `timing` scenario.
    #[arg(long, default_value_t = 400)]
    pub timing_samples: usize,
    /// Concurrency levels of the `timing` scenario, e.g. `1,2`.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2])]
    pub timing_concurrency: Vec<usize>,
}

/// The scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// AuthenticatePacer with valid credentials.
    Auth,
    /// GetLinkStatus on a seeded population, then at half its peak rate.
    Status,
    /// The four-step flow on fresh accounts.
    Flow,
    /// Many WatchLinkEvents streams while links are confirmed.
    Watch,
    /// AuthenticatePacer for unknown usernames and wrong passwords,
    /// interleaved: their median latencies compared.
    Timing,
    /// AuthenticatePacer offered above saturation.
    Overload,
    /// One WatchLinkEvents consumer from sequence 0 over a seeded history.
    Catchup,
    /// AuthenticatePacer while `pacer-link housekeep` purges a seeded
    /// backlog of expired audit rows (needs `--server-binary`).
    Purge,
    /// Each call's latency over a court of `--scale-small` accounts and one
    /// of `--scale-large`, two databases and two processes (needs
    /// `--server-binary`).
    Scale,
    /// Every scenario in turn.
    All,
}

impl Scenario {
    /// Whether `self` selects `one`.
    /// `all` leaves out `catchup`, `purge` and `scale`, whose seeded
    /// histories are runs of their own.
    pub fn includes(self, one: Scenario) -> bool {
        (self == Scenario::All
            && !matches!(one, Scenario::Catchup | Scenario::Purge | Scenario::Scale))
            || self == one
    }
}

/// `250ms`, `10s`, `2m`, or a bare number of seconds.
fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration such as 10s"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        other => return Err(format!("unknown duration unit {other:?} (use ms, s or m)")),
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("{raw:?} must be positive"));
    }
    Ok(Duration::from_secs_f64(seconds))
}
