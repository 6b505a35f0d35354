//! Logging set-up: readable text on stdout, level from `RUST_LOG` (default `info`).
use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber. Call once, from `main`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    fmt().with_env_filter(filter).with_target(false).init();
}
