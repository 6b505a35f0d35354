//! The physical limits each scenario is compared with, measured in the same
//! run: raw argon2id verification, and a bare tonic unary call.
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use pacer_link::password::HashParams;
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::drive::{Run, closed_loop};
use crate::stats::Recorder;

/// argon2id verifications on `threads` threads for `duration`, in process,
/// with no gRPC, no database and no queue: what the service's hashing pool
/// could do at most. Like the service, each thread reuses one memory buffer.
pub fn raw_argon2id(params: HashParams, threads: usize, duration: Duration) -> Run {
    let argon2 = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(params.m_cost, params.t_cost, params.p_cost, None).expect("valid parameters"),
    );
    let password = b"Bench-Filer-Password-2026";
    let salt = *b"bench-salt-16-by";
    let mut memory = vec![Block::new(); argon2.params().block_count()];
    let mut expected = [0u8; 32];
    argon2
        .hash_password_into_with_memory(password, &salt, &mut expected, &mut memory)
        .expect("argon2id hash");
    drop(memory);
    let started = Instant::now();
    let deadline = started + duration;
    let recorders: Vec<Recorder> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                let argon2 = argon2.clone();
                scope.spawn(move || {
                    let mut recorder = Recorder::default();
                    let mut memory = vec![Block::new(); argon2.params().block_count()];
                    let mut out = [0u8; 32];
                    while Instant::now() < deadline {
                        let one = Instant::now();
                        argon2
                            .hash_password_into_with_memory(password, &salt, &mut out, &mut memory)
                            .expect("argon2id hash");
                        let code = if out == expected { "OK" } else { "INTERNAL" };
                        recorder.record(code, one.elapsed());
                    }
                    recorder
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("hashing thread"))
            .collect()
    });
    let elapsed = started.elapsed();
    let mut all = Recorder::default();
    for recorder in recorders {
        all.merge(recorder);
    }
    Run {
        recorder: all,
        elapsed,
        ..Run::default()
    }
}

/// `Health/Check` against a server that answers SERVING at once, with the
/// same connections and concurrency as the scenarios.
pub async fn echo(channels: &[Channel], concurrency: usize, duration: Duration) -> Run {
    let clients: Vec<_> = channels.iter().cloned().map(HealthClient::new).collect();
    closed_loop("echo", concurrency, duration, move |worker| {
        let mut client = clients[worker % clients.len()].clone();
        async move {
            client
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(drop)
        }
    })
    .await
}
