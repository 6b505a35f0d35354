//! Malformed input: INVALID_ARGUMENT with a BadRequest naming each bad field.
use pacer_link::proto;
use tonic::Code;

use super::support::{assert_reason, demo, expect_err, spawn_app, violated_fields};

fn authenticate_request(
    court_id: &str,
    username: &str,
    password: &str,
    client_code: &str,
) -> proto::AuthenticatePacerRequest {
    proto::AuthenticatePacerRequest {
        court_id: court_id.into(),
        username: username.into(),
        password: password.into(),
        client_code: client_code.into(),
        otp_code: String::new(),
    }
}

#[tokio::test]
async fn empty_fields_are_each_named() {
    let app = spawn_app().await;

    let status = expect_err(
        app.link
            .clone()
            .authenticate_pacer(authenticate_request("", "", "", ""))
            .await,
    );

    assert_reason(&status, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        violated_fields(&status),
        ["court_id", "username", "password"]
    );
}

#[tokio::test]
async fn control_characters_and_over_long_fields_are_refused() {
    let app = spawn_app().await;
    let long_username = "u".repeat(65);

    let status = expect_err(
        app.link
            .clone()
            .authenticate_pacer(authenticate_request(
                "cod\n",
                &long_username,
                demo::PACER_PASSWORD,
                "ok",
            ))
            .await,
    );

    assert_eq!(violated_fields(&status), ["court_id", "username"]);
}

#[tokio::test]
async fn a_client_code_over_32_printable_characters_is_refused() {
    let app = spawn_app().await;
    let request =
        |code: &str| authenticate_request("cod", demo::PACER_USERNAME, demo::PACER_PASSWORD, code);

    let long = expect_err(
        app.link
            .clone()
            .authenticate_pacer(request(&"c".repeat(33)))
            .await,
    );
    let control = expect_err(
        app.link
            .clone()
            .authenticate_pacer(request("abc\u{7}"))
            .await,
    );
    let ok = app
        .link
        .clone()
        .authenticate_pacer(request(&"c".repeat(32)))
        .await;

    assert_eq!(violated_fields(&long), ["client_code"]);
    assert_eq!(violated_fields(&control), ["client_code"]);
    assert!(ok.is_ok());
}

#[tokio::test]
async fn passwords_up_to_256_characters_are_checked_as_received() {
    let app = spawn_app().await;
    let long_password = "p".repeat(200) + " with spaces ";
    app.create_pacer("longpass", &long_password, "Long Password")
        .await;

    let ok = app.authenticate("longpass", &long_password).await;
    let too_long = expect_err(app.authenticate("longpass", &"p".repeat(257)).await);

    assert!(ok.is_ok());
    assert_eq!(violated_fields(&too_long), ["password"]);
}

#[tokio::test]
async fn a_malformed_flow_token_is_an_invalid_argument() {
    let app = spawn_app().await;

    let empty = expect_err(app.preview("").await);
    let garbage = expect_err(app.confirm("not a token").await);

    assert_eq!(violated_fields(&empty), ["flow_token"]);
    assert_eq!(violated_fields(&garbage), ["flow_token"]);
}

#[tokio::test]
async fn unicode_display_names_are_accepted_but_control_characters_are_not() {
    let app = spawn_app().await;

    let status = expect_err(
        app.admin
            .clone()
            .create_pacer_account(super::support::admin_request(
                proto::CreatePacerAccountRequest {
                    username: "newuser".into(),
                    password: "Good-Password-123".into(),
                    display_name: "Evil\r\nINFO forged log line".into(),
                    upgraded: true,
                },
            ))
            .await,
    );
    app.create_pacer("zoe", "Good-Password-123", "Zoë Ñúñez")
        .await;

    assert_eq!(violated_fields(&status), ["display_name"]);
}

#[tokio::test]
async fn a_request_over_64_kib_is_refused_before_decoding() {
    let app = spawn_app().await;

    let status = expect_err(
        app.link
            .clone()
            .authenticate_pacer(authenticate_request(
                "cod",
                demo::PACER_USERNAME,
                &"p".repeat(70_000),
                "",
            ))
            .await,
    );

    assert_reason(&status, tonic::Code::ResourceExhausted, "MESSAGE_TOO_LARGE");
}
