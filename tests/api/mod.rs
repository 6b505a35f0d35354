//! gRPC integration tests: the real server over a real database, compiled
//! once per backend (`tests/api_postgres.rs`, `tests/api_sqlite.rs`).
mod admin;
mod audit;
mod events;
mod filer_auth;
mod flow_errors;
mod input_validation;
mod link_flow;
mod link_status;
mod lockout;
mod platform;
mod races;
mod rehash;
mod restart;
mod second_factor;
mod throttling;
