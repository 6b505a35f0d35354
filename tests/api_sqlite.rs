//! The gRPC integration tests over the embedded SQLite store.
#[path = "support/mod.rs"]
mod support;

/// The backend every test in this binary runs on.
const BACKEND: pacer_link::store::Backend = pacer_link::store::Backend::Sqlite;

#[path = "api/mod.rs"]
mod api;
