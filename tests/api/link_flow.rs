//! The seed's flow, steps 2 to 5, and what linking changes.
use tonic::Code;

use super::support::{assert_reason, demo, expect_err, spawn_app};

#[tokio::test]
async fn the_seed_flow_links_humbert_humbert_to_coloradotest_attorneytwo() {
    let app = spawn_app().await;

    let started = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap();
    let pacer = started.pacer_account.clone().unwrap();
    assert_eq!(pacer.username, "hhumbert");
    assert_eq!(pacer.display_name, "Humbert Humbert");
    assert!(started.expires_at.is_some());

    let verified = app
        .verify_ecf(&started.flow_token, demo::ECF_LOGIN, demo::ECF_PASSWORD)
        .await
        .unwrap();
    let ecf = verified.ecf_account.unwrap();
    assert_eq!(
        (ecf.court_id.as_str(), ecf.login.as_str()),
        ("cod", "coattorneytwo")
    );
    assert_eq!(ecf.display_name, "ColoradoTest AttorneyTwo");

    let preview = app.preview(&started.flow_token).await.unwrap();
    assert_eq!(
        preview.pacer_account.unwrap().display_name,
        "Humbert Humbert"
    );
    assert_eq!(
        preview.ecf_account.unwrap().display_name,
        "ColoradoTest AttorneyTwo"
    );
    assert!(!preview.names_match);
    assert!(
        preview
            .notice
            .contains("will be replaced by your PACER credentials")
    );
    assert!(preview.notice.contains("go back if the names don't match"));

    let confirmed = app.confirm(&started.flow_token).await.unwrap();
    assert_eq!(
        confirmed.message,
        "Your PACER account has been linked to your CM/ECF account"
    );
    let link = confirmed.link.unwrap();
    assert_eq!(
        (
            link.court_id.as_str(),
            link.ecf_login.as_str(),
            link.pacer_username.as_str()
        ),
        ("cod", "coattorneytwo", "hhumbert")
    );
    assert!(link.linked_at.is_some());
}

#[tokio::test]
async fn matching_names_get_the_replacement_notice_without_the_mismatch_warning() {
    let app = spawn_app().await;
    app.create_pacer("jdoe", "Jane-Doe-Pacer-Pass1", "Jane  DOE")
        .await;
    app.create_ecf("cojdoe", "Jane-Doe-Ecf-Pass01", "Jane Doe")
        .await;
    let token = app
        .verified_flow(
            ("jdoe", "Jane-Doe-Pacer-Pass1"),
            ("cojdoe", "Jane-Doe-Ecf-Pass01"),
        )
        .await;

    let preview = app.preview(&token).await.unwrap();

    assert!(preview.names_match);
    assert!(
        preview
            .notice
            .contains("will be replaced by your PACER credentials")
    );
    assert!(!preview.notice.contains("go back"));
}

#[tokio::test]
async fn preview_may_be_repeated() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;

    let first = app.preview(&token).await.unwrap();
    let second = app.preview(&token).await.unwrap();

    assert_eq!(first, second);
}

#[tokio::test]
async fn confirm_link_twice_returns_the_same_link() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;

    let first = app.confirm(&token).await.unwrap();
    let retry = app.confirm(&token).await.unwrap();

    assert_eq!(first, retry);
}

#[tokio::test]
async fn a_confirmed_token_is_finished_for_every_other_step() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();

    let preview = expect_err(app.preview(&token).await);
    let verify = expect_err(
        app.verify_ecf(&token, demo::ECF_LOGIN, demo::ECF_PASSWORD)
            .await,
    );

    assert_reason(
        &preview,
        Code::FailedPrecondition,
        "FLOW_NOT_FOUND_OR_EXPIRED",
    );
    assert_reason(
        &verify,
        Code::FailedPrecondition,
        "FLOW_NOT_FOUND_OR_EXPIRED",
    );
}

#[tokio::test]
async fn the_old_cmecf_password_is_refused_after_linking() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();
    app.create_pacer("another", "Another-Pacer-Pass1", "Another Filer")
        .await;
    let other = app
        .authenticate("another", "Another-Pacer-Pass1")
        .await
        .unwrap()
        .flow_token;

    let status = expect_err(
        app.verify_ecf(&other, demo::ECF_LOGIN, demo::ECF_PASSWORD)
            .await,
    );

    assert_reason(&status, Code::Unauthenticated, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn a_linked_pacer_account_cannot_start_another_flow_in_that_court() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();

    let status = expect_err(
        app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
            .await,
    );

    assert_reason(&status, Code::AlreadyExists, "PACER_ACCOUNT_ALREADY_LINKED");
}

#[tokio::test]
async fn verify_ecf_may_be_repeated_to_pick_another_account_before_confirming() {
    let app = spawn_app().await;
    app.create_ecf("cohhumbert", "Humbert-Ecf-Pass01", "Humbert Humbert")
        .await;
    let token = app.demo_flow().await;

    app.verify_ecf(&token, "cohhumbert", "Humbert-Ecf-Pass01")
        .await
        .unwrap();
    let link = app.confirm(&token).await.unwrap().link.unwrap();

    assert_eq!(link.ecf_login, "cohhumbert");
}

#[tokio::test]
async fn usernames_are_case_insensitive_and_passwords_are_not_trimmed() {
    let app = spawn_app().await;

    let upper = app.authenticate("HHumbert", demo::PACER_PASSWORD).await;
    let padded = expect_err(
        app.authenticate(demo::PACER_USERNAME, &format!("{} ", demo::PACER_PASSWORD))
            .await,
    );

    assert_eq!(upper.unwrap().pacer_account.unwrap().username, "hhumbert");
    assert_reason(&padded, Code::Unauthenticated, "INVALID_CREDENTIALS");
}
