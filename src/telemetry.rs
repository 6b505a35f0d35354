//! Logging set-up: readable text on stdout, level from `RUST_LOG` (default `info`).
use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber. Call once, from `main`.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Colours only on a terminal, so that files and log collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .init();
}
