//! FilerAuthService: step 6, CM/ECF sign-in with PACER credentials only.
use tonic::Code;

use super::support::{assert_reason, demo, expect_err, spawn_app};

#[tokio::test]
async fn before_linking_a_pacer_account_has_no_filing_account() {
    let app = spawn_app().await;

    let status = expect_err(
        app.authenticate_filer(demo::PACER_USERNAME, demo::PACER_PASSWORD)
            .await,
    );

    assert_reason(
        &status,
        Code::FailedPrecondition,
        "PACER_ACCOUNT_NOT_LINKED",
    );
    assert!(status.message().contains("no action is necessary"));
}

#[tokio::test]
async fn after_linking_pacer_credentials_sign_in_to_the_linked_filer_account() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();

    let signed_in = app
        .authenticate_filer("HHUMBERT", demo::PACER_PASSWORD)
        .await
        .unwrap();

    let ecf = signed_in.ecf_account.unwrap();
    assert_eq!(
        (ecf.court_id.as_str(), ecf.login.as_str()),
        ("cod", "coattorneytwo")
    );
    assert_eq!(ecf.display_name, "ColoradoTest AttorneyTwo");
    assert_eq!(signed_in.pacer_username, "hhumbert");
}

#[tokio::test]
async fn the_retired_cmecf_credentials_and_wrong_passwords_are_invalid_credentials() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();

    let retired = expect_err(
        app.authenticate_filer(demo::ECF_LOGIN, demo::ECF_PASSWORD)
            .await,
    );
    let wrong = expect_err(
        app.authenticate_filer(demo::PACER_USERNAME, "Wrong-Password-123")
            .await,
    );

    assert_reason(&retired, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_eq!(
        (retired.message(), retired.details()),
        (wrong.message(), wrong.details())
    );
}
