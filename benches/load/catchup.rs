//! Catch-up: one consumer follows `WatchLinkEvents` from sequence 0 over a
//! history seeded straight into the outbox, while links are confirmed live;
//! the rate it reaches the live tail at, whether every event arrived once
//! and in order, and (for the shipped binary) the server's resident memory
//! through it.
use std::time::{Duration, Instant};

use pacer_link::proto::{self, link_status_service_client::LinkStatusServiceClient};
use serde_json::json;
use tonic::transport::Channel;

use crate::seed::SeedDb;
use crate::stats::{Recorder, Summary, round};

/// Follows from 0 until `history` + the live links have arrived.
pub async fn catchup(
    channel: Channel,
    link: &[Channel],
    db: &SeedDb,
    history: u64,
    live: usize,
    server_pid: Option<u32>,
) -> anyhow::Result<Summary> {
    let tokens = crate::watch::prepare(link, crate::seed::CATCHUP, live, 4).await?;
    let mut client = LinkStatusServiceClient::new(channel).max_decoding_message_size(1 << 20);
    let rss_before = server_pid.and_then(rss_kib);
    let started = Instant::now();
    let mut stream = client
        .watch_link_events(proto::WatchLinkEventsRequest::default())
        .await?
        .into_inner();
    // Live links confirmed while the history streams (about 20 a second).
    let confirming = {
        let link = link.to_vec();
        tokio::spawn(async move { crate::watch::confirm(&link, tokens, 20.0).await })
    };
    let (mut expected, mut out_of_order, mut rss_peak) = (1u64, 0u64, 0u64);
    let mut reached_history = None;
    let target = history + live as u64;
    let mut received = 0u64;
    while received < target {
        let event = tokio::time::timeout(Duration::from_secs(30), stream.message())
            .await
            .map_err(|_| anyhow::anyhow!("no event for 30 s after {received}"))??
            .ok_or_else(|| anyhow::anyhow!("the stream ended after {received}"))?;
        if event.sequence != expected {
            out_of_order += 1;
        }
        expected = event.sequence + 1;
        received += 1;
        if received == history {
            reached_history = Some(started.elapsed());
        }
        if received.is_multiple_of(50_000) {
            if let Some(rss) = server_pid.and_then(rss_kib) {
                rss_peak = rss_peak.max(rss);
            }
            eprintln!("catchup: {received} of {target}");
        }
    }
    let elapsed = started.elapsed();
    let confirms = confirming.await?;
    let history_s = reached_history.unwrap_or(elapsed).as_secs_f64();
    let mut recorder = Recorder::default();
    recorder.record("OK", elapsed);
    let mut summary = Summary::from_run("catchup", "1 consumer from 0".into(), recorder, elapsed);
    summary.ok = received;
    summary.rate = history as f64 / history_s;
    summary.note("history_events", json!(history));
    summary.note("history_s", json!(round(history_s)));
    summary.note("live_links_confirmed", json!(confirms.count("OK")));
    summary.note("events_received", json!(received));
    summary.note("out_of_order", json!(out_of_order));
    summary.note(
        "last_sequence_in_store",
        json!(db.last_event_sequence().await?),
    );
    summary.note("server_rss_kib_before", json!(rss_before));
    summary.note(
        "server_rss_kib_peak_sampled",
        json!(server_pid.map(|_| rss_peak)),
    );
    Ok(summary)
}

/// Resident memory of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
