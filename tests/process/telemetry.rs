//! Traces over OTLP to a real receiver on loopback, and the metrics endpoint:
//! one trace per RPC joined to the caller's `traceparent`, the right spans
//! and attributes, no secrets, and counters that move.
use crate::support;

/// The backend of these tests' server.
const BACKEND: pacer_link::store::Backend = pacer_link::store::Backend::Sqlite;

use std::{collections::HashMap, sync::Arc, time::Duration};

use opentelemetry_proto::tonic::{
    common::v1::{AnyValue, any_value::Value},
    trace::v1::{Span, span::SpanKind},
};
use pacer_link::{
    proto,
    telemetry::{LogFormat, Telemetry, TelemetryConfig, otlp::OtlpConfig},
};
use tonic::Request;

use support::{demo, otlp::Receiver, spawn_app_with};

fn attribute(span: &Span, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone())
        .and_then(|AnyValue { value }| value)
}

/// A W3C traceparent naming a caller span, and the ids in it.
fn caller(n: u8) -> (String, Vec<u8>, Vec<u8>) {
    let trace_id = [0xa0 + n; 16].to_vec();
    let span_id = [0xb0 + n; 8].to_vec();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    (
        format!("00-{}-{}-01", hex(&trace_id), hex(&span_id)),
        trace_id,
        span_id,
    )
}

fn traced<T>(message: T, traceparent: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("traceparent", traceparent.parse().unwrap());
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linking_flow_is_traced_and_counted_without_secrets() {
    let (receiver, endpoint) = Receiver::start().await;
    let telemetry = Telemetry::init(&TelemetryConfig {
        log_format: LogFormat::Json,
        otlp: OtlpConfig {
            endpoint: Some(endpoint),
            ..OtlpConfig::from_vars(|_| None).unwrap()
        },
    })
    .unwrap();
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = spawn_app_with(BACKEND, |s| s.metrics_listen = Some(metrics_port)).await;
    let telemetry = Arc::new(telemetry);
    let flush = || {
        let flushing = telemetry.clone();
        async move {
            tokio::task::spawn_blocking(move || flushing.flush())
                .await
                .unwrap();
        }
    };
    // An idle replica sends nothing: probes' health checks, the readiness
    // ping (each second) and the outbox poll (each second) are not traced.
    flush().await;
    let before_idle = receiver.spans().len();
    let mut health = tonic_health::pb::health_client::HealthClient::new(app.channel.clone());
    for _ in 0..3 {
        health
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    flush().await;
    let idle_spans: Vec<String> = receiver.spans()[before_idle..]
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let mut link = app.link.clone();
    let callers: Vec<_> = (0..5).map(caller).collect();

    let wrong = link
        .authenticate_pacer(traced(
            proto::AuthenticatePacerRequest {
                court_id: "cod".into(),
                username: demo::PACER_USERNAME.into(),
                password: "Canary-Wrong-Password-1".into(),
                client_code: String::new(),
                otp_code: String::new(),
            },
            &callers[0].0,
        ))
        .await;
    let started = link
        .authenticate_pacer(traced(
            proto::AuthenticatePacerRequest {
                court_id: "cod".into(),
                username: demo::PACER_USERNAME.into(),
                password: demo::PACER_PASSWORD.into(),
                client_code: String::new(),
                otp_code: String::new(),
            },
            &callers[1].0,
        ))
        .await
        .unwrap()
        .into_inner();
    let token = started.flow_token.clone();
    link.verify_ecf(traced(
        proto::VerifyEcfRequest {
            flow_token: token.clone(),
            ecf_login: demo::ECF_LOGIN.into(),
            ecf_password: demo::ECF_PASSWORD.into(),
        },
        &callers[2].0,
    ))
    .await
    .unwrap();
    link.preview_link(traced(
        proto::PreviewLinkRequest {
            flow_token: token.clone(),
        },
        &callers[3].0,
    ))
    .await
    .unwrap();
    link.confirm_link(traced(
        proto::ConfirmLinkRequest {
            flow_token: token.clone(),
        },
        &callers[4].0,
    ))
    .await
    .unwrap();
    let scraped = http_get_metrics(metrics_port).await;
    // A server span closes just after its response is sent: flush until
    // every call's span has arrived.
    let mut spans = Vec::new();
    for _ in 0..100 {
        flush().await;
        spans = receiver.spans();
        let arrived = |trace: &Vec<u8>| {
            spans
                .iter()
                .any(|s| &s.trace_id == trace && s.kind == SpanKind::Server as i32)
        };
        if callers.iter().all(|(_, trace, _)| arrived(trace)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    assert!(
        idle_spans.is_empty(),
        "an idle replica traced {idle_spans:?}"
    );
    assert!(wrong.is_err());
    let methods = [
        "AuthenticatePacer",
        "AuthenticatePacer",
        "VerifyEcf",
        "PreviewLink",
        "ConfirmLink",
    ];
    let expected_codes = [16, 0, 0, 0, 0];
    for (((_, trace_id, caller_span), method), code) in
        callers.iter().zip(methods).zip(expected_codes)
    {
        let in_trace: Vec<_> = spans.iter().filter(|s| &s.trace_id == trace_id).collect();
        let servers: Vec<_> = in_trace
            .iter()
            .filter(|s| s.kind == SpanKind::Server as i32)
            .collect();
        assert_eq!(servers.len(), 1, "{method}: one server span in its trace");
        let server = servers[0];
        assert_eq!(
            server.name,
            format!("court.identity.v1.AccountLinkService/{method}")
        );
        assert_eq!(
            &server.parent_span_id, caller_span,
            "{method} joins the caller's span"
        );
        assert_eq!(
            attribute(server, "rpc.system"),
            Some(Value::StringValue("grpc".into()))
        );
        assert_eq!(
            attribute(server, "rpc.service"),
            Some(Value::StringValue(
                "court.identity.v1.AccountLinkService".into()
            ))
        );
        assert_eq!(
            attribute(server, "rpc.method"),
            Some(Value::StringValue(method.into()))
        );
        assert_eq!(
            attribute(server, "rpc.grpc.status_code"),
            Some(Value::IntValue(code))
        );
        let children: HashMap<_, _> = in_trace
            .iter()
            .filter(|s| s.parent_span_id == server.span_id)
            .map(|s| (s.name.as_str(), *s))
            .collect();
        let db_spans: Vec<_> = children
            .values()
            .filter(|s| attribute(s, "db.system.name").is_some())
            .collect();
        assert!(
            !db_spans.is_empty(),
            "{method}: database spans under the server span"
        );
        for db in db_spans {
            // Named `{operation} {table}` with the operation and namespace.
            let operation = match attribute(db, "db.operation.name") {
                Some(Value::StringValue(op)) => op,
                other => panic!("{method}: db.operation.name {other:?}"),
            };
            assert!(db.name.starts_with(&operation), "{}", db.name);
            if let Some(Value::StringValue(table)) = attribute(db, "db.collection.name") {
                assert_eq!(db.name, format!("{operation} {table}"));
            }
            assert!(attribute(db, "db.namespace").is_some(), "{}", db.name);
        }
        if method != "PreviewLink" && method != "ConfirmLink" {
            assert!(
                children.contains_key("password_hash"),
                "{method}: a hashing span"
            );
            assert!(
                children.contains_key("password_hash_wait"),
                "{method}: a queue-wait span"
            );
        }
    }
    let exported = receiver.bytes();
    let found = |secret: &str| {
        exported
            .windows(secret.len())
            .any(|w| w == secret.as_bytes())
    };
    for secret in [
        demo::PACER_PASSWORD,
        demo::ECF_PASSWORD,
        "Canary-Wrong-Password-1",
        token.as_str(),
    ] {
        assert!(!found(secret), "a secret reached the traces");
    }
    for line in [
        "pacer_link_rpc_requests_total{service=\"court.identity.v1.AccountLinkService\",method=\"ConfirmLink\",code=\"OK\",caller=\"anonymous\"} 1",
        "pacer_link_rpc_requests_total{service=\"court.identity.v1.AccountLinkService\",method=\"AuthenticatePacer\",code=\"UNAUTHENTICATED\",caller=\"anonymous\"} 1",
        "pacer_link_links_total 1",
    ] {
        assert!(
            scraped.lines().any(|l| l == line),
            "missing {line:?} in\n{scraped}"
        );
    }
    assert!(scraped.contains("pacer_link_password_hash_seconds_count"));
    // The gRPC dashboards' families, the process's, the build's.
    for line in [
        "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"court.identity.v1.AccountLinkService\",grpc_method=\"ConfirmLink\",grpc_code=\"OK\"} 1",
        "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"court.identity.v1.AccountLinkService\",grpc_method=\"AuthenticatePacer\",grpc_code=\"Unauthenticated\"} 1",
        "pacer_link_database_up 1",
    ] {
        assert!(
            scraped.lines().any(|l| l == line),
            "missing {line:?} in\n{scraped}"
        );
    }
    for family in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "process_start_time_seconds ",
        "pacer_link_build_info{version=\"",
    ] {
        assert!(scraped.contains(family), "missing {family:?}");
    }
    assert!(
        scraped
            .to_lowercase()
            .contains("content-type: application/openmetrics-text; version=1.0.0")
            && scraped.trim_end().ends_with("# EOF"),
        "the content type names the format the body is in"
    );
    assert!(scraped.contains("pacer_link_db_connections{state=\"idle\"}"));
}

/// GET /metrics with a bare HTTP/1.1 request (no HTTP client dependency).
async fn http_get_metrics(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}
