//! Latency recording and the per-scenario summary.
use std::{collections::BTreeMap, time::Duration};

use serde_json::{Value, json};

/// The gRPC status name of `code`, as grpcurl and the metrics spell it.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Latencies (microseconds) of finished calls, by status code.
#[derive(Debug, Default)]
pub struct Recorder {
    by_code: BTreeMap<&'static str, Vec<u64>>,
}

impl Recorder {
    /// Records one call.
    pub fn record(&mut self, code: &'static str, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.by_code.entry(code).or_default().push(micros);
    }

    /// Adds another recorder's calls.
    pub fn merge(&mut self, other: Recorder) {
        for (code, mut latencies) in other.by_code {
            self.by_code.entry(code).or_default().append(&mut latencies);
        }
    }

    /// How many calls ended with `code`.
    pub fn count(&self, code: &str) -> u64 {
        self.by_code.get(code).map_or(0, |l| l.len() as u64)
    }

    /// Every call.
    pub fn total(&self) -> u64 {
        self.by_code.values().map(|l| l.len() as u64).sum()
    }

    /// The latency distribution of calls that ended with `code`.
    pub fn percentiles(&mut self, code: &str) -> Option<Percentiles> {
        self.by_code.get_mut(code).and_then(|l| Percentiles::of(l))
    }

    /// The latencies (microseconds) of calls that ended with `code`, sorted.
    pub fn sorted(&mut self, code: &str) -> &[u64] {
        match self.by_code.get_mut(code) {
            Some(latencies) => {
                latencies.sort_unstable();
                latencies
            }
            None => &[],
        }
    }

    /// Calls by code, successes included.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.by_code
            .iter()
            .map(|(code, l)| ((*code).to_owned(), l.len() as u64))
            .collect()
    }
}

/// A latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    /// The distribution of `micros` (sorted in place); `None` when empty.
    pub fn of(micros: &mut [u64]) -> Option<Self> {
        if micros.is_empty() {
            return None;
        }
        micros.sort_unstable();
        let at = |q: f64| quantile_ms(micros, q);
        let sum: u128 = micros.iter().map(|&m| u128::from(m)).sum();
        Some(Self {
            p50: at(0.50),
            p99: at(0.99),
            p999: at(0.999),
            max: micros[micros.len() - 1] as f64 / 1000.0,
            mean: sum as f64 / micros.len() as f64 / 1000.0,
        })
    }

    /// As JSON, in milliseconds.
    pub fn to_json(self) -> Value {
        json!({
            "p50_ms": round(self.p50), "p99_ms": round(self.p99), "p999_ms": round(self.p999),
            "max_ms": round(self.max), "mean_ms": round(self.mean),
        })
    }
}

/// The `q` quantile (nearest rank) of `sorted` microseconds, in
/// milliseconds; NaN when empty.
pub fn quantile_ms(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// Rounds for display and JSON: three decimals.
pub fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Scenario or baseline name.
    pub name: String,
    /// Calls in flight (closed loop) or offered rate (open loop).
    pub load: String,
    /// Successful operations.
    pub ok: u64,
    /// Failed operations by status code.
    pub errors: BTreeMap<String, u64>,
    /// Successful operations per second.
    pub rate: f64,
    /// Latency of successful operations.
    pub latency: Option<Percentiles>,
    /// The baseline this row is compared with, and the ratio to it.
    pub ratio: Option<(String, f64)>,
    /// Anything else worth keeping, as JSON.
    pub extra: Value,
}

impl Summary {
    /// A row from a run's recorder.
    pub fn from_run(name: &str, load: String, mut recorder: Recorder, elapsed: Duration) -> Self {
        let ok = recorder.count("OK");
        let mut errors = recorder.counts();
        errors.remove("OK");
        Self {
            name: name.to_owned(),
            load,
            ok,
            errors,
            rate: ok as f64 / elapsed.as_secs_f64().max(1e-9),
            latency: recorder.percentiles("OK"),
            ratio: None,
            extra: json!({ "elapsed_s": round(elapsed.as_secs_f64()) }),
        }
    }

    /// Adds a key to `extra`.
    pub fn note(&mut self, key: &str, value: Value) {
        if let Value::Object(map) = &mut self.extra {
            map.insert(key.to_owned(), value);
        }
    }

    /// As JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "load": self.load,
            "ok": self.ok,
            "rate_per_s": round(self.rate),
            "latency": self.latency.map(Percentiles::to_json),
            "errors": self.errors,
            "baseline": self.ratio.as_ref().map(|(b, _)| b),
            "ratio": self.ratio.as_ref().map(|(_, r)| round(*r)),
            "extra": self.extra,
        })
    }
}
