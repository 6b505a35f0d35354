//! Two replicas on one PostgreSQL database: a link confirmed through one
//! reaches a watcher on the other, promptly, with LISTEN/NOTIFY.
use crate::support;

/// The backend of these tests' servers: replicas need PostgreSQL.
const BACKEND: pacer_link::store::Backend = pacer_link::store::Backend::Postgres;

use std::time::{Duration, Instant};

use pacer_link::proto;
use tokio_stream::StreamExt;

use support::{app::spawn_app_on, flows::prepared_flows, spawn_app};

const LINKS: usize = 40;

#[tokio::test]
async fn a_link_confirmed_on_one_replica_reaches_a_watcher_on_the_other_within_250_ms() {
    let _heavy = support::heavy_test().await;
    let a = spawn_app(BACKEND).await;
    // Slow polling, so only the notification can deliver within the bound.
    let b = spawn_app_on(a.db.clone(), |s| {
        s.events.poll_interval = Duration::from_secs(30)
    })
    .await;
    let tokens = prepared_flows(&a, LINKS).await;
    let mut stream = b.watch(0, "").await;

    let mut latencies = Vec::with_capacity(LINKS);
    for (i, token) in tokens.into_iter().enumerate() {
        a.link
            .clone()
            .confirm_link(proto::ConfirmLinkRequest { flow_token: token })
            .await
            .unwrap();
        let committed = Instant::now();
        let event = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("the event arrives")
            .unwrap()
            .unwrap();
        latencies.push(committed.elapsed());
        assert_eq!(event.sequence, i as u64 + 1);
    }

    latencies.sort();
    let p99 = latencies[(latencies.len() * 99).div_ceil(100) - 1];
    eprintln!(
        "cross-replica delivery: p50 {:?}, p99 {:?}",
        latencies[latencies.len() / 2],
        p99
    );
    assert!(p99 < Duration::from_millis(250), "p99 {p99:?}");
}

#[tokio::test]
async fn replicas_starting_together_apply_each_migration_once() {
    let first = spawn_app(BACKEND).await;
    let db = support::database::TestDatabase::postgres(support::postgres::fresh_database().await);
    let db = std::sync::Arc::new(db);

    let replicas = (0..4).map(|_| spawn_app_on(db.clone(), |_| {}));
    let replicas = futures_util::future::join_all(replicas).await;

    let applied = db.scalar("SELECT count(*) FROM _sqlx_migrations").await;
    let expected = first
        .db
        .scalar("SELECT count(*) FROM _sqlx_migrations")
        .await;
    assert_eq!(replicas.len(), 4);
    assert_eq!(applied, expected);
    assert_eq!(db.scalar("SELECT count(*) FROM courts").await, 1);
}

/// Whether replica `app` says the demo's CM/ECF account is linked.
async fn linked_on(app: &support::TestApp) -> bool {
    app.status
        .clone()
        .get_link_status(proto::GetLinkStatusRequest {
            court_id: "cod".into(),
            subject: Some(proto::get_link_status_request::Subject::EcfLogin(
                support::demo::ECF_LOGIN.into(),
            )),
        })
        .await
        .unwrap()
        .into_inner()
        .linked
}

/// Polls `app` until the status reads `linked`; the time it took.
async fn until_status(app: &support::TestApp, linked: bool) -> Duration {
    let started = Instant::now();
    while linked_on(app).await != linked {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "status never changed"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn a_cached_status_on_one_replica_follows_a_link_and_an_unlink_on_the_other() {
    let _heavy = support::heavy_test().await;
    let a = spawn_app(BACKEND).await;
    // Slow polling and a long cache lifetime: only the notification and the
    // event stream's invalidation can make B's answer change in time.
    let b = spawn_app_on(a.db.clone(), |s| {
        s.events.poll_interval = Duration::from_secs(30);
        s.status_cache_ttl = Duration::from_secs(600);
    })
    .await;
    assert!(!linked_on(&b).await);
    assert!(!linked_on(&b).await, "served from the cache");

    let token = a.demo_flow().await;
    a.confirm(&token).await.unwrap();
    let to_linked = until_status(&b, true).await;
    a.unlink(support::demo::ECF_LOGIN).await.unwrap();
    let to_unlinked = until_status(&b, false).await;

    eprintln!(
        "cached status caught up: linked after {to_linked:?}, unlinked after {to_unlinked:?}"
    );
    assert!(to_linked < Duration::from_millis(250), "{to_linked:?}");
    assert!(to_unlinked < Duration::from_millis(250), "{to_unlinked:?}");
}
