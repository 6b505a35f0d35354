//! The TOTP second factor on AuthenticatePacer and AuthenticateFiler.
use std::time::Duration;

use tonic::Code;

use super::support::{assert_reason, demo, expect_err, spawn_app, spawn_app_with};

const WRONG: &str = "Wrong-Password-123";

#[tokio::test]
async fn an_enrolled_account_needs_a_code_but_says_so_only_after_the_password() {
    let app = spawn_app().await;
    app.enroll_totp(demo::PACER_USERNAME).await.unwrap();

    let wrong_password = expect_err(app.authenticate(demo::PACER_USERNAME, WRONG).await);
    let no_code = expect_err(
        app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
            .await,
    );
    let with_code = app
        .authenticate_with_code(
            demo::PACER_USERNAME,
            demo::PACER_PASSWORD,
            &app.totp_code(0),
        )
        .await;

    assert_reason(
        &wrong_password,
        Code::Unauthenticated,
        "INVALID_CREDENTIALS",
    );
    assert_reason(&no_code, Code::Unauthenticated, "MFA_REQUIRED");
    assert!(with_code.is_ok(), "{with_code:?}");
}

#[tokio::test]
async fn a_code_is_accepted_once_only() {
    let app = spawn_app().await;
    app.enroll_totp(demo::PACER_USERNAME).await.unwrap();
    let code = app.totp_code(0);

    let first = app
        .authenticate_with_code(demo::PACER_USERNAME, demo::PACER_PASSWORD, &code)
        .await;
    let replay = app
        .authenticate_with_code(demo::PACER_USERNAME, demo::PACER_PASSWORD, &code)
        .await;
    let earlier_code = app
        .authenticate_with_code(
            demo::PACER_USERNAME,
            demo::PACER_PASSWORD,
            &app.totp_code(-1),
        )
        .await;

    assert!(first.is_ok(), "{first:?}");
    assert_reason(&expect_err(replay), Code::Unauthenticated, "MFA_REQUIRED");
    assert_reason(
        &expect_err(earlier_code),
        Code::Unauthenticated,
        "MFA_REQUIRED",
    );
}

#[tokio::test]
async fn codes_one_step_either_side_are_accepted_and_two_steps_are_not() {
    let app = spawn_app().await;
    app.enroll_totp(demo::PACER_USERNAME).await.unwrap();

    let too_old = app
        .authenticate_with_code(
            demo::PACER_USERNAME,
            demo::PACER_PASSWORD,
            &app.totp_code(-2),
        )
        .await;
    let previous = app
        .authenticate_with_code(
            demo::PACER_USERNAME,
            demo::PACER_PASSWORD,
            &app.totp_code(-1),
        )
        .await;
    let next = app
        .authenticate_with_code(
            demo::PACER_USERNAME,
            demo::PACER_PASSWORD,
            &app.totp_code(1),
        )
        .await;
    let too_new = app
        .authenticate_with_code(
            demo::PACER_USERNAME,
            demo::PACER_PASSWORD,
            &app.totp_code(2),
        )
        .await;

    assert_reason(&expect_err(too_old), Code::Unauthenticated, "MFA_REQUIRED");
    assert!(previous.is_ok(), "{previous:?}");
    assert!(next.is_ok(), "{next:?}");
    assert_reason(&expect_err(too_new), Code::Unauthenticated, "MFA_REQUIRED");
}

#[tokio::test]
async fn wrong_codes_count_toward_the_lockout() {
    let app = spawn_app().await;
    app.enroll_totp(demo::PACER_USERNAME).await.unwrap();
    let wrong_code = if app.totp_code(0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..10 {
        let answer = app
            .authenticate_with_code(demo::PACER_USERNAME, demo::PACER_PASSWORD, wrong_code)
            .await;
        assert_reason(&expect_err(answer), Code::Unauthenticated, "MFA_REQUIRED");
    }

    let locked = app
        .authenticate_with_code(
            demo::PACER_USERNAME,
            demo::PACER_PASSWORD,
            &app.totp_code(0),
        )
        .await;
    app.clock.advance(Duration::from_secs(61));
    let after_the_lock = app
        .authenticate_with_code(
            demo::PACER_USERNAME,
            demo::PACER_PASSWORD,
            &app.totp_code(0),
        )
        .await;

    assert_reason(
        &expect_err(locked),
        Code::Unauthenticated,
        "INVALID_CREDENTIALS",
    );
    assert!(after_the_lock.is_ok(), "{after_the_lock:?}");
}

#[tokio::test]
async fn filer_sign_in_needs_the_code_too() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();
    app.enroll_totp(demo::PACER_USERNAME).await.unwrap();

    let without = app
        .authenticate_filer(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await;

    assert_reason(&expect_err(without), Code::Unauthenticated, "MFA_REQUIRED");
}

#[tokio::test]
async fn the_secret_is_stored_encrypted_and_a_generated_one_is_returned_once() {
    let app = spawn_app().await;
    let supplied = app.enroll_totp(demo::PACER_USERNAME).await.unwrap();
    let generated = app
        .admin
        .clone()
        .enroll_totp(super::support::admin_request(
            pacer_link::proto::EnrollTotpRequest {
                request_id: String::new(),
                username: demo::LEGACY_PACER_USERNAME.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();

    // 12-byte nonce, 20-byte ciphertext, 16-byte tag: never the bare secret.
    let sealed = app
        .db
        .scalar("SELECT count(*) FROM pacer_accounts WHERE length(totp_secret) = 48")
        .await;
    assert_eq!(sealed, 2);
    assert!(supplied.secret_base32.is_empty());
    let secret = pacer_link::mfa::base32_decode(&generated.secret_base32).unwrap();
    assert_eq!(secret.len(), 20);
    assert!(generated.otpauth_uri.starts_with("otpauth://totp/PACER:"));
    assert!(generated.otpauth_uri.contains(&generated.secret_base32));
}

#[tokio::test]
async fn enrolling_needs_a_key_and_an_existing_account() {
    let app = spawn_app_with(|s| s.totp_key = None).await;
    let no_key = expect_err(app.enroll_totp(demo::PACER_USERNAME).await);
    let app = spawn_app().await;
    let unknown = expect_err(app.enroll_totp("nobody-here").await);

    assert_reason(&no_key, Code::FailedPrecondition, "TOTP_NOT_CONFIGURED");
    assert_reason(&unknown, Code::NotFound, "ACCOUNT_NOT_FOUND");
}

#[tokio::test]
async fn a_removed_second_factor_is_no_longer_asked_for() {
    let app = spawn_app().await;
    app.enroll_totp(demo::PACER_USERNAME).await.unwrap();
    app.admin
        .clone()
        .enroll_totp(super::support::admin_request(
            pacer_link::proto::EnrollTotpRequest {
                request_id: String::new(),
                username: demo::PACER_USERNAME.into(),
                remove: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap();

    let signed_in = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await;

    assert!(signed_in.is_ok(), "{signed_in:?}");
}

#[tokio::test]
async fn remove_totp_removes_the_second_factor_and_is_audited() {
    let app = spawn_app().await;
    app.enroll_totp(demo::PACER_USERNAME).await.unwrap();
    let remove = || {
        let mut admin = app.admin.clone();
        async move {
            admin
                .remove_totp(super::support::admin_request(
                    pacer_link::proto::RemoveTotpRequest {
                        request_id: String::new(),
                        username: demo::PACER_USERNAME.into(),
                    },
                ))
                .await
        }
    };

    remove().await.unwrap();
    let again = remove().await;
    let signed_in = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await;

    assert!(again.is_ok(), "{again:?}");
    assert!(signed_in.is_ok(), "{signed_in:?}");
    let rows = app.audit_trail().await;
    assert_eq!(rows.iter().filter(|e| e.rpc == "RemoveTotp").count(), 2);
}

#[tokio::test]
async fn a_server_without_the_totp_key_refuses_to_start_over_enrolled_accounts() {
    let app = spawn_app().await;
    app.enroll_totp(demo::PACER_USERNAME).await.unwrap();
    let db = app.db.clone();
    app.stop().await;

    let mut settings = super::support::app::test_settings(db.url.clone());
    settings.totp_key = None;
    let refused = pacer_link::startup::Application::build(settings).await;

    let message = refused.err().expect("start-up refused").to_string();
    assert!(
        message.contains("1 PACER account(s) have a second factor enrolled"),
        "{message}"
    );
    assert!(message.contains("PACER_LINK_TOTP_KEY"), "{message}");
}

#[tokio::test]
async fn five_wrong_codes_lock_the_second_factor_before_the_password_locks() {
    let app = spawn_app().await;
    app.enroll_totp(demo::PACER_USERNAME).await.unwrap();
    let right = app.totp_code(0);
    let wrong_code = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        let answer = app
            .authenticate_with_code(demo::PACER_USERNAME, demo::PACER_PASSWORD, wrong_code)
            .await;
        assert_reason(&expect_err(answer), Code::Unauthenticated, "MFA_REQUIRED");
    }

    let right_but_locked = app
        .authenticate_with_code(demo::PACER_USERNAME, demo::PACER_PASSWORD, &right)
        .await;

    assert_reason(
        &expect_err(right_but_locked),
        Code::Unauthenticated,
        "MFA_REQUIRED",
    );
    let reasons: Vec<_> = app
        .audit_trail()
        .await
        .into_iter()
        .filter(|e| e.rpc == "AuthenticatePacer")
        .map(|e| e.reason)
        .collect();
    assert_eq!(
        reasons,
        [
            "MFA_CODE_WRONG",
            "MFA_CODE_WRONG",
            "MFA_CODE_WRONG",
            "MFA_CODE_WRONG",
            "MFA_LOCKED_NOW",
            "MFA_LOCKED"
        ]
    );
}
