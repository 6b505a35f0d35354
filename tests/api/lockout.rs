//! Per-account lockout, counted in the database on every sign-in path.
use std::time::Duration;

use tonic::Code;

use crate::support::{assert_reason, demo, expect_err, spawn_app, spawn_app_with};

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

#[tokio::test]
async fn a_right_password_whose_caller_hung_up_is_not_left_counted() {
    let app = spawn_app().await;

    for _ in 0..5 {
        let _ = tokio::time::timeout(
            Duration::from_millis(2),
            app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let counted = app
        .db
        .scalar(
            "SELECT count(*) FROM sign_in_failures WHERE subject = 'hhumbert' AND consecutive > 0",
        )
        .await;
    assert_eq!(
        counted, 0,
        "abandoned right-password sign-ins stayed counted"
    );
}
