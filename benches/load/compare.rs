//! Each scenario side by side with its baseline, in alternating slices.
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use pacer_link::password::HashParams;
use serde_json::json;
use tonic::transport::Channel;

use crate::cli::Options;
use crate::drive::{Run, paired};
use crate::stats::{Summary, round};
use crate::{baselines, report, scenarios, server};

/// What every comparison needs.
pub struct Bench<'a> {
    pub options: &'a Options,
    pub channels: &'a [Channel],
    pub params: HashParams,
    pub hash_threads: usize,
    /// Sign-ins the service admits at once; more are refused.
    pub admitted: usize,
}

impl Bench<'_> {
    fn slice(&self) -> std::time::Duration {
        self.options.duration / self.options.rounds.max(1)
    }

    fn rounds(&self) -> usize {
        self.options.rounds.max(1) as usize
    }

    fn in_flight(&self) -> String {
        format!("{} in flight", self.options.concurrency)
    }

    /// Calls that hash, kept in flight: no more than the service admits, so
    /// that saturation is measured rather than refusals.
    pub fn hashing_in_flight(&self) -> usize {
        self.options.concurrency.min(self.admitted).max(1)
    }

    /// The raw argon2id rate for one slice, on the hashing pool's thread count.
    async fn raw(&self) -> Run {
        let (params, threads, slice) = (self.params, self.hash_threads, self.slice());
        tokio::task::spawn_blocking(move || baselines::raw_argon2id(params, threads, slice))
            .await
            .expect("raw argon2id baseline")
    }

    fn raw_summary(&self, name: &str, run: Run) -> Summary {
        let threads = format!("{} threads", self.hash_threads);
        Summary::from_run(name, threads, run.recorder, run.elapsed)
    }

    /// (a): AuthenticatePacer against raw verification.
    pub async fn auth(&self) -> Vec<Summary> {
        let (c, slice) = (self.hashing_in_flight(), self.slice());
        let (raw, auth) = paired(
            self.rounds(),
            async || self.raw().await,
            async || scenarios::auth(self.channels, c, slice).await,
        )
        .await;
        let raw = self.raw_summary("raw-argon2id", raw);
        let load = format!("{c} in flight");
        let mut auth = Summary::from_run("auth", load, auth.recorder, auth.elapsed);
        auth.ratio = Some(("raw-argon2id".into(), auth.rate / raw.rate));
        vec![raw, auth]
    }

    /// (b): GetLinkStatus against the echo server, then at half its rate.
    pub async fn status(&self, runtime: &tokio::runtime::Handle) -> anyhow::Result<Vec<Summary>> {
        let (c, slice, population) = (
            self.options.concurrency,
            self.slice(),
            self.options.population,
        );
        let (warmed, warm_s) = scenarios::warm_status(self.channels, population, 4).await?;
        eprintln!("status: asked all {warmed} accounts both ways in {warm_s:.1}s (cache warm-up)");
        let echo_server = server::start_echo(runtime).await?;
        let echo_channels = crate::drive::connect(echo_server.addr, self.channels.len()).await?;
        let (echo, status) = paired(
            self.rounds(),
            async || baselines::echo(&echo_channels, c, slice).await,
            async || scenarios::status(self.channels, population, c, slice).await,
        )
        .await;
        drop(echo_channels);
        echo_server.stop().await;
        let echo = Summary::from_run("echo", self.in_flight(), echo.recorder, echo.elapsed);
        let mut peak =
            Summary::from_run("status", self.in_flight(), status.recorder, status.elapsed);
        peak.ratio = Some(("echo".into(), peak.rate / echo.rate));
        peak.note("population", json!(population));
        peak.note("warm_up_s", json!(round(warm_s)));
        let half_rate = peak.rate / 2.0;
        let half =
            scenarios::status_at(self.channels, population, half_rate, self.options.duration).await;
        let (mut send_lag, mut from_send) = (half.send_lag, half.from_send);
        let mut half = Summary::from_run(
            "status@half",
            format!("{half_rate:.0}/s offered"),
            half.recorder,
            half.elapsed,
        );
        if let Some(lag) = send_lag.percentiles("OK") {
            half.note("client_send_lag_ms", lag.to_json());
        }
        if let Some(sent) = from_send.percentiles("OK") {
            half.note("ok_timed_from_send_ms", sent.to_json());
        }
        half.note("offered_per_s", json!(round(half_rate)));
        Ok(vec![echo, peak, half])
    }

    /// (c): the four-step flow against half the raw rate (two hashes a flow).
    pub async fn flow(&self, available: usize) -> Vec<Summary> {
        let c = self
            .options
            .flow_in_flight
            .unwrap_or_else(|| self.hashing_in_flight());
        let slice = self.slice();
        let next = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let (raw, flow) = paired(
            self.rounds(),
            async || self.raw().await,
            async || {
                let (channels, next, refused) = (self.channels, next.clone(), refused.clone());
                scenarios::flow(channels, next, available, c, slice, refused).await
            },
        )
        .await;
        let raw = self.raw_summary("raw-argon2id", raw);
        let load = format!("{c} in flight");
        let mut flow = Summary::from_run("flow", load, flow.recorder, flow.elapsed);
        flow.ratio = Some(("raw-argon2id/2".into(), flow.rate / (raw.rate / 2.0)));
        let refused = refused.load(Ordering::Relaxed);
        flow.note("hashing_steps_refused_and_retried", json!(refused));
        vec![raw, flow]
    }

    /// Sign-ins with one call per hashing thread (no queueing: the unloaded
    /// latency), then offered at `overload_factor` times `saturation`.
    pub async fn overload(&self, saturation: Option<f64>, accounts: usize) -> Vec<Summary> {
        let d = self.options.duration;
        let saturation = match saturation {
            Some(rate) => rate,
            None => {
                let run = scenarios::auth(self.channels, self.hashing_in_flight(), d).await;
                run.recorder.count("OK") as f64 / run.elapsed.as_secs_f64()
            }
        };
        let run = scenarios::auth(self.channels, self.hash_threads, d).await;
        let unloaded = Summary::from_run(
            "auth-unloaded",
            format!("{} in flight", self.hash_threads),
            run.recorder,
            run.elapsed,
        );
        let rate = saturation * self.options.overload_factor;
        let reset = report::reset_peak_rss();
        let mut over = scenarios::overload(
            self.channels,
            accounts,
            rate,
            d,
            self.options.overload_timeout,
        )
        .await;
        let peak = report::peak_rss_kib();
        over.note("saturation_per_s", json!(round(saturation)));
        over.note(
            "peak_rss_mib",
            json!(peak.map(|k| round(k as f64 / 1024.0))),
        );
        over.note(
            "peak_rss_covers",
            json!(if reset {
                "overload only (service and client)"
            } else {
                "whole run"
            }),
        );
        if let (Some(admitted), Some(base)) = (over.latency, unloaded.latency) {
            over.ratio = Some(("auth-unloaded p99".into(), admitted.p99 / base.p99));
        }
        vec![unloaded, over]
    }
}
