//! Load generator for pacer-link: drives the real service in-process over
//! loopback gRPC and compares each scenario with a baseline measured in the
//! same run. See BENCHMARKS.md.
//!
//! `cargo bench --bench load -- --scenario all --concurrency 32 --duration 10s --json target/bench.json`
mod baselines;
mod catchup;
mod cli;
mod compare;
mod drive;
mod purge;
mod report;
mod scale;
mod scenarios;
mod seed;
mod server;
mod stats;
mod timing;
mod watch;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use cli::{Options, Scenario};
use pacer_link::{domain::Password, password::PasswordHasher};
use serde_json::json;
use stats::Summary;

/// Accounts the `overload` scenario rotates over, so that no account has
/// two sign-ins in flight (each in-flight attempt counts towards its lock).
const OVERLOAD_ACCOUNTS: usize = 4096;

/// More flows per second than two cores' worth of hashing could ever
/// finish (each flow costs two argon2id hashes of ~15 ms at least).
const FLOWS_PER_SECOND_CEILING: f64 = 400.0;

fn main() -> anyhow::Result<()> {
    // `cargo bench` adds `--bench`; it means nothing here.
    let args = std::env::args().filter(|a| a != "--bench");
    let options = Options::parse_from(args);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let server = server::runtime()?;
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("client")
        .enable_all()
        .build()?;
    let result = client.block_on(run(options, server.handle().clone()));
    drop(client);
    server.shutdown_timeout(Duration::from_secs(5));
    result
}

async fn run(options: Options, server: tokio::runtime::Handle) -> anyhow::Result<()> {
    let db = server::BenchDatabase::create(options.database_url.as_deref()).await?;
    let result = bench(&options, &server, &db).await;
    let removed = db.remove().await;
    let summaries = result?;
    removed?;
    report::print(&summaries);
    Ok(())
}

/// The schema, migrated before the service starts, for history seeded
/// ahead of it.
async fn store_schema(url: &str) -> anyhow::Result<()> {
    let pool = pacer_link::store::PoolSettings {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(30),
    };
    let store = pacer_link::store::open(url, &pool).await?;
    store.migrate().await?;
    store.close().await;
    Ok(())
}

/// One court of the `scale` scenario: accounts, half linked, ten audit
/// rows and one link event each, then a process of the shipped binary.
async fn scale_side(
    options: &Options,
    binary: &std::path::Path,
    db: &server::BenchDatabase,
    accounts: usize,
    hash: &str,
) -> anyhow::Result<(server::Process, Arc<scale::Side>)> {
    let started = Instant::now();
    store_schema(&db.url).await?;
    let seed = seed::SeedDb::connect(&db.url, db.backend).await?;
    seed.court().await?;
    seed.pairs(seed::SCALE, accounts, accounts / 2, hash)
        .await?;
    seed.events(accounts as u64).await?;
    seed.audit_year(accounts as u64 * 10, seed::SCALE, accounts)
        .await?;
    seed.analyze().await?;
    let mid = seed.audit_mid_id().await?;
    seed.close().await;
    eprintln!(
        "scale: {accounts} accounts seeded in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let log = std::path::PathBuf::from(format!("target/bench-server-{accounts}.log"));
    let process = server::start_process(
        binary,
        &db.url,
        options.db_max_connections,
        &log,
        &[("PACER_LINK_ADMIN_TOKEN", scale::ADMIN_TOKEN)],
    )
    .await?;
    let channels = drive::connect(process.addr, options.connections).await?;
    let mut side = scale::Side::new(format!("{accounts} accounts,"), channels, accounts);
    side.prepare(mid).await?;
    Ok((process, Arc::new(side)))
}

/// The `scale` scenario: its own two databases and processes.
async fn scale_run(
    options: &Options,
    small_db: &server::BenchDatabase,
    params: pacer_link::password::HashParams,
) -> anyhow::Result<Vec<Summary>> {
    let binary = options.server_binary.as_deref().ok_or_else(|| {
        anyhow::anyhow!("the scale scenario drives the shipped binary: give --server-binary")
    })?;
    let hash = PasswordHasher::new(params, 1, 1)?
        .hash(&Password::parse(seed::PASSWORD).map_err(anyhow::Error::msg)?)
        .await?;
    let large_db = server::BenchDatabase::create(options.database_url.as_deref()).await?;
    let result = async {
        let (small_process, small) =
            scale_side(options, binary, small_db, options.scale_small, &hash).await?;
        let (large_process, large) =
            scale_side(options, binary, &large_db, options.scale_large, &hash).await?;
        let settings = server::settings(&small_db.url, options.db_max_connections)?;
        let hashing = options.concurrency.min(settings.hash_queue_depth).max(1);
        let slice = options.duration / options.rounds.max(1);
        let rows = scale::scale(
            &small,
            &large,
            hashing,
            options.concurrency,
            slice,
            options.rounds as usize,
        )
        .await;
        for process in [&small_process, &large_process] {
            if let Some(mib) = peak_rss_mib(process.pid()) {
                eprintln!("server {} peak RSS: {mib:.1} MiB", process.pid());
            }
        }
        small_process.stop().await;
        large_process.stop().await;
        anyhow::Ok(rows)
    }
    .await;
    let removed = large_db.remove().await;
    let rows = result?;
    removed?;
    Ok(rows)
}

/// A process's peak resident memory so far (`VmHWM`), in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The service under test: in-process, or the shipped binary.
enum Service {
    InProcess(server::Running),
    Process(server::Process),
}

impl Service {
    fn addr(&self) -> std::net::SocketAddr {
        match self {
            Self::InProcess(s) => s.addr,
            Self::Process(p) => p.addr,
        }
    }

    async fn stop(self) {
        match self {
            Self::InProcess(s) => s.stop().await,
            Self::Process(p) => p.stop().await,
        }
    }
}

async fn bench(
    options: &Options,
    server: &tokio::runtime::Handle,
    db: &server::BenchDatabase,
) -> anyhow::Result<Vec<Summary>> {
    let selected = |s| options.scenario.includes(s);
    let settings = server::settings(&db.url, options.db_max_connections)?;
    let (params, hash_threads) = (settings.hash_params, settings.hash_concurrency);
    let admitted = settings.hash_queue_depth;
    let backend = format!("{:?}", db.backend);
    eprintln!(
        "service: {backend}, argon2id {params:?}, {hash_threads} hashing threads, {admitted} sign-ins admitted"
    );
    let load = report::load_average();
    if load.is_some_and(|l| l > 0.5) {
        eprintln!("warning: load average {load:?} before the run: other work shares these cores");
    }
    if options.scenario == Scenario::Scale {
        return scale_run(options, db, params).await;
    }
    if selected(Scenario::Catchup) {
        // The history is in place before the service starts, as on a
        // replica joining a court that has linked for years.
        store_schema(&db.url).await?;
        let history = Instant::now();
        let seed = seed::SeedDb::connect(&db.url, db.backend).await?;
        seed.events(options.catchup_events).await?;
        seed.close().await;
        eprintln!(
            "catchup: {} events seeded in {:.1}s",
            options.catchup_events,
            history.elapsed().as_secs_f64()
        );
    }
    if selected(Scenario::Purge) {
        anyhow::ensure!(
            options.server_binary.is_some(),
            "the purge scenario runs `pacer-link housekeep`: give --server-binary"
        );
        let seed = seed::SeedDb::connect(&db.url, db.backend).await?;
        let backlog = Instant::now();
        store_schema(&db.url).await?;
        seed.expired_audit(options.purge_rows).await?;
        seed.close().await;
        eprintln!(
            "purge: {} expired audit rows seeded in {:.1}s",
            options.purge_rows,
            backlog.elapsed().as_secs_f64()
        );
    }
    let service = match &options.server_binary {
        None => Service::InProcess(server::start_service(server, settings).await?),
        Some(binary) => {
            let log = std::path::Path::new("target/bench-server.log");
            eprintln!(
                "service: {} serve (logs in {})",
                binary.display(),
                log.display()
            );
            Service::Process(
                server::start_process(binary, &db.url, options.db_max_connections, log, &[])
                    .await?,
            )
        }
    };
    let seeded = Instant::now();
    let seed_db = seed::SeedDb::connect(&db.url, db.backend).await?;
    let hash = PasswordHasher::new(params, 1, 1)?
        .hash(&Password::parse(seed::PASSWORD).map_err(anyhow::Error::msg)?)
        .await?;
    seed_db.court().await?;
    seed_db
        .pairs(
            seed::AUTH,
            options.concurrency.max(OVERLOAD_ACCOUNTS),
            0,
            &hash,
        )
        .await?;
    if selected(Scenario::Status) {
        seed_db
            .pairs(
                seed::STATUS,
                options.population,
                options.population / 2,
                &hash,
            )
            .await?;
    }
    // Far more pairs than the flow can use: at most one per hash.
    let flows =
        (FLOWS_PER_SECOND_CEILING * options.duration.as_secs_f64()) as usize + options.concurrency;
    if selected(Scenario::Flow) {
        seed_db.pairs(seed::FLOW, flows, 0, &hash).await?;
    }
    if selected(Scenario::Watch) {
        let events = watch::events(options.watch_rate, options.duration);
        seed_db.pairs(seed::WATCH, events, 0, &hash).await?;
    }
    if selected(Scenario::Catchup) {
        let live = (options.duration.as_secs_f64() * 20.0) as usize;
        seed_db.pairs(seed::CATCHUP, live, 0, &hash).await?;
    }
    if selected(Scenario::Timing) {
        let levels = options.timing_concurrency.len();
        let accounts = timing::accounts(options.timing_samples, levels);
        seed_db.pairs(seed::TIMING, accounts, 0, &hash).await?;
        seed_db
            .pairs(seed::TIMING_MD5, accounts, 0, seed::MD5_CRYPT)
            .await?;
    }
    let seed_s = seeded.elapsed().as_secs_f64();
    eprintln!("seeded in {seed_s:.1}s");

    let channels = drive::connect(service.addr(), options.connections).await?;
    let bench = compare::Bench {
        options,
        channels: &channels,
        params,
        hash_threads,
        admitted,
    };
    let mut summaries = Vec::new();
    let mut saturation = None;
    if selected(Scenario::Auth) {
        let auth = bench.auth().await;
        saturation = auth.last().map(|s| s.rate);
        summaries.extend(auth);
    }
    if selected(Scenario::Status) {
        let mut status = bench.status(server).await?;
        status[1].note("seed_s", json!(stats::round(seed_s)));
        summaries.extend(status);
    }
    if selected(Scenario::Flow) {
        summaries.extend(bench.flow(flows).await);
    }
    if selected(Scenario::Watch) {
        let (c, d) = (bench.hashing_in_flight(), options.duration);
        let w = watch::watch(
            service.addr(),
            &channels,
            &seed_db,
            options.watchers,
            options.watch_rate,
            d,
            c,
        )
        .await?;
        summaries.push(w);
    }
    if selected(Scenario::Timing) {
        let levels = &options.timing_concurrency;
        if levels.iter().any(|&c| c > admitted) {
            eprintln!("warning: timing concurrency above the {admitted} admitted sign-ins");
        }
        let mut rows = timing::timing(&channels, options.timing_samples, levels).await;
        // Both sides should have written one failure row per call.
        let unknown = seed_db.failure_rows(timing::UNKNOWN).await?;
        let known = seed_db.failure_rows(seed::TIMING.pacer).await?;
        if let Some(last) = rows.last_mut() {
            last.note("failure_rows_unknown_all_levels", json!(unknown));
            last.note("failure_rows_known_all_levels", json!(known));
        }
        summaries.extend(rows);
    }
    if selected(Scenario::Catchup) {
        let pid = match &service {
            Service::Process(p) => Some(p.pid()),
            Service::InProcess(_) => None,
        };
        let channel = drive::connect(service.addr(), 1).await?.remove(0);
        let live = (options.duration.as_secs_f64() * 20.0) as usize;
        let c = catchup::catchup(
            channel,
            &channels,
            &seed_db,
            options.catchup_events,
            live,
            pid,
        )
        .await?;
        summaries.push(c);
    }
    if selected(Scenario::Purge)
        && let Some(binary) = &options.server_binary
    {
        let slice = options.duration / options.rounds.max(1);
        let c = bench.hashing_in_flight();
        summaries.extend(purge::purge(&channels, c, slice, binary, &db.url, &seed_db).await?);
    }
    if selected(Scenario::Overload) {
        let mut overload = bench.overload(saturation, OVERLOAD_ACCOUNTS).await;
        let (accounts, highest) = seed_db
            .counted_failures(&[timing::UNKNOWN, seed::TIMING.pacer, seed::TIMING_MD5.pacer])
            .await?;
        if let Some(over) = overload.last_mut() {
            over.note("accounts_with_failures_counted", json!(accounts));
            over.note("highest_failure_count", json!(highest));
        }
        summaries.extend(overload);
    }

    seed_db.close().await;
    // The kernel's high-water mark covers the whole run, every scenario's
    // peak included, where sampling could miss one.
    let peak_rss = match &service {
        Service::Process(p) => peak_rss_mib(p.pid()),
        Service::InProcess(_) => None,
    };
    if let Some(mib) = peak_rss {
        eprintln!("server peak RSS over the run: {mib:.1} MiB");
    }
    service.stop().await;
    if let Some(path) = &options.json {
        let mut machine = report::machine(&backend, hash_threads);
        machine["load_average_1m"] = json!({ "before": load, "after": report::load_average() });
        machine["server_peak_rss_mib"] = json!(peak_rss.map(stats::round));
        let echoed = json!({
            "scenario": format!("{:?}", options.scenario).to_lowercase(),
            "concurrency": options.concurrency,
            "duration_s": options.duration.as_secs_f64(),
            "rounds": options.rounds,
            "connections": options.connections,
            "server_binary": options.server_binary.as_ref().map(|p| p.display().to_string()),
            "db_max_connections": options.db_max_connections,
            "population": options.population,
            "watchers": options.watchers,
            "watch_rate": options.watch_rate,
            "overload_factor": options.overload_factor,
            "catchup_events": options.catchup_events,
            "purge_rows": options.purge_rows,
            "scale_small": options.scale_small,
            "scale_large": options.scale_large,
            "timing_samples": options.timing_samples,
            "timing_concurrency": options.timing_concurrency,
        });
        report::write_json(path, machine, echoed, &summaries)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(summaries)
}
