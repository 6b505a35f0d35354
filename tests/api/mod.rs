//! gRPC integration tests: the real server over a real database, compiled
//! once per backend (`tests/api_postgres.rs` and `tests/api_sqlite.rs`).
mod admin;
mod audit;
mod coverage;
mod events;
mod filer_auth;
mod flow_errors;
mod help_desk;
mod housekeeping;
mod idempotency;
mod import;
mod input_validation;
mod link_flow;
mod link_status;
mod lockout;
mod metrics;
mod platform;
mod races;
mod rehash;
mod restart;
mod second_factor;
mod throttling;

/// The shared harness, with servers started on this suite's backend.
mod support {
    pub use crate::support::*;
    use pacer_link::config::Settings;

    /// Starts a server with the default test settings over a fresh database.
    pub async fn spawn_app() -> TestApp {
        crate::support::spawn_app(crate::BACKEND).await
    }

    /// Starts a server whose settings `adjust` may change.
    pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        crate::support::spawn_app_with(crate::BACKEND, adjust).await
    }
}
