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
mod report;
mod scenarios;
mod seed;
mod server;
mod stats;
mod timing;
mod watch;

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
    if selected(Scenario::Catchup) {
        // The history is in place before the service starts, as on a
        // replica joining a court that has linked for years.
        let pool = pacer_link::store::PoolSettings {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(30),
        };
        let store = pacer_link::store::open(&db.url, &pool).await?;
        store.migrate().await?;
        store.close().await;
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
                server::start_process(binary, &db.url, options.db_max_connections, log).await?,
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
    service.stop().await;
    if let Some(path) = &options.json {
        let mut machine = report::machine(&backend, hash_threads);
        machine["load_average_1m"] = json!({ "before": load, "after": report::load_average() });
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
            "timing_samples": options.timing_samples,
            "timing_concurrency": options.timing_concurrency,
        });
        report::write_json(path, machine, echoed, &summaries)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(summaries)
}
