//! Tests that own process-wide state, kept apart from the API tests: the
//! real `pacer-link serve` process (planted secrets, SIGTERM), and the
//! global tracing subscriber and OTLP pipeline, which once installed would
//! trace and log every other server in this test process.
mod support;

#[path = "process/canary.rs"]
mod canary;
#[path = "process/deferred_spans.rs"]
mod deferred_spans;
#[path = "process/import_cli.rs"]
mod import_cli;
#[path = "process/shutdown.rs"]
mod shutdown;
#[path = "process/telemetry.rs"]
mod telemetry;
