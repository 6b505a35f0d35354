//! Every error reason of the link flow.
use std::time::Duration;

use pacer_link::proto;
use tonic::Code;

use super::support::{assert_reason, demo, expect_err, spawn_app, violated_fields};

/// A well-formed token that names no flow.
const UNKNOWN_TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[tokio::test]
async fn unknown_username_and_wrong_password_are_indistinguishable() {
    let app = spawn_app().await;

    let unknown = expect_err(app.authenticate("nobody", demo::PACER_PASSWORD).await);
    let wrong = expect_err(
        app.authenticate(demo::PACER_USERNAME, "Wrong-Password-123")
            .await,
    );

    assert_reason(&unknown, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_eq!(unknown.code(), wrong.code());
    assert_eq!(unknown.message(), wrong.message());
    assert_eq!(unknown.details(), wrong.details());
}

#[tokio::test]
async fn unknown_ecf_login_and_wrong_ecf_password_are_indistinguishable() {
    let app = spawn_app().await;
    let token = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap()
        .flow_token;

    let unknown = expect_err(app.verify_ecf(&token, "conobody", demo::ECF_PASSWORD).await);
    let wrong = expect_err(
        app.verify_ecf(&token, demo::ECF_LOGIN, "Wrong-Password-123")
            .await,
    );

    assert_reason(&unknown, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_eq!(
        (unknown.code(), unknown.message(), unknown.details()),
        (wrong.code(), wrong.message(), wrong.details())
    );
}

#[tokio::test]
async fn a_pacer_account_that_is_not_upgraded_is_refused_after_its_password() {
    let app = spawn_app().await;

    let right = expect_err(
        app.authenticate(demo::LEGACY_PACER_USERNAME, demo::LEGACY_PACER_PASSWORD)
            .await,
    );
    let wrong = expect_err(
        app.authenticate(demo::LEGACY_PACER_USERNAME, "Wrong-Password-123")
            .await,
    );

    assert_reason(
        &right,
        Code::FailedPrecondition,
        "PACER_ACCOUNT_NOT_UPGRADED",
    );
    assert_reason(&wrong, Code::Unauthenticated, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn an_ecf_login_without_the_court_prefix_is_refused_on_that_field() {
    let app = spawn_app().await;
    let token = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap()
        .flow_token;

    let status = expect_err(
        app.verify_ecf(&token, "attorneytwo", demo::ECF_PASSWORD)
            .await,
    );

    assert_reason(&status, Code::InvalidArgument, "ECF_LOGIN_PREFIX_MISMATCH");
    assert_eq!(violated_fields(&status), ["ecf_login"]);
}

#[tokio::test]
async fn an_unknown_court_is_not_found() {
    let app = spawn_app().await;

    let status = expect_err(
        app.link
            .clone()
            .authenticate_pacer(proto::AuthenticatePacerRequest {
                court_id: "zzz".into(),
                username: demo::PACER_USERNAME.into(),
                password: demo::PACER_PASSWORD.into(),
                client_code: String::new(),
                otp_code: String::new(),
            })
            .await,
    );

    assert_reason(&status, Code::NotFound, "UNKNOWN_COURT");
}

#[tokio::test]
async fn a_court_created_after_it_was_asked_for_is_found() {
    // Courts are kept in memory once read; an unknown one must not be.
    let app = spawn_app().await;
    let sign_in = || proto::AuthenticatePacerRequest {
        court_id: "ksd".into(),
        username: demo::PACER_USERNAME.into(),
        password: demo::PACER_PASSWORD.into(),
        client_code: String::new(),
        otp_code: String::new(),
    };
    let before = expect_err(app.link.clone().authenticate_pacer(sign_in()).await);

    app.create_kansas_court().await;
    let after = app.link.clone().authenticate_pacer(sign_in()).await;

    assert_reason(&before, Code::NotFound, "UNKNOWN_COURT");
    assert!(after.is_ok(), "{after:?}");
}

#[tokio::test]
async fn an_unknown_token_is_not_found_or_expired() {
    let app = spawn_app().await;

    let verify = expect_err(
        app.verify_ecf(UNKNOWN_TOKEN, demo::ECF_LOGIN, demo::ECF_PASSWORD)
            .await,
    );
    let preview = expect_err(app.preview(UNKNOWN_TOKEN).await);
    let confirm = expect_err(app.confirm(UNKNOWN_TOKEN).await);

    for status in [verify, preview, confirm] {
        assert_reason(
            &status,
            Code::FailedPrecondition,
            "FLOW_NOT_FOUND_OR_EXPIRED",
        );
    }
}

#[tokio::test]
async fn preview_and_confirm_before_verify_ecf_are_out_of_order() {
    let app = spawn_app().await;
    let token = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap()
        .flow_token;

    let preview = expect_err(app.preview(&token).await);
    let confirm = expect_err(app.confirm(&token).await);

    assert_reason(&preview, Code::FailedPrecondition, "FLOW_STEP_OUT_OF_ORDER");
    assert_reason(&confirm, Code::FailedPrecondition, "FLOW_STEP_OUT_OF_ORDER");
}

#[tokio::test]
async fn an_expired_token_looks_like_an_unknown_one() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    let unknown = expect_err(app.confirm(UNKNOWN_TOKEN).await);

    app.clock.advance(Duration::from_secs(601));
    let expired = expect_err(app.confirm(&token).await);

    assert_reason(
        &expired,
        Code::FailedPrecondition,
        "FLOW_NOT_FOUND_OR_EXPIRED",
    );
    assert_eq!(
        (expired.message(), expired.details()),
        (unknown.message(), unknown.details())
    );
}

#[tokio::test]
async fn a_token_still_works_just_before_it_expires() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;

    app.clock.advance(Duration::from_secs(599));

    assert!(app.confirm(&token).await.is_ok());
}
