use clap::Parser;
use pacer_link::config::{Cli, Command};
use pacer_link::startup::Application;
use pacer_link::telemetry::{Telemetry, TelemetryConfig};

/// Every call allocates and frees dozens of small objects on the runtime's
/// threads; mimalloc's per-thread free lists serve them without the C
/// library's arena locks (BENCHMARKS.md, "Allocator"). Built without
/// transparent huge pages, which would hold ~20 MiB more of an idle process;
/// argon2's large buffers bypass it (`password::Memory`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let telemetry = Telemetry::init(&TelemetryConfig::from_env(cli.log_format)?)?;
    let result = run(cli.command).await;
    if let Err(error) = &result {
        tracing::error!("{error:#}");
    }
    // Exports the spans still buffered, including those of the drain.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    result
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            let settings = args
                .settings()
                .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
            Application::build(settings)
                .await?
                .run_until(shutdown_signal())
                .await
        }
        Command::Migrate(db) => {
            let invalid = |e: String| anyhow::anyhow!("invalid configuration: {e}");
            let url = db.url().map_err(invalid)?;
            let pool = db.pool().map_err(invalid)?;
            let store = pacer_link::store::open(&url, &pool).await?;
            store.migrate().await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Import(args) => pacer_link::client::run_import(args).await,
        Command::Report(command) => pacer_link::client::run_report(command).await,
        Command::Housekeep(args) => housekeep(&args).await,
        Command::Web(args) => {
            let settings = args
                .settings()
                .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
            let listener = tokio::net::TcpListener::bind(args.listen).await?;
            tracing::info!(url = %format!("http://{}/", listener.local_addr()?), "serving the front-end");
            pacer_link::web::serve(listener, settings, shutdown_signal()).await
        }
    }
}

/// One housekeeping run against the configured database.
async fn housekeep(args: &pacer_link::config::HousekeepArgs) -> anyhow::Result<()> {
    let invalid = |e: String| anyhow::anyhow!("invalid configuration: {e}");
    let url = args.database.url().map_err(invalid)?;
    let pool = args.database.pool().map_err(invalid)?;
    let settings = args.housekeeping.settings().map_err(invalid)?;
    let forget_after = args.lockout.policy().map_err(invalid)?.forget_after;
    let store = pacer_link::store::open(&url, &pool).await?;
    let housekeeper = pacer_link::housekeeping::Housekeeper::new(
        store.clone(),
        std::sync::Arc::new(pacer_link::clock::SystemClock),
        forget_after,
        settings.audit_retention,
    );
    let ran = housekeeper.run_once().await;
    store.close().await;
    if ran?.is_none() {
        tracing::info!("another replica is doing housekeeping; nothing to do");
    }
    Ok(())
}

/// Resolves on SIGTERM (Kubernetes) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; draining in-flight calls");
}
