//! A restart on the same database keeps links, events and their sequence.
use tonic::Code;

use super::support::{app::spawn_app_on, assert_reason, demo, expect_err, spawn_app};

#[tokio::test]
async fn a_restart_keeps_links_events_and_their_sequence() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    let link = app.confirm(&token).await.unwrap().link.unwrap();
    let db = app.db.clone();
    app.stop().await;

    let restarted = spawn_app_on(db.clone(), |_| {}).await;
    let relinking = expect_err(
        restarted
            .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
            .await,
    );
    let retry = restarted.confirm(&token).await.unwrap().link.unwrap();
    restarted
        .create_pacer("second", "Second-Pacer-Pass1", "Second Filer")
        .await;
    restarted
        .create_ecf("cosecond", "Second-Ecf-Pass01", "Second Filer")
        .await;
    let second = restarted
        .verified_flow(
            ("second", "Second-Pacer-Pass1"),
            ("cosecond", "Second-Ecf-Pass01"),
        )
        .await;
    restarted.confirm(&second).await.unwrap();

    assert_reason(
        &relinking,
        Code::AlreadyExists,
        "PACER_ACCOUNT_ALREADY_LINKED",
    );
    assert_eq!(retry, link);
    assert_eq!(db.scalar("SELECT count(*) FROM link_events").await, 2);
    assert_eq!(db.scalar("SELECT max(sequence) FROM link_events").await, 2);
}
