//! The service through its generated clients over the embedded SQLite
//! store, each test on its own server over a fresh database.
mod support;

/// The backend the API suite runs on in this binary.
const BACKEND: pacer_link::store::Backend = pacer_link::store::Backend::Sqlite;

mod api;
