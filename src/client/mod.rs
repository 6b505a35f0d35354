//! The command-line clients of a running service: `pacer-link import` and
//! `pacer-link report`. They speak gRPC only, as any other caller does.
mod connection;
mod import;
pub mod records;
mod report;

pub use connection::Connection;
pub use import::{ImportArgs, run_import};
pub use report::{CoverageArgs, Format, ReportCommand, run_report};
