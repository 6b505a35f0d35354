//! Per-source throttling and shedding in front of the hashing queue: both
//! answer RESOURCE_EXHAUSTED with a RetryInfo.
use std::time::{Duration, Instant};

use pacer_link::{caller::SourcePolicy, proto, throttle::ThrottleSettings};
use tonic::Code;
use tonic_types::StatusExt;

use super::support::{TestApp, assert_reason, demo, expect_err, spawn_app_with};

const WRONG: &str = "Wrong-Password-123";

fn limited(s: &mut pacer_link::config::Settings) {
    s.throttle = ThrottleSettings {
        per_minute: 1,
        burst: 3,
        max_sources: 1000,
    };
}

async fn sign_in_from(
    app: &TestApp,
    forwarded_for: &str,
    username: &str,
    password: &str,
) -> Result<(), tonic::Status> {
    let mut request = tonic::Request::new(proto::AuthenticatePacerRequest {
        court_id: "cod".into(),
        username: username.into(),
        password: password.into(),
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("x-forwarded-for", forwarded_for.parse().unwrap());
    app.link
        .clone()
        .authenticate_pacer(request)
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_source_over_its_rate_is_refused_with_a_retry_delay() {
    let app = spawn_app_with(limited).await;
    for i in 0..3 {
        let answer = app.authenticate(&format!("stuffed-{i}"), WRONG).await;
        assert_reason(
            &expect_err(answer),
            Code::Unauthenticated,
            "INVALID_CREDENTIALS",
        );
    }

    let refused = expect_err(app.authenticate("stuffed-4", WRONG).await);

    assert_reason(&refused, Code::ResourceExhausted, "TOO_MANY_ATTEMPTS");
    let delay = refused
        .get_details_retry_info()
        .unwrap()
        .retry_delay
        .unwrap();
    assert!(
        delay > Duration::from_secs(30) && delay <= Duration::from_secs(60),
        "{delay:?}"
    );
}

#[tokio::test]
async fn successful_sign_ins_do_not_use_up_the_allowance() {
    let app = spawn_app_with(limited).await;
    for _ in 0..6 {
        app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
            .await
            .unwrap();
    }
    let still_allowed = app.authenticate("someone-else", WRONG).await;
    assert_reason(
        &expect_err(still_allowed),
        Code::Unauthenticated,
        "INVALID_CREDENTIALS",
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let untrusted = spawn_app_with(limited).await;
    let trusted = spawn_app_with(|s| {
        limited(s);
        s.source_policy = SourcePolicy::TrustedProxies(1);
    })
    .await;

    let mut untrusted_codes = Vec::new();
    let mut trusted_codes = Vec::new();
    for i in 0..5 {
        // A different claimed address each time: only a trusted proxy's word counts.
        let from = format!("203.0.113.{i}");
        let u = sign_in_from(&untrusted, &from, "stuffed", WRONG).await;
        let t = sign_in_from(&trusted, &from, "stuffed", WRONG).await;
        untrusted_codes.push(expect_err(u).code());
        trusted_codes.push(expect_err(t).code());
    }

    assert_eq!(
        untrusted_codes[3..],
        [Code::ResourceExhausted, Code::ResourceExhausted]
    );
    assert!(trusted_codes.iter().all(|c| *c == Code::Unauthenticated));
}

/// A server with one hashing thread and room for two sign-ins, and no lockout in the way.
async fn spawn_tiny_hashing_pool() -> TestApp {
    spawn_app_with(|s| {
        s.hash_concurrency = 1;
        s.hash_queue_depth = 2;
        s.lockout.threshold = 1000;
        s.lockout.max_per_hour = 1000;
    })
    .await
}

/// `n` wrong-password sign-ins at once, each with how long its answer took.
async fn sign_in_burst(
    app: &TestApp,
    n: usize,
) -> Vec<(
    Result<proto::AuthenticatePacerResponse, tonic::Status>,
    Duration,
)> {
    let attempts = (0..n).map(|_| async {
        let started = Instant::now();
        let answer = app.authenticate(demo::PACER_USERNAME, WRONG).await;
        (answer, started.elapsed())
    });
    futures_util::future::join_all(attempts).await
}

#[tokio::test]
async fn shed_calls_are_in_the_audit_trail_once_the_server_has_stopped() {
    let app = spawn_tiny_hashing_pool().await;
    let results = sign_in_burst(&app, 64).await;
    let shed = results
        .iter()
        .filter(|(r, _)| {
            r.as_ref()
                .is_err_and(|s| s.code() == Code::ResourceExhausted)
        })
        .count();
    let db = app.db.clone();

    app.stop().await;
    let audited = db
        .scalar("SELECT CAST(COALESCE(SUM(repeat_count), 0) AS BIGINT) FROM audit_events WHERE reason = 'OVERLOADED'")
        .await;

    assert!(shed > 0, "nothing was shed");
    assert_eq!(audited, shed as i64);
}

#[tokio::test]
async fn a_full_hashing_queue_refuses_at_once_and_counts_nothing() {
    let app = spawn_tiny_hashing_pool().await;

    let results = sign_in_burst(&app, 24).await;

    let shed: Vec<_> = results
        .iter()
        .filter_map(|(r, took)| {
            r.as_ref()
                .err()
                .filter(|s| s.code() == Code::ResourceExhausted)
                .map(|s| (s, *took))
        })
        .collect();
    let admitted = results.len() - shed.len();
    assert!(!shed.is_empty(), "nothing was shed");
    for (status, took) in &shed {
        assert_reason(status, Code::ResourceExhausted, "OVERLOADED");
        assert!(status.get_details_retry_info().is_some());
        assert!(*took < Duration::from_secs(1), "a refusal took {took:?}");
    }
    let counted = app
        .db
        .scalar("SELECT consecutive FROM sign_in_failures WHERE subject_kind = 'pacer' AND subject = 'hhumbert'")
        .await;
    assert_eq!(
        counted, admitted as i64,
        "refused attempts must not be counted"
    );
    // Shed calls are audited too, by the writer behind the refusals.
    let deadline = Instant::now() + Duration::from_secs(5);
    let audited = loop {
        let rows = app
            .db
            .scalar("SELECT CAST(COALESCE(SUM(repeat_count), 0) AS BIGINT) FROM audit_events WHERE reason = 'OVERLOADED' AND outcome = 'RESOURCE_EXHAUSTED'")
            .await;
        if rows == shed.len() as i64 || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(audited, shed.len() as i64);
}
