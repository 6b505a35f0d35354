//! Logs and traces. Logs go to stdout, as JSON lines with `trace_id` and
//! `span_id` (production) or readable text (development), filtered by
//! `RUST_LOG`. Traces go over OTLP/gRPC when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set (with the standard `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`,
//! `OTEL_TRACES_SAMPLER_ARG` and `OTEL_RESOURCE_ATTRIBUTES`), and nowhere otherwise.
mod json;
mod outcome;
mod rpc_layer;

use opentelemetry::{global, trace::TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{
    Resource,
    propagation::{BaggagePropagator, TraceContextPropagator},
    trace::SdkTracerProvider,
};
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

pub use outcome::{code_name, error_chain, reason_of, status_code_of, status_of};
pub use rpc_layer::RpcTelemetryLayer;

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line, with trace and span ids.
    Json,
    /// Human-readable text.
    Text,
}

/// Where telemetry goes.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// Log line format.
    pub log_format: LogFormat,
    /// The OTLP/gRPC collector endpoint; `None` turns tracing export off.
    pub otlp_endpoint: Option<String>,
}

impl TelemetryConfig {
    /// From the standard environment: `OTEL_EXPORTER_OTLP_ENDPOINT` (or the
    /// traces-specific `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`).
    pub fn from_env(log_format: LogFormat) -> Self {
        let endpoint = [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        Self {
            log_format,
            otlp_endpoint: endpoint,
        }
    }
}

/// Installed telemetry; `shutdown` flushes spans not yet exported.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Installs the global subscriber and, with an endpoint, the OTLP
    /// pipeline and the W3C trace-context and baggage propagators. Call once.
    pub fn init(config: &TelemetryConfig) -> anyhow::Result<Self> {
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
        let logs = match config.log_format {
            LogFormat::Json => tracing_subscriber::fmt::layer()
                .json()
                .event_format(json::JsonLines::new())
                .boxed(),
            LogFormat::Text => {
                // Colours only on a terminal, so that files get plain text.
                let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .with_ansi(ansi)
                    .boxed()
            }
        };
        // Spans always get OpenTelemetry ids (so log lines carry the
        // caller's trace id); they are exported only with an endpoint.
        let provider = tracer_provider(config.otlp_endpoint.as_deref())?;
        let traces = tracing_opentelemetry::layer().with_tracer(provider.tracer("pacer-link"));
        tracing_subscriber::registry()
            .with(filter)
            .with(logs)
            .with(traces)
            .try_init()?;
        global::set_text_map_propagator(
            opentelemetry::propagation::TextMapCompositePropagator::new(vec![
                Box::new(TraceContextPropagator::new()),
                Box::new(BaggagePropagator::new()),
            ]),
        );
        if let Some(endpoint) = &config.otlp_endpoint {
            tracing::info!(%endpoint, "exporting traces over OTLP");
        }
        Ok(Self {
            provider: Some(provider),
        })
    }

    /// Exports every finished span now. Blocks: call it from a blocking
    /// thread, as the export itself runs on the async runtime.
    pub fn flush(&self) {
        if let Some(Err(error)) = self.provider.as_ref().map(SdkTracerProvider::force_flush) {
            tracing::warn!(%error, "flushing spans failed");
        }
    }

    /// Flushes pending spans and stops the exporter. Blocks, as `flush` does.
    pub fn shutdown(self) {
        if let Some(Err(error)) = self.provider.map(|p| p.shutdown()) {
            eprintln!("flushing spans at shutdown failed: {error}");
        }
    }
}

fn tracer_provider(endpoint: Option<&str>) -> anyhow::Result<SdkTracerProvider> {
    let mut resource = Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name("pacer-link");
    }
    // The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
    // (parent-based, always on, by default).
    let mut builder = SdkTracerProvider::builder().with_resource(resource.build());
    if let Some(endpoint) = endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    Ok(builder.build())
}
