//! LinkStatusService lookups, and unlinking through the admin API.
use pacer_link::proto::{self, get_link_status_request::Subject};
use tonic::Code;
use tonic_types::StatusExt;

use super::support::{assert_reason, demo, expect_err, spawn_app, violated_fields};

fn by_ecf(login: &str) -> proto::GetLinkStatusRequest {
    proto::GetLinkStatusRequest {
        court_id: "cod".into(),
        subject: Some(Subject::EcfLogin(login.into())),
    }
}

fn by_pacer(username: &str) -> proto::GetLinkStatusRequest {
    proto::GetLinkStatusRequest {
        court_id: "cod".into(),
        subject: Some(Subject::PacerUsername(username.into())),
    }
}

#[tokio::test]
async fn status_reports_unlinked_then_linked_accounts_from_either_side() {
    let app = spawn_app().await;
    let mut status = app.status.clone();
    let before = status
        .get_link_status(by_ecf(demo::ECF_LOGIN))
        .await
        .unwrap()
        .into_inner();
    let token = app.demo_flow().await;
    let link = app.confirm(&token).await.unwrap().link.unwrap();

    let by_ecf = status
        .get_link_status(by_ecf(demo::ECF_LOGIN))
        .await
        .unwrap()
        .into_inner();
    let by_pacer = status
        .get_link_status(by_pacer(demo::PACER_USERNAME))
        .await
        .unwrap()
        .into_inner();

    assert!(!before.linked);
    assert_eq!(
        (before.ecf_login.as_str(), before.pacer_username.as_str()),
        ("coattorneytwo", "")
    );
    assert!(before.linked_at.is_none());
    for after in [by_ecf, by_pacer] {
        assert!(after.linked);
        assert_eq!(
            (after.ecf_login.as_str(), after.pacer_username.as_str()),
            ("coattorneytwo", "hhumbert")
        );
        assert_eq!(after.linked_at, link.linked_at);
    }
}

#[tokio::test]
async fn unknown_accounts_and_courts_are_not_found() {
    let app = spawn_app().await;
    let mut status = app.status.clone();

    let ecf = expect_err(status.get_link_status(by_ecf("conobody")).await);
    let pacer = expect_err(status.get_link_status(by_pacer("nobody")).await);
    let court = expect_err(
        status
            .get_link_status(proto::GetLinkStatusRequest {
                court_id: "zzz".into(),
                subject: Some(Subject::EcfLogin("zzfiler".into())),
            })
            .await,
    );

    assert_reason(&ecf, Code::NotFound, "ACCOUNT_NOT_FOUND");
    assert_reason(&pacer, Code::NotFound, "ACCOUNT_NOT_FOUND");
    assert_reason(&court, Code::NotFound, "UNKNOWN_COURT");
}

#[tokio::test]
async fn a_lookup_without_a_subject_is_an_invalid_argument() {
    let app = spawn_app().await;

    let status = expect_err(
        app.status
            .clone()
            .get_link_status(proto::GetLinkStatusRequest {
                court_id: "cod".into(),
                subject: None,
            })
            .await,
    );

    assert_eq!(violated_fields(&status), ["subject"]);
}

#[tokio::test]
async fn batch_answers_in_request_order() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();
    app.create_ecf("coother", "Other-Ecf-Pass01", "Other Filer")
        .await;

    let statuses = app
        .status
        .clone()
        .batch_get_link_status(proto::BatchGetLinkStatusRequest {
            requests: vec![
                by_ecf("coother"),
                by_pacer("hhumbert"),
                by_ecf("coattorneytwo"),
                by_pacer("cquilty"),
            ],
        })
        .await
        .unwrap()
        .into_inner()
        .statuses;

    let linked: Vec<_> = statuses.iter().map(|s| s.linked).collect();
    assert_eq!(linked, [false, true, true, false]);
    assert_eq!(statuses[0].ecf_login, "coother");
    assert_eq!(statuses[3].pacer_username, "cquilty");
}

#[tokio::test]
async fn batch_takes_up_to_1000_lookups() {
    let app = spawn_app().await;
    let mut status = app.status.clone();

    let at_limit = status
        .batch_get_link_status(proto::BatchGetLinkStatusRequest {
            requests: vec![by_ecf(demo::ECF_LOGIN); 1000],
        })
        .await;
    let over = expect_err(
        status
            .batch_get_link_status(proto::BatchGetLinkStatusRequest {
                requests: vec![by_ecf(demo::ECF_LOGIN); 1001],
            })
            .await,
    );

    assert_eq!(at_limit.unwrap().into_inner().statuses.len(), 1000);
    assert_reason(&over, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&over), ["requests"]);
}

#[tokio::test]
async fn a_failing_lookup_fails_the_batch_and_names_its_index() {
    let app = spawn_app().await;
    let mut status = app.status.clone();

    let unknown = expect_err(
        status
            .batch_get_link_status(proto::BatchGetLinkStatusRequest {
                requests: vec![by_ecf(demo::ECF_LOGIN), by_ecf("conobody")],
            })
            .await,
    );
    let malformed = expect_err(
        status
            .batch_get_link_status(proto::BatchGetLinkStatusRequest {
                requests: vec![by_ecf(demo::ECF_LOGIN), by_ecf("co\nx")],
            })
            .await,
    );

    assert_reason(&unknown, Code::NotFound, "ACCOUNT_NOT_FOUND");
    assert_eq!(
        unknown
            .get_details_error_info()
            .unwrap()
            .metadata
            .get("index")
            .map(String::as_str),
        Some("1")
    );
    assert_eq!(violated_fields(&malformed), ["requests[1].ecf_login"]);
}

#[tokio::test]
async fn unlink_then_reset_lets_the_filer_link_again() {
    let app = spawn_app().await;
    let first = app.demo_flow().await;
    app.confirm(&first).await.unwrap();

    let unlinked = app.unlink(demo::ECF_LOGIN).await.unwrap();
    let status = app
        .status
        .clone()
        .get_link_status(by_ecf(demo::ECF_LOGIN))
        .await
        .unwrap()
        .into_inner();
    let retry = expect_err(app.confirm(&first).await);
    let started = app
        .authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await
        .unwrap();
    let old_password = expect_err(
        app.verify_ecf(&started.flow_token, demo::ECF_LOGIN, demo::ECF_PASSWORD)
            .await,
    );
    app.reset_ecf_password(demo::ECF_LOGIN, "New-AttorneyTwo-2026")
        .await
        .unwrap();
    // The test clock stands still; a proof must come after the reset.
    app.clock.advance(std::time::Duration::from_secs(1));
    app.verify_ecf(&started.flow_token, demo::ECF_LOGIN, "New-AttorneyTwo-2026")
        .await
        .unwrap();
    let relinked = app
        .confirm(&started.flow_token)
        .await
        .unwrap()
        .link
        .unwrap();

    assert_eq!(unlinked.link.unwrap().pacer_username, "hhumbert");
    assert_eq!(unlinked.event_sequence, 2);
    assert!(!status.linked);
    assert_reason(
        &retry,
        Code::FailedPrecondition,
        "FLOW_NOT_FOUND_OR_EXPIRED",
    );
    assert_reason(&old_password, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_eq!(relinked.ecf_login, demo::ECF_LOGIN);
    assert_eq!(app.db.scalar("SELECT count(*) FROM unlinks").await, 1);
}

#[tokio::test]
async fn unlinking_an_unlinked_account_and_resetting_a_linked_one_are_refused() {
    let app = spawn_app().await;
    let not_linked = expect_err(app.unlink(demo::ECF_LOGIN).await);
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();

    let linked = expect_err(
        app.reset_ecf_password(demo::ECF_LOGIN, "New-AttorneyTwo-2026")
            .await,
    );

    assert_reason(
        &not_linked,
        Code::FailedPrecondition,
        "ECF_ACCOUNT_NOT_LINKED",
    );
    assert_reason(&linked, Code::AlreadyExists, "ECF_ACCOUNT_ALREADY_LINKED");
}

#[tokio::test]
async fn a_password_reset_voids_verifications_made_before_it() {
    let app = spawn_app().await;
    app.create_pacer("rival", "Rival-Pacer-Pass01", "Rival Filer")
        .await;
    let victim = app.demo_flow().await;
    let attacker = app
        .verified_flow(
            ("rival", "Rival-Pacer-Pass01"),
            (demo::ECF_LOGIN, demo::ECF_PASSWORD),
        )
        .await;
    app.confirm(&victim).await.unwrap();
    app.unlink(demo::ECF_LOGIN).await.unwrap();

    let after_unlink = expect_err(app.confirm(&attacker).await);
    app.clock.advance(std::time::Duration::from_secs(1));
    app.reset_ecf_password(demo::ECF_LOGIN, "New-AttorneyTwo-2026")
        .await
        .unwrap();
    let after_reset = expect_err(app.confirm(&attacker).await);
    app.clock.advance(std::time::Duration::from_secs(1));
    let reverified = app
        .verify_ecf(&attacker, demo::ECF_LOGIN, "New-AttorneyTwo-2026")
        .await;

    assert_reason(
        &after_unlink,
        Code::FailedPrecondition,
        "FLOW_NOT_FOUND_OR_EXPIRED",
    );
    assert_reason(
        &after_reset,
        Code::FailedPrecondition,
        "FLOW_NOT_FOUND_OR_EXPIRED",
    );
    assert!(reverified.is_ok());
    assert!(
        app.confirm(&attacker).await.is_ok(),
        "a proof made after the reset links"
    );
}
