//! Stored hashes below the configured cost are replaced on the next sign-in.
use std::time::Duration;

use super::support::{TestApp, app::spawn_app_on, demo, spawn_app};

/// The cost the restarted server hashes at, above the one the data was stored at.
const STRONGER_M_COST: u32 = 24_576;

/// How long a rehash, which runs after the answer, may take to land.
const REHASH_WITHIN: Duration = Duration::from_secs(10);

/// Whether `username`'s stored hash is at the stronger cost.
async fn upgraded(app: &TestApp, username: &'static str) -> bool {
    let stored = app
        .db
        .pairs("SELECT username, password_hash FROM pacer_accounts")
        .await;
    stored.into_iter().any(|(user, hash)| {
        user == username && hash.is_some_and(|h| h.starts_with("$argon2id$v=19$m=24576,t=2,p=1$"))
    })
}

/// Polls until `username`'s hash is upgraded; false if it is not within `REHASH_WITHIN`.
async fn wait_for_upgrade(app: &TestApp, username: &'static str) -> bool {
    let deadline = tokio::time::Instant::now() + REHASH_WITHIN;
    while tokio::time::Instant::now() < deadline {
        if upgraded(app, username).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    upgraded(app, username).await
}

#[tokio::test]
async fn a_weaker_hash_is_replaced_after_a_successful_sign_in() {
    let app = spawn_app().await;
    let db = app.db.clone();
    app.stop().await;
    let app = spawn_app_on(db, |s| s.hash_params.m_cost = STRONGER_M_COST).await;

    app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap();
    let replaced = wait_for_upgrade(&app, demo::PACER_USERNAME).await;
    let again = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await;

    assert!(replaced, "the hash was not upgraded");
    assert!(again.is_ok(), "{again:?}");
}

#[tokio::test]
async fn a_failed_sign_in_changes_no_hash() {
    let app = spawn_app().await;
    app.create_pacer("witness", "Witness-Pacer-Pass1", "Witness Filer")
        .await;
    let db = app.db.clone();
    app.stop().await;
    let app = spawn_app_on(db, |s| s.hash_params.m_cost = STRONGER_M_COST).await;

    let failed = app
        .authenticate(demo::PACER_USERNAME, "Wrong-Password-1")
        .await;
    // A rehash is started before the answer it follows, so once one started
    // after the failure has landed, any the failure started would have too.
    app.authenticate("witness", "Witness-Pacer-Pass1")
        .await
        .unwrap();
    let witness_upgraded = wait_for_upgrade(&app, "witness").await;

    assert!(failed.is_err());
    assert!(witness_upgraded, "the witness's hash was not upgraded");
    assert!(!upgraded(&app, demo::PACER_USERNAME).await);
}
