use clap::Parser;
use pacer_link::config::{Cli, Command};
use pacer_link::startup::Application;
use pacer_link::telemetry::{Telemetry, TelemetryConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let telemetry = Telemetry::init(&TelemetryConfig::from_env(cli.log_format))?;
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
    }
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
