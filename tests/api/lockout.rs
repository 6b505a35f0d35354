//! Per-account lockout, counted in the database on every sign-in path.
use std::time::Duration;

use tonic::Code;

use super::support::{TestApp, assert_reason, demo, expect_err, spawn_app, spawn_app_with};

const WRONG: &str = "Wrong-Password-123";

#[tokio::test]
async fn ten_failures_lock_the_account_and_a_lock_looks_like_a_wrong_password() {
    let app = spawn_app().await;
    let mut wrong = None;
    for _ in 0..10 {
        wrong = Some(expect_err(
            app.authenticate(demo::PACER_USERNAME, WRONG).await,
        ));
    }

    let locked = expect_err(
        app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
            .await,
    );
    app.clock.advance(Duration::from_secs(61));
    let after_the_lock = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await;

    let wrong = wrong.unwrap();
    assert_reason(&locked, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_eq!(
        (locked.message(), locked.details()),
        (wrong.message(), wrong.details())
    );
    assert!(after_the_lock.is_ok(), "{after_the_lock:?}");
}

#[tokio::test]
async fn fifty_parallel_wrong_passwords_are_all_counted() {
    let app = spawn_app_with(|s| {
        s.lockout.threshold = 1000;
        s.lockout.max_per_hour = 1000;
    })
    .await;

    let attempts = (0..50).map(|_| app.authenticate(demo::PACER_USERNAME, WRONG));
    let results = futures_util::future::join_all(attempts).await;

    assert!(results.iter().all(Result::is_err));
    let counted = app
        .db
        .scalar("SELECT consecutive FROM sign_in_failures WHERE subject_kind = 'pacer' AND subject = 'hhumbert'")
        .await;
    assert_eq!(counted, 50);
}

#[tokio::test]
async fn a_success_clears_the_consecutive_failures() {
    let app = spawn_app().await;
    for _ in 0..9 {
        expect_err(app.authenticate(demo::PACER_USERNAME, WRONG).await);
    }
    app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap();
    for _ in 0..9 {
        expect_err(app.authenticate(demo::PACER_USERNAME, WRONG).await);
    }

    assert!(
        app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn cmecf_proofs_lock_the_cmecf_account() {
    let app = spawn_app().await;
    let token = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap()
        .flow_token;
    for _ in 0..10 {
        expect_err(app.verify_ecf(&token, demo::ECF_LOGIN, WRONG).await);
    }

    let locked = expect_err(
        app.verify_ecf(&token, demo::ECF_LOGIN, demo::ECF_PASSWORD)
            .await,
    );

    assert_reason(&locked, Code::Unauthenticated, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn filer_sign_in_failures_lock_the_pacer_account_everywhere() {
    let app = spawn_app().await;
    for _ in 0..10 {
        expect_err(app.authenticate_filer(demo::PACER_USERNAME, WRONG).await);
    }

    let locked = expect_err(
        app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
            .await,
    );

    assert_reason(&locked, Code::Unauthenticated, "INVALID_CREDENTIALS");
}

/// Rows of hhumbert's failure counts matching `condition`, read directly.
async fn hhumbert_failure_rows(app: &TestApp, condition: &'static str) -> i64 {
    let sql = match condition {
        "any" => {
            "SELECT count(*) FROM sign_in_failures WHERE subject_kind = 'pacer' AND subject = 'hhumbert'"
        }
        "counted" => {
            "SELECT count(*) FROM sign_in_failures WHERE subject_kind = 'pacer' AND subject = 'hhumbert' \
             AND (consecutive > 0 OR hour_count > 0)"
        }
        other => panic!("unknown condition {other}"),
    };
    app.db.scalar(sql).await
}

#[tokio::test]
async fn a_right_password_whose_caller_hung_up_is_not_left_counted() {
    let app = spawn_app().await;

    // A right password's attempt is counted before its hash (tens of ms)
    // and given back after it, so a caller giving up after 2 ms has always
    // left by then. Until one of them is seen counted (the failure row
    // exists), the test has not tested anything: try again.
    let mut abandoned = 0;
    for _ in 0..20 {
        for _ in 0..5 {
            let call = tokio::time::timeout(
                Duration::from_millis(2),
                app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD),
            )
            .await;
            assert!(call.is_err(), "a sign-in answered within 2 ms: {call:?}");
            abandoned += 1;
        }
        let seen = || async { hhumbert_failure_rows(&app, "any").await == 1 };
        if eventually(Duration::from_secs(2), seen).await {
            break;
        }
    }
    let reached = hhumbert_failure_rows(&app, "any").await;
    let settled = || async { hhumbert_failure_rows(&app, "counted").await == 0 };
    let given_back = eventually(Duration::from_secs(10), settled).await;

    assert_eq!(
        reached, 1,
        "none of {abandoned} abandoned sign-ins reached the server"
    );
    assert!(
        given_back,
        "abandoned right-password sign-ins stayed counted"
    );
}

/// Polls `condition` for up to `within`; whether it came true.
async fn eventually<F, Fut>(within: Duration, condition: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if condition().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition().await
}
