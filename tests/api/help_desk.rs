//! Help desk: an account's sign-in security, and unlocking it by a named operator.
use pacer_link::config::Operator;
use pacer_link::proto::{
    self, get_account_security_request as get, unlock_account_request as unlock,
};
use sha2::{Digest, Sha256};
use tonic::Request;

use super::support::{TestApp, admin_request, demo, expect_err, spawn_app, spawn_app_with};

const WRONG: &str = "Wrong-Password-123";
const HELPER_TOKEN: &str = "help-desk-token-0123456789";

fn as_helper<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {HELPER_TOKEN}").parse().unwrap(),
    );
    request
}

async fn lock_out(app: &TestApp) {
    for _ in 0..10 {
        expect_err(app.authenticate(demo::PACER_USERNAME, WRONG).await);
    }
}

async fn security(app: &TestApp) -> proto::GetAccountSecurityResponse {
    let request = proto::GetAccountSecurityRequest {
        account: Some(get::Account::PacerUsername(demo::PACER_USERNAME.into())),
    };
    app.admin
        .clone()
        .get_account_security(admin_request(request))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_locked_account_shows_its_lock_and_the_hours_failures() {
    let app = spawn_app().await;
    lock_out(&app).await;

    let seen = security(&app).await;

    assert!(seen.locked_until.is_some());
    assert_eq!(
        (seen.consecutive_failures, seen.failures_last_hour),
        (0, 10)
    );
    assert!(seen.last_failure_time.is_some());
}

#[tokio::test]
async fn an_operator_unlocks_an_account_and_the_unlock_is_audited() {
    let app = spawn_app_with(|s| {
        s.operators = vec![Operator {
            name: "hdesk".into(),
            token_sha256: Sha256::digest(HELPER_TOKEN.as_bytes()).into(),
        }]
    })
    .await;
    lock_out(&app).await;

    let unlocked = app
        .admin
        .clone()
        .unlock_account(as_helper(proto::UnlockAccountRequest {
            request_id: String::new(),
            account: Some(unlock::Account::PacerUsername(demo::PACER_USERNAME.into())),
            reason: "ticket 4711: caller verified".into(),
        }))
        .await
        .unwrap()
        .into_inner();

    assert!(unlocked.was_locked);
    assert!(security(&app).await.locked_until.is_none());
    let signed_in = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await;
    assert!(signed_in.is_ok(), "{signed_in:?}");
    let trail = app
        .admin
        .clone()
        .list_audit_events(admin_request(proto::ListAuditEventsRequest {
            subject: demo::PACER_USERNAME.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let row = trail.events.iter().find(|e| e.rpc == "UnlockAccount");
    let row = row.expect("an audit row for UnlockAccount");
    assert_eq!(
        (row.subject.as_str(), row.outcome.as_str()),
        (demo::PACER_USERNAME, "OK")
    );
    assert_eq!(row.operator, "hdesk");
    assert_eq!(row.detail, "ticket 4711: caller verified");
}

#[tokio::test]
async fn the_help_desk_sees_and_ends_a_lock_of_the_one_time_codes() {
    let app = spawn_app().await;
    app.enroll_totp(demo::PACER_USERNAME).await.unwrap();
    let right = app.totp_code(0);
    let wrong_code = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        expect_err(
            app.authenticate_with_code(demo::PACER_USERNAME, demo::PACER_PASSWORD, wrong_code)
                .await,
        );
    }

    let locked = security(&app).await;
    let unlocked = app
        .admin
        .clone()
        .unlock_account(admin_request(proto::UnlockAccountRequest {
            request_id: String::new(),
            account: Some(unlock::Account::PacerUsername(demo::PACER_USERNAME.into())),
            reason: "ticket 4712: new phone".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let after = security(&app).await;
    let signed_in = app
        .authenticate_with_code(demo::PACER_USERNAME, demo::PACER_PASSWORD, &right)
        .await;

    assert!(locked.mfa_locked_until.is_some());
    assert!(locked.locked_until.is_none(), "the password is not locked");
    assert!(unlocked.was_locked);
    assert!(after.mfa_locked_until.is_none());
    assert!(signed_in.is_ok(), "{signed_in:?}");
}

#[tokio::test]
async fn a_success_shows_as_the_last_success_and_hides_no_earlier_failure() {
    let app = spawn_app().await;
    expect_err(app.authenticate(demo::PACER_USERNAME, WRONG).await);
    let failed = security(&app).await.last_failure_time;

    app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap();
    let seen = security(&app).await;

    assert!(seen.last_success_time.is_some());
    assert_eq!(seen.last_failure_time, failed);
    assert_eq!(seen.consecutive_failures, 0);
}
