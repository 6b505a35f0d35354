//! JSON log lines: tracing-subscriber's own JSON (timestamp, level, target,
//! `message` and the event's fields at the top, the current span and the
//! list of spans with their fields), plus the OpenTelemetry trace and span
//! ids of the current span, so a log line can be found from a trace and the
//! other way round.
//!
//! Hand-written only for the ids: tracing-subscriber's JSON has no way to add
//! fields of its own, so they are appended to the object it writes.
use std::fmt;

use opentelemetry::trace::{SpanId, TraceContextExt, TraceId};
use tracing::{Event, Subscriber};
use tracing_subscriber::{
    fmt::{
        FmtContext, FormatEvent, FormatFields,
        format::{Format, Json, Writer},
    },
    registry::LookupSpan,
};

/// The JSON line formatter: tracing-subscriber's JSON with `trace_id` and
/// `span_id` added.
pub struct JsonLines(Format<Json>);

impl JsonLines {
    /// Lines with the event's fields at the top level, the target, and the
    /// current span and span list.
    pub fn new() -> Self {
        Self(
            tracing_subscriber::fmt::format()
                .json()
                .flatten_event(true)
                .with_target(true)
                .with_current_span(true)
                .with_span_list(true),
        )
    }
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some((trace_id, span_id)) = otel_ids(ctx) else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let object = line.trim_end().strip_suffix('}').ok_or(fmt::Error)?;
        writer.write_str(object)?;
        writeln!(
            writer,
            r#","trace_id":"{trace_id}","span_id":"{span_id}"}}"#
        )
    }
}

/// The OpenTelemetry ids of the current span, when it has valid ones.
fn otel_ids<S, N>(ctx: &FmtContext<'_, S, N>) -> Option<(TraceId, SpanId)>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let span = ctx.lookup_current()?;
    let context = tracing::dispatcher::get_default(|dispatch| {
        tracing_opentelemetry::get_otel_context(&span.id(), dispatch)
    })?;
    let otel_span = context.span();
    let ids = otel_span.span_context();
    ids.is_valid().then(|| (ids.trace_id(), ids.span_id()))
}

#[cfg(test)]
mod tests {
    use std::sync::{Mutex, OnceLock};

    use opentelemetry::trace::TracerProvider as _;
    use serde_json::{Map, Value};
    use tracing_subscriber::{fmt::MakeWriter, layer::SubscriberExt};

    use super::*;

    static LOGGED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

    struct Captured;

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            LOGGED.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl MakeWriter<'_> for Captured {
        type Writer = Self;
        fn make_writer(&self) -> Self {
            Self
        }
    }

    /// Installs the JSON format and spans with OpenTelemetry ids as the
    /// global subscriber, as `Telemetry::init` does: the ids are looked up
    /// through the global dispatcher, which a scoped one would hide while an
    /// event is being written.
    fn install() {
        static INSTALLED: OnceLock<opentelemetry_sdk::trace::SdkTracerProvider> = OnceLock::new();
        INSTALLED.get_or_init(|| {
            let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
            // At `info`: the most verbose level of any subscriber decides
            // whether the RPC layer's tests see spans deferred.
            let subscriber = tracing_subscriber::registry()
                .with(tracing::level_filters::LevelFilter::INFO)
                .with(
                    tracing_subscriber::fmt::layer()
                        .json()
                        .event_format(JsonLines::new())
                        .with_writer(Captured),
                )
                .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
            tracing::subscriber::set_global_default(subscriber).unwrap();
            provider
        });
    }

    /// The one captured line whose message is `message`, parsed.
    fn line_with(message: &str) -> Map<String, Value> {
        let logged = String::from_utf8(LOGGED.lock().unwrap().clone()).unwrap();
        let mut lines = logged
            .lines()
            .filter_map(|line| match serde_json::from_str(line) {
                Ok(Value::Object(map)) => (map["message"] == message).then_some(map),
                _ => panic!("not a JSON object: {line}"),
            });
        let line = lines.next().expect("the line was logged");
        assert!(lines.next().is_none(), "the line was logged once");
        line
    }

    #[test]
    fn a_line_in_a_span_carries_its_fields_the_span_and_the_trace_ids() {
        let _serial = crate::telemetry::subscriber_test_lock();
        install();

        tracing::info_span!("rpc", method = "Confirm").in_scope(|| {
            tracing::info!(attempt = 2, "linked in a span");
        });

        let line = line_with("linked in a span");
        assert_eq!(line["attempt"], 2);
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], "pacer_link::telemetry::json::tests");
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(line["span"]["name"], "rpc");
        assert_eq!(line["span"]["method"], "Confirm");
        assert_eq!(line["spans"][0]["name"], "rpc");
        assert_eq!(line["trace_id"].as_str().unwrap().len(), 32);
        assert_eq!(line["span_id"].as_str().unwrap().len(), 16);
    }

    #[test]
    fn a_line_outside_any_span_has_no_trace_ids() {
        let _serial = crate::telemetry::subscriber_test_lock();
        install();

        tracing::warn!("starting outside any span");

        let line = line_with("starting outside any span");
        assert_eq!(line["level"], "WARN");
        assert!(!line.contains_key("span"));
        assert!(!line.contains_key("trace_id"));
    }
}
