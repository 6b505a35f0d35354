//! Mutating admin calls with a request_id run once: a retry gets the first
//! answer, a concurrent twin never acts twice, and an id reused for another
//! request is refused.
use pacer_link::proto;
use tonic::Code;

use super::support::{admin_request, assert_reason, demo, expect_err, spawn_app, violated_fields};

const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

fn enroll(username: &str, request_id: &str) -> proto::EnrollTotpRequest {
    proto::EnrollTotpRequest {
        username: username.into(),
        request_id: request_id.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_retried_enrollment_returns_the_secret_it_generated_and_keeps_it() {
    let app = spawn_app().await;
    let call = |request: proto::EnrollTotpRequest| {
        let mut admin = app.admin.clone();
        async move {
            admin
                .enroll_totp(admin_request(request))
                .await
                .map(tonic::Response::into_inner)
        }
    };

    let first = call(enroll(demo::PACER_USERNAME, ID)).await.unwrap();
    let stored_after_first = app
        .db
        .scalar("SELECT count(*) FROM admin_requests WHERE response IS NOT NULL")
        .await;
    let retry = call(enroll(demo::PACER_USERNAME, ID)).await.unwrap();
    let without_id = call(enroll(demo::PACER_USERNAME, "")).await.unwrap();
    let reused = expect_err(call(enroll(demo::LEGACY_PACER_USERNAME, ID)).await);
    let malformed = expect_err(call(enroll(demo::PACER_USERNAME, "not-a-uuid")).await);

    assert!(!first.secret_base32.is_empty());
    assert_eq!(
        retry.secret_base32, first.secret_base32,
        "the retry replaced the secret"
    );
    assert_eq!(retry.otpauth_uri, first.otpauth_uri);
    assert_ne!(without_id.secret_base32, first.secret_base32);
    assert_eq!(stored_after_first, 1);
    assert_reason(&reused, Code::InvalidArgument, "REQUEST_ID_REUSED");
    assert_reason(&malformed, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&malformed), vec!["request_id".to_owned()]);
}

#[tokio::test]
async fn the_stored_answer_holding_a_secret_is_sealed() {
    let app = spawn_app().await;
    let answer = app
        .admin
        .clone()
        .enroll_totp(admin_request(enroll(demo::PACER_USERNAME, ID)))
        .await
        .unwrap()
        .into_inner();

    let stored = app
        .db
        .scalar("SELECT CAST(length(response) AS BIGINT) FROM admin_requests")
        .await;

    // Sealed as enrolled secrets are: a 12-byte nonce and a 16-byte tag
    // around the encoded answer, never the answer itself.
    let plain = prost::Message::encoded_len(&answer) as i64;
    assert_eq!(stored, plain + 28);
}

#[tokio::test]
async fn concurrent_twins_of_one_enrollment_never_return_two_secrets() {
    let app = spawn_app().await;
    let twins = (0..8).map(|_| {
        let mut admin = app.admin.clone();
        tokio::spawn(async move {
            admin
                .enroll_totp(admin_request(enroll(demo::PACER_USERNAME, ID)))
                .await
                .map(|r| r.into_inner().secret_base32)
        })
    });
    let mut secrets = std::collections::HashSet::new();
    for twin in twins {
        match twin.await.unwrap() {
            Ok(secret) => {
                secrets.insert(secret);
            }
            Err(status) => assert_reason(&status, Code::Aborted, "REQUEST_IN_PROGRESS"),
        }
    }
    let settled = app
        .admin
        .clone()
        .enroll_totp(admin_request(enroll(demo::PACER_USERNAME, ID)))
        .await
        .unwrap()
        .into_inner()
        .secret_base32;

    assert!(
        secrets.len() <= 1,
        "two secrets for one request: {secrets:?}"
    );
    if let Some(secret) = secrets.iter().next() {
        assert_eq!(&settled, secret);
    }
}

#[tokio::test]
async fn a_retried_unlink_answers_as_the_first_did() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();
    let unlink = || {
        let mut admin = app.admin.clone();
        async move {
            admin
                .unlink(admin_request(proto::UnlinkRequest {
                    court_id: "cod".into(),
                    ecf_login: demo::ECF_LOGIN.into(),
                    reason: "ticket 42".into(),
                    request_id: ID.into(),
                }))
                .await
                .map(tonic::Response::into_inner)
        }
    };

    let first = unlink().await.unwrap();
    let retry = unlink().await.unwrap();
    let events = app
        .db
        .scalar("SELECT count(*) FROM link_events WHERE event_type = 'unlinked'")
        .await;

    assert_eq!(retry, first);
    assert_eq!(events, 1, "the retry unlinked again");
}
