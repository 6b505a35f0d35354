//! The service through its generated clients, each test on its own server
//! over a fresh database: the API suite on both backends, then how it rides
//! out PostgreSQL outages, runs as replicas and serves TLS.
// The API suite is compiled once per backend, on purpose.
#![allow(clippy::duplicate_mod)]

mod support;

#[path = "api"]
mod on_postgres {
    //! The API suite over PostgreSQL.
    const BACKEND: pacer_link::store::Backend = pacer_link::store::Backend::Postgres;
    #[path = "mod.rs"]
    mod api;
}

#[path = "api"]
mod on_sqlite {
    //! The API suite over the embedded SQLite store.
    const BACKEND: pacer_link::store::Backend = pacer_link::store::Backend::Sqlite;
    #[path = "mod.rs"]
    mod api;
}

#[path = "deployment/db_faults.rs"]
mod db_faults;
#[path = "deployment/replicas.rs"]
mod replicas;
#[path = "deployment/tls.rs"]
mod tls;
