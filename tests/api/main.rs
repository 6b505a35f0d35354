//! gRPC integration tests: the real server over a real PostgreSQL.
#[path = "../support/mod.rs"]
mod support;

mod admin;
mod flow_errors;
mod input_validation;
mod link_flow;
mod platform;
mod races;
