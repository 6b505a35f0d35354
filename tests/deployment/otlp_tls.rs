//! Traces to a collector behind `https://`: the exporter verifies the
//! collector's certificate against `OTEL_EXPORTER_OTLP_CERTIFICATE`, and a
//! collector whose certificate that CA did not sign gets nothing.
use opentelemetry::trace::{Tracer, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use pacer_link::telemetry::otlp::OtlpConfig;

use super::tls::{issue_for, read};
use crate::support::otlp::Receiver;

/// Exports one span named `name` through the exporter `config` builds.
async fn export_one(config: OtlpConfig, name: &'static str) {
    let endpoint = config.endpoint.clone().unwrap();
    let exporter = config.exporter(&endpoint).unwrap();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .build();
    tokio::task::spawn_blocking(move || {
        provider.tracer("test").in_span(name, |_| {});
        let _ = provider.shutdown();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_a_collector_over_https_only_when_its_certificate_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    issue_for(dir.path(), "ca", "collector", "serverAuth", "DNS:localhost");
    issue_for(
        dir.path(),
        "other-ca",
        "impostor",
        "serverAuth",
        "DNS:localhost",
    );
    let (trusted, trusted_endpoint) = Receiver::start_tls(
        &read(dir.path(), "collector.pem"),
        &read(dir.path(), "collector.key"),
    )
    .await;
    let (impostor, impostor_endpoint) = Receiver::start_tls(
        &read(dir.path(), "impostor.pem"),
        &read(dir.path(), "impostor.key"),
    )
    .await;
    let ca = dir.path().join("ca.pem").display().to_string();
    let config = |endpoint: &str| OtlpConfig {
        endpoint: Some(endpoint.to_owned()),
        certificate: Some(ca.clone()),
        ..OtlpConfig::from_vars(|_| None).unwrap()
    };

    export_one(config(&trusted_endpoint), "over-https").await;
    export_one(config(&impostor_endpoint), "to-an-impostor").await;

    let names: Vec<String> = trusted.spans().into_iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["over-https".to_owned()]);
    assert!(
        impostor.spans().is_empty(),
        "a collector the CA did not sign got spans"
    );
}
