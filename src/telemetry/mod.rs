//! Logs and traces. Logs go to stdout, as JSON lines with `trace_id` and
//! `span_id` (production) or readable text (development), filtered by
//! `RUST_LOG`. Traces go over OTLP/gRPC when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set (with the standard `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`,
//! `OTEL_TRACES_SAMPLER_ARG`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_PROPAGATORS`
//! and `OTEL_EXPORTER_OTLP_CERTIFICATE`: see [`otlp`]), and nowhere otherwise.
mod call_span;
mod frames;
mod json;
mod methods;
pub mod otlp;
mod otlp_http;
mod outcome;
mod rpc_layer;

use opentelemetry::{global, trace::TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{EnvFilter, Layer, filter, layer::SubscriberExt, util::SubscriberInitExt};

pub use call_span::CallSpan;
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
    /// Where traces go (the endpoint `None` turns export off).
    pub otlp: otlp::OtlpConfig,
}

impl TelemetryConfig {
    /// From the standard environment (see [`otlp::OtlpConfig::from_vars`]).
    pub fn from_env(log_format: LogFormat) -> anyhow::Result<Self> {
        let otlp = otlp::OtlpConfig::from_vars(|name| std::env::var(name).ok())
            .map_err(|e| anyhow::anyhow!("invalid telemetry configuration: {e}"))?;
        Ok(Self { log_format, otlp })
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
        let provider = tracer_provider(&config.otlp)?;
        let traces = tracing_opentelemetry::layer().with_tracer(provider.tracer("pacer-link"));
        let traces = if config.otlp.endpoint.is_some() {
            traces.boxed()
        } else {
            // Nothing leaves the process, so a span needs only its ids. What
            // only an exported span carries (source locations, thread names,
            // busy and idle times, a copy of every log event in the span)
            // would cost allocations on every call for nothing.
            traces
                .with_location(false)
                .with_threads(false)
                .with_tracked_inactivity(false)
                .with_filter(filter::filter_fn(|meta| meta.is_span()))
                .boxed()
        };
        tracing_subscriber::registry()
            .with(filter)
            .with(logs)
            .with(traces)
            .try_init()?;
        global::set_text_map_propagator(config.otlp.propagator());
        call_span::set_exporting(config.otlp.endpoint.is_some());
        if let Some(endpoint) = &config.otlp.endpoint {
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

fn tracer_provider(config: &otlp::OtlpConfig) -> anyhow::Result<SdkTracerProvider> {
    // The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
    // (parent-based, always on, by default).
    let mut builder = SdkTracerProvider::builder().with_resource(config.resource());
    if let Some(endpoint) = &config.endpoint {
        builder = builder.with_batch_exporter(config.exporter(endpoint)?);
    }
    Ok(builder.build())
}

/// Held by the tests that install a subscriber: one registered while
/// another test's span is being made can leave that span without its
/// OpenTelemetry ids (tracing rebuilds every call site's interest then).
#[cfg(test)]
pub(crate) fn subscriber_test_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A span whose descendants are not exported: the parent-based sampler
/// drops the children of an unsampled parent. Background polling runs in it,
/// which would otherwise emit a root span per poll on every idle replica.
pub fn untraced() -> tracing::Span {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let span = tracing::info_span!("untraced");
    let unsampled = SpanContext::new(
        TraceId::from_bytes([0x5a; 16]),
        SpanId::from_bytes([0x5a; 8]),
        TraceFlags::default(),
        true,
        TraceState::default(),
    );
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(unsampled));
    span
}
