//! The service rides out a PostgreSQL restart: calls fail fast with
//! UNAVAILABLE, readiness follows the database, and it recovers by itself.
use crate::support;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use pacer_link::proto::{self, get_link_status_request::Subject};
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use support::{app::spawn_app_on, database::TestDatabase, postgres::PrivateCluster};

#[derive(Debug, Clone)]
struct Answer {
    at: Instant,
    took: Duration,
    result: Result<bool, Code>,
}

async fn readiness(app: &support::TestApp, service: &str) -> ServingStatus {
    HealthClient::new(app.channel.clone())
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status()
}

#[tokio::test]
async fn a_database_restart_gives_fast_unavailable_then_recovers_without_a_restart() {
    let _heavy = support::heavy_test().await;
    let cluster = PrivateCluster::start();
    let db = Arc::new(TestDatabase::postgres(cluster.fresh_database().await));
    // Without the status cache, which would answer from memory through the
    // outage: this test is about calls that need the database.
    let app = spawn_app_on(db, |s| {
        s.pool.acquire_timeout = Duration::from_millis(500);
        s.status_cache_ttl = Duration::ZERO;
    })
    .await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();

    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));
    let caller = {
        let (answers, mut status) = (answers.clone(), app.status.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(12) {
                let at = Instant::now();
                let result = status
                    .get_link_status(proto::GetLinkStatusRequest {
                        court_id: "cod".into(),
                        subject: Some(Subject::EcfLogin("coattorneytwo".into())),
                    })
                    .await
                    .map(|r| r.into_inner().linked)
                    .map_err(|s| s.code());
                answers.lock().unwrap().push(Answer {
                    at,
                    took: at.elapsed(),
                    result,
                });
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;

    cluster.stop_server();
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ready_while_down = readiness(&app, "").await;
    let service_while_down = readiness(&app, "court.identity.v1.AccountLinkService").await;
    let alive_while_down = readiness(&app, "liveness").await;
    cluster.start_server();
    let restarted = Instant::now();
    caller.await.unwrap();
    let ready_after = readiness(&app, "").await;
    let service_after = readiness(&app, "court.identity.v1.AccountLinkService").await;

    let answers = answers.lock().unwrap().clone();
    let wrong: Vec<_> = answers
        .iter()
        .filter(|a| !matches!(a.result, Ok(true) | Err(Code::Unavailable)))
        .collect();
    assert!(wrong.is_empty(), "wrong answers: {wrong:?}");
    let failures: Vec<_> = answers.iter().filter(|a| a.result.is_err()).collect();
    assert!(!failures.is_empty(), "the outage was not seen");
    let slowest_failure = failures.iter().map(|a| a.took).max().unwrap();
    assert!(
        slowest_failure < Duration::from_millis(1500),
        "failures took up to {slowest_failure:?}"
    );
    let recovered = answers
        .iter()
        .find(|a| a.at > restarted && a.result.is_ok())
        .expect("calls succeed again")
        .at;
    let recovery = recovered.duration_since(restarted);
    eprintln!(
        "database down {:?}; {} calls failed fast (slowest {:?}); recovered {:?} after restart",
        restarted.duration_since(stopped),
        failures.len(),
        slowest_failure,
        recovery
    );
    assert!(
        recovery < Duration::from_secs(5),
        "recovery took {recovery:?}"
    );
    // The pod stays in the Service (its cache still answers); the services'
    // own statuses show the outage.
    assert_eq!(ready_while_down, ServingStatus::Serving);
    assert_eq!(service_while_down, ServingStatus::NotServing);
    assert_eq!(alive_while_down, ServingStatus::Serving);
    assert_eq!(ready_after, ServingStatus::Serving);
    assert_eq!(service_after, ServingStatus::Serving);
    assert!(
        answers.last().unwrap().result == Ok(true),
        "the link survived"
    );
}
