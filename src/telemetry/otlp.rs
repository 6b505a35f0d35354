//! The OTLP trace pipeline as the collector and its operators expect it,
//! configured by the standard `OTEL_*` variables: the endpoint, its
//! protocol (`grpc`, or `http/protobuf` through [`super::otlp_http`]),
//! `https://` with the system's roots or `OTEL_EXPORTER_OTLP_CERTIFICATE`,
//! the propagators, and a service name that `OTEL_SERVICE_NAME` or
//! `OTEL_RESOURCE_ATTRIBUTES` may set.
use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry_otlp::{WithExportConfig, WithTonicConfig};
use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    propagation::{BaggagePropagator, TraceContextPropagator},
    trace::{SpanData, SpanExporter},
};

/// Where traces go and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtlpConfig {
    /// The collector endpoint; `None` turns export off.
    pub endpoint: Option<String>,
    /// Whether the endpoint came from the traces-specific variable (then
    /// an HTTP exporter posts to it as given, not to `/v1/traces` under it).
    pub traces_endpoint: bool,
    /// How spans travel to it.
    pub protocol: Protocol,
    /// A PEM file of the CA that signs the collector's certificate.
    pub certificate: Option<String>,
    /// Whether `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` names the service.
    pub service_named: bool,
    /// The propagators, in order (`OTEL_PROPAGATORS`).
    pub propagators: Vec<Propagator>,
}

/// An OTLP transport `OTEL_EXPORTER_OTLP_PROTOCOL` may name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC (the default; port 4317 by convention).
    #[default]
    Grpc,
    /// OTLP/HTTP with protobuf bodies (port 4318 by convention).
    HttpProtobuf,
}

/// A propagator `OTEL_PROPAGATORS` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagator {
    /// W3C `traceparent` / `tracestate`.
    TraceContext,
    /// W3C `baggage`.
    Baggage,
}

impl OtlpConfig {
    /// Reads the standard variables through `var` (the environment in
    /// production, a map in tests). An unsupported value is an error, not
    /// a silent default: an operator who asked for it must hear.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let traces_endpoint = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        let traces_specific = traces_endpoint.is_some();
        let endpoint = traces_endpoint.or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"));
        let protocol = match var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"))
            .as_deref()
            .map(str::trim)
        {
            None | Some("grpc") => Protocol::Grpc,
            Some("http/protobuf") => Protocol::HttpProtobuf,
            Some(other) => {
                return Err(format!(
                    "OTEL_EXPORTER_OTLP_PROTOCOL={other} is not supported: use grpc or \
                     http/protobuf"
                ));
            }
        };
        let service_named = var("OTEL_SERVICE_NAME").is_some()
            || var("OTEL_RESOURCE_ATTRIBUTES").is_some_and(|attrs| {
                attrs.split(',').any(|pair| {
                    pair.split_once('=')
                        .is_some_and(|(k, _)| k.trim() == "service.name")
                })
            });
        let propagators = match var("OTEL_PROPAGATORS") {
            None => vec![Propagator::TraceContext, Propagator::Baggage],
            Some(list) => parse_propagators(&list)?,
        };
        Ok(Self {
            endpoint,
            traces_endpoint: traces_specific,
            protocol,
            certificate: var("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE")
                .or_else(|| var("OTEL_EXPORTER_OTLP_CERTIFICATE")),
            service_named,
            propagators,
        })
    }

    /// The resource: the SDK's detectors read `OTEL_SERVICE_NAME` and
    /// `OTEL_RESOURCE_ATTRIBUTES`; `pacer-link` only when neither names it.
    pub fn resource(&self) -> Resource {
        let builder = Resource::builder();
        if self.service_named {
            builder.build()
        } else {
            builder.with_service_name("pacer-link").build()
        }
    }

    /// The composite propagator `OTEL_PROPAGATORS` asks for.
    pub fn propagator(&self) -> TextMapCompositePropagator {
        let list: Vec<Box<dyn TextMapPropagator + Send + Sync>> = self
            .propagators
            .iter()
            .map(|p| -> Box<dyn TextMapPropagator + Send + Sync> {
                match p {
                    Propagator::TraceContext => Box::new(TraceContextPropagator::new()),
                    Propagator::Baggage => Box::new(BaggagePropagator::new()),
                }
            })
            .collect();
        TextMapCompositePropagator::new(list)
    }

    /// The exporter for `endpoint` over the configured protocol, with TLS
    /// when it is `https://`.
    pub fn exporter(&self, endpoint: &str) -> anyhow::Result<LoggedExporter> {
        let inner = match self.protocol {
            Protocol::Grpc => Transport::Grpc(self.grpc_exporter(endpoint)?),
            Protocol::HttpProtobuf => Transport::Http(super::otlp_http::HttpExporter::new(
                &super::otlp_http::traces_url(endpoint, self.traces_endpoint),
                self.certificate.as_deref(),
            )?),
        };
        Ok(LoggedExporter::new(inner))
    }

    fn grpc_exporter(&self, endpoint: &str) -> anyhow::Result<opentelemetry_otlp::SpanExporter> {
        let mut builder = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint);
        if endpoint.starts_with("https://") {
            let mut tls = tonic::transport::ClientTlsConfig::new().with_native_roots();
            if let Some(path) = &self.certificate {
                let pem = std::fs::read(path)
                    .map_err(|e| anyhow::anyhow!("OTEL_EXPORTER_OTLP_CERTIFICATE {path}: {e}"))?;
                tls = tls.ca_certificate(tonic::transport::Certificate::from_pem(pem));
            }
            builder = builder.with_tls_config(tls);
        }
        Ok(builder.build()?)
    }
}

fn parse_propagators(list: &str) -> Result<Vec<Propagator>, String> {
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim) {
        match name {
            "tracecontext" => out.push(Propagator::TraceContext),
            "baggage" => out.push(Propagator::Baggage),
            "none" => return Ok(Vec::new()),
            other => {
                return Err(format!(
                    "OTEL_PROPAGATORS names {other:?}; this build knows tracecontext, baggage and none"
                ));
            }
        }
    }
    out.dedup();
    Ok(out)
}

/// How often a failing export is logged again while it keeps failing.
const REPEAT_EVERY: Duration = Duration::from_secs(60);

/// The transport an exporter uses.
#[derive(Debug)]
pub enum Transport {
    /// OTLP/gRPC.
    Grpc(opentelemetry_otlp::SpanExporter),
    /// OTLP/HTTP with protobuf bodies.
    Http(super::otlp_http::HttpExporter),
}

impl SpanExporter for Transport {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        match self {
            Self::Grpc(e) => e.export(batch).await,
            Self::Http(e) => e.export(batch).await,
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            Self::Grpc(e) => e.shutdown_with_timeout(timeout),
            Self::Http(e) => e.shutdown_with_timeout(timeout),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            Self::Grpc(e) => e.force_flush(),
            Self::Http(e) => e.force_flush(),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        match self {
            Self::Grpc(e) => e.set_resource(resource),
            Self::Http(e) => e.set_resource(resource),
        }
    }
}

/// Wraps the exporter so that a collector that cannot be reached is logged:
/// the first failure at once, then at most once a minute with the count of
/// failures since, and the recovery once.
#[derive(Debug)]
pub struct LoggedExporter {
    inner: Transport,
    failing: Mutex<Option<Failing>>,
}

#[derive(Debug)]
struct Failing {
    logged_at: Instant,
    since_logged: u64,
}

/// What an export's result calls for in the log.
#[derive(Debug, PartialEq, Eq)]
enum Report {
    /// Nothing: all is well, or this failure was already reported lately.
    Nothing,
    /// The first failure after successes.
    Failed,
    /// Still failing: this many failures since the last report.
    StillFailing(u64),
    /// Exporting works again.
    Recovered,
}

/// The log's view of export results: the first failure, then at most one
/// report per `REPEAT_EVERY` while failures continue, then the recovery.
fn next_report(failing: &mut Option<Failing>, ok: bool, now: Instant) -> Report {
    match (ok, failing.as_mut()) {
        (true, None) => Report::Nothing,
        (true, Some(_)) => {
            *failing = None;
            Report::Recovered
        }
        (false, None) => {
            *failing = Some(Failing {
                logged_at: now,
                since_logged: 0,
            });
            Report::Failed
        }
        (false, Some(state)) => {
            state.since_logged += 1;
            if now.duration_since(state.logged_at) >= REPEAT_EVERY {
                let count = state.since_logged;
                state.logged_at = now;
                state.since_logged = 0;
                Report::StillFailing(count)
            } else {
                Report::Nothing
            }
        }
    }
}

impl LoggedExporter {
    fn new(inner: Transport) -> Self {
        Self {
            inner,
            failing: Mutex::new(None),
        }
    }

    fn note(&self, result: &OTelSdkResult, spans: usize) {
        let report = {
            let mut failing = self.failing.lock().unwrap_or_else(|p| p.into_inner());
            next_report(&mut failing, result.is_ok(), Instant::now())
        };
        let error = result.as_ref().err();
        match report {
            Report::Nothing => {}
            Report::Recovered => tracing::info!("span export recovered"),
            Report::Failed => tracing::warn!(
                error = %error.map(ToString::to_string).unwrap_or_default(),
                spans,
                "span export failed: the collector cannot be reached"
            ),
            Report::StillFailing(failures) => tracing::warn!(
                error = %error.map(ToString::to_string).unwrap_or_default(),
                failures,
                "span export still failing"
            ),
        }
    }
}

impl SpanExporter for LoggedExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len();
        let result = self.inner.export(batch).await;
        self.note(&result, spans);
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<OtlpConfig, String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        OtlpConfig::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn the_service_name_from_the_resource_attributes_is_kept() {
        assert!(!config(&[]).unwrap().service_named);
        assert!(
            config(&[("OTEL_SERVICE_NAME", "idp")])
                .unwrap()
                .service_named
        );
        let attrs = config(&[(
            "OTEL_RESOURCE_ATTRIBUTES",
            "k8s.pod.name=p, service.name=idp",
        )]);
        assert!(attrs.unwrap().service_named);
        let other = config(&[("OTEL_RESOURCE_ATTRIBUTES", "service.namespace=court")]);
        assert!(!other.unwrap().service_named);
    }

    #[test]
    fn propagators_follow_the_variable() {
        let both = vec![Propagator::TraceContext, Propagator::Baggage];
        assert_eq!(config(&[]).unwrap().propagators, both);
        let only = config(&[("OTEL_PROPAGATORS", "tracecontext")]).unwrap();
        assert_eq!(only.propagators, vec![Propagator::TraceContext]);
        let none = config(&[("OTEL_PROPAGATORS", "none")]).unwrap();
        assert!(none.propagators.is_empty());
        assert!(
            config(&[("OTEL_PROPAGATORS", "b3")])
                .unwrap_err()
                .contains("b3")
        );
    }

    #[test]
    fn the_protocol_is_read_and_an_unknown_one_refused_by_name() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        let http = config(&[endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]);
        assert_eq!(http.unwrap().protocol, Protocol::HttpProtobuf);
        assert_eq!(config(&[endpoint]).unwrap().protocol, Protocol::Grpc);
        let traces = config(&[
            endpoint,
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ]);
        assert_eq!(traces.unwrap().protocol, Protocol::Grpc);
        let json = config(&[endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]);
        assert!(json.unwrap_err().contains("http/json"));
    }

    #[test]
    fn the_traces_endpoint_wins_over_the_general_one() {
        let c = config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4317"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://b:4317"),
        ]);
        assert_eq!(c.unwrap().endpoint.as_deref(), Some("https://b:4317"));
    }

    #[test]
    fn a_failing_collector_is_reported_once_then_once_a_minute_then_its_recovery() {
        let start = Instant::now();
        let mut failing = None;
        let at = |secs: u64| start + Duration::from_secs(secs);
        assert_eq!(next_report(&mut failing, true, at(0)), Report::Nothing);
        assert_eq!(next_report(&mut failing, false, at(1)), Report::Failed);
        for s in 2..30 {
            assert_eq!(next_report(&mut failing, false, at(s)), Report::Nothing);
        }
        assert_eq!(
            next_report(&mut failing, false, at(61)),
            Report::StillFailing(29)
        );
        assert_eq!(next_report(&mut failing, false, at(62)), Report::Nothing);
        assert_eq!(next_report(&mut failing, true, at(63)), Report::Recovered);
        assert_eq!(next_report(&mut failing, true, at(64)), Report::Nothing);
    }

    #[tokio::test]
    async fn an_https_endpoint_builds_an_exporter() {
        let c = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:4317")]).unwrap();
        assert!(c.exporter(c.endpoint.as_deref().unwrap()).is_ok());
    }
}
