//! The service through its generated clients over PostgreSQL, each test on
//! its own server over a fresh database: the API suite, then how it rides
//! out PostgreSQL outages, runs as replicas, serves TLS and
//! enforces the caller policy over mTLS and behind a sidecar; and the
//! reference front-end in front of it, over HTTP and in a real browser.
mod support;

/// The backend the API suite runs on in this binary.
const BACKEND: pacer_link::store::Backend = pacer_link::store::Backend::Postgres;

mod api;

#[path = "deployment/callers.rs"]
mod callers;
#[path = "deployment/db_faults.rs"]
mod db_faults;
#[path = "deployment/db_tls.rs"]
mod db_tls;
#[path = "deployment/otlp_tls.rs"]
mod otlp_tls;
#[path = "deployment/replicas.rs"]
mod replicas;
#[path = "deployment/sidecar.rs"]
mod sidecar;
#[path = "deployment/tls.rs"]
mod tls;
#[path = "web/mod.rs"]
mod web;
