//! Shared test harness.
#![allow(dead_code, unused_imports)]
pub mod app;
pub mod database;
pub mod flows;
pub mod otlp;
pub mod postgres;
pub mod process;
pub mod security;
pub mod status;

pub use app::{TestApp, admin_request, spawn_app, spawn_app_with};
pub use pacer_link::linking::demo;
pub use status::{assert_reason, expect_err, violated_fields};

/// Taken for its whole run by each test that loads the machine hard (a
/// thousand links, a PostgreSQL cluster of its own) or times what it
/// measures, so that no two of them overlap now that they share one test
/// process; lighter tests still run alongside.
pub async fn heavy_test() -> tokio::sync::MutexGuard<'static, ()> {
    static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    HEAVY.lock().await
}
