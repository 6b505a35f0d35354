//! The gRPC integration tests over PostgreSQL.
#[path = "support/mod.rs"]
mod support;

/// The backend every test in this binary runs on.
const BACKEND: pacer_link::store::Backend = pacer_link::store::Backend::Postgres;

#[path = "api/mod.rs"]
mod api;
