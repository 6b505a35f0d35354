//! Stored hashes below the configured cost are replaced on the next sign-in.
use std::time::Duration;

use crate::support::{app::spawn_app_on, demo, spawn_app};

#[tokio::test]
async fn a_weaker_hash_is_replaced_after_a_successful_sign_in() {
    let app = spawn_app().await;
    let db = app.db.clone();
    app.stop().await;
    let app = spawn_app_on(db, |s| s.hash_params.m_cost = 24_576).await;

    app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap();
    let mut upgraded = 0;
    for _ in 0..100 {
        upgraded = app
            .db
            .scalar("SELECT count(*) FROM pacer_accounts WHERE username = 'hhumbert' AND password_hash LIKE '$argon2id$v=19$m=24576,t=2,p=1$%'")
            .await;
        if upgraded == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let again = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await;

    assert_eq!(upgraded, 1, "the hash was not upgraded");
    assert!(again.is_ok(), "{again:?}");
}

#[tokio::test]
async fn a_failed_sign_in_changes_no_hash() {
    let app = spawn_app().await;
    let db = app.db.clone();
    app.stop().await;
    let app = spawn_app_on(db, |s| s.hash_params.m_cost = 24_576).await;

    let _ = app
        .authenticate(demo::PACER_USERNAME, "Wrong-Password-1")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let upgraded = app
        .db
        .scalar("SELECT count(*) FROM pacer_accounts WHERE password_hash LIKE '%m=24576%'")
        .await;
    assert_eq!(upgraded, 0);
}
