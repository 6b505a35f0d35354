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
