//! The command-line clients of a running service: `pacer-link import`.
//! They speak gRPC only, as any other caller does.
mod import;
pub mod records;

pub use import::{ImportArgs, run_import};
