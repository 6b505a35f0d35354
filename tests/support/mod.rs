//! Shared test harness.
#![allow(dead_code)]
pub mod app;
pub mod database;
pub mod postgres;
pub mod status;

pub use app::{admin_request, spawn_app, spawn_app_with};
pub use pacer_link::linking::demo;
pub use status::{assert_reason, expect_err, violated_fields};
