//! Concurrent confirmations: constraints decide, and every loser gets a clear reason.
use std::collections::HashSet;

use tonic::Code;

use super::support::{assert_reason, demo, spawn_app};

#[tokio::test]
async fn two_flows_racing_for_one_ecf_account_have_exactly_one_winner() {
    let app = spawn_app().await;
    app.create_pacer("rival", "Rival-Pacer-Pass01", "Rival Filer")
        .await;
    let ours = app.demo_flow().await;
    let theirs = app
        .verified_flow(
            ("rival", "Rival-Pacer-Pass01"),
            (demo::ECF_LOGIN, demo::ECF_PASSWORD),
        )
        .await;

    let (a, b) = tokio::join!(app.confirm(&ours), app.confirm(&theirs));

    let (winners, losers): (Vec<_>, Vec<_>) = [a, b].into_iter().partition(Result::is_ok);
    assert_eq!(winners.len(), 1);
    let loser = losers.into_iter().next().unwrap().unwrap_err();
    assert_reason(&loser, Code::AlreadyExists, "ECF_ACCOUNT_ALREADY_LINKED");
}

#[tokio::test]
async fn fifty_concurrent_confirms_of_one_flow_make_one_link() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;

    let calls = (0..50).map(|_| app.confirm(&token));
    let results = futures_util::future::join_all(calls).await;

    let links: HashSet<_> = results
        .into_iter()
        .map(|r| {
            let response = r.expect("every concurrent confirm succeeds");
            let link = response.link.unwrap();
            (
                link.court_id,
                link.ecf_login,
                link.pacer_username,
                link.linked_at.unwrap().seconds,
                link.linked_at.unwrap().nanos,
            )
        })
        .collect();
    assert_eq!(links.len(), 1);
    let link_rows = app.db.scalar("SELECT count(*) FROM links").await;
    let events = app.db.scalar("SELECT count(*) FROM link_events").await;
    assert_eq!((link_rows, events), (1, 1));
}

#[tokio::test]
async fn one_pacer_account_racing_for_two_ecf_accounts_links_only_one() {
    let app = spawn_app().await;
    app.create_ecf("cosecond", "Second-Ecf-Pass01", "Humbert Humbert")
        .await;
    let first = app.demo_flow().await;
    let second = app
        .verified_flow(
            (demo::PACER_USERNAME, demo::PACER_PASSWORD),
            ("cosecond", "Second-Ecf-Pass01"),
        )
        .await;

    let (a, b) = tokio::join!(app.confirm(&first), app.confirm(&second));

    let (winners, losers): (Vec<_>, Vec<_>) = [a, b].into_iter().partition(Result::is_ok);
    assert_eq!(winners.len(), 1);
    let loser = losers.into_iter().next().unwrap().unwrap_err();
    assert_reason(&loser, Code::AlreadyExists, "PACER_ACCOUNT_ALREADY_LINKED");
}

#[tokio::test]
async fn a_failed_confirm_writes_nothing() {
    let app = spawn_app().await;
    app.create_pacer("rival", "Rival-Pacer-Pass01", "Rival Filer")
        .await;
    let ours = app.demo_flow().await;
    let theirs = app
        .verified_flow(
            ("rival", "Rival-Pacer-Pass01"),
            (demo::ECF_LOGIN, demo::ECF_PASSWORD),
        )
        .await;
    app.confirm(&ours).await.unwrap();

    let status = app.confirm(&theirs).await.unwrap_err();

    assert_reason(&status, Code::AlreadyExists, "ECF_ACCOUNT_ALREADY_LINKED");
    let links = app.db.scalar("SELECT count(*) FROM links").await;
    let events = app.db.scalar("SELECT count(*) FROM link_events").await;
    let confirmed = app
        .db
        .scalar("SELECT count(*) FROM link_flows WHERE stage = 'confirmed'")
        .await;
    assert_eq!((links, events, confirmed), (1, 1, 1));
}
