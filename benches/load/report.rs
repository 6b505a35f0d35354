//! The summary table on stdout and the JSON file.
use std::path::Path;

use serde_json::{Value, json};

use crate::stats::Summary;

/// Prints one row per summary, then the notes of each.
pub fn print(summaries: &[Summary]) {
    println!();
    println!(
        "{:<14} {:<26} {:>9} {:>10} {:>9} {:>9} {:>9}  {:<22} errors",
        "scenario", "load", "ok", "rate/s", "p50 ms", "p99 ms", "p99.9 ms", "ratio to baseline"
    );
    for s in summaries {
        let (p50, p99, p999) = s
            .latency
            .map_or((f64::NAN, f64::NAN, f64::NAN), |l| (l.p50, l.p99, l.p999));
        let ratio = s
            .ratio
            .as_ref()
            .map_or_else(String::new, |(baseline, r)| format!("{r:.3} of {baseline}"));
        let errors = if s.errors.is_empty() {
            "none".to_owned()
        } else {
            s.errors
                .iter()
                .map(|(c, n)| format!("{c}={n}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        println!(
            "{:<14} {:<26} {:>9} {:>10.1} {:>9.2} {:>9.2} {:>9.2}  {:<22} {errors}",
            s.name, s.load, s.ok, s.rate, p50, p99, p999, ratio
        );
    }
    for s in summaries {
        if let Value::Object(extra) = &s.extra {
            let notes: Vec<String> = extra
                .iter()
                .filter(|(k, _)| k.as_str() != "elapsed_s")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            if !notes.is_empty() {
                println!("  {}: {}", s.name, notes.join(", "));
            }
        }
    }
}

/// Writes the run's figures and the machine they were measured on.
pub fn write_json(
    path: &Path,
    machine: Value,
    options: Value,
    summaries: &[Summary],
) -> anyhow::Result<()> {
    let document = json!({
        "machine": machine,
        "options": options,
        "results": summaries.iter().map(Summary::to_json).collect::<Vec<_>>(),
    });
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, serde_json::to_string_pretty(&document)? + "\n")?;
    Ok(())
}

/// What the figures depend on: cores, the compiler, the date.
pub fn machine(backend: &str, hash_threads: usize) -> Value {
    let rustc =
        std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|v| v.trim().to_owned());
    json!({
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "hash_threads": hash_threads,
        "backend": backend,
        "rustc": rustc,
        "date": chrono::Utc::now().format("%F").to_string(),
    })
}

/// The one-minute load average: how much else ran on the cores.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The peak resident memory of this process (service and client together).
pub fn peak_rss_kib() -> Option<u64> {
    status_field("VmHWM:")
}

/// Resets the peak so that the next reading covers what follows only.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(name))?;
    line[name.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
