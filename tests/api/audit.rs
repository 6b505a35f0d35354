//! The audit trail: every sign-in attempt, flow step and admin call.
use tonic::Code;

use pacer_link::proto;

use super::support::{assert_reason, demo, expect_err, spawn_app};

#[tokio::test]
async fn a_whole_flow_is_audited_step_by_step() {
    let app = spawn_app().await;
    let before = app.audit_trail().await.len();
    let token = app.demo_flow().await;
    app.preview(&token).await.unwrap();
    app.confirm(&token).await.unwrap();

    let trail = app.audit_trail().await;
    let steps: Vec<_> = trail[before..]
        .iter()
        .filter(|e| e.rpc != "ListAuditEvents")
        .map(|e| {
            (
                e.rpc.as_str(),
                e.court_id.as_str(),
                e.subject.as_str(),
                e.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("AuthenticatePacer", "cod", "hhumbert", "OK"),
            ("VerifyEcf", "cod", "coattorneytwo", "OK"),
            ("PreviewLink", "cod", "hhumbert", "OK"),
            ("ConfirmLink", "cod", "hhumbert", "OK"),
        ]
    );
    let last = trail.last().unwrap();
    assert_eq!(last.caller, "127.0.0.1");
    assert!(last.occurred_at.is_some());
}

#[tokio::test]
async fn a_lock_is_recorded_though_the_answer_hides_it() {
    let app = spawn_app().await;
    for _ in 0..10 {
        let _ = app
            .authenticate(demo::PACER_USERNAME, "Wrong-Password-1")
            .await;
    }
    let locked = expect_err(
        app.authenticate(demo::PACER_USERNAME, demo::PACER_PASSWORD)
            .await,
    );

    let trail = app.audit_trail().await;
    let reasons: Vec<_> = trail
        .iter()
        .filter(|e| e.rpc == "AuthenticatePacer")
        .map(|e| e.reason.as_str())
        .collect();
    assert_reason(&locked, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_eq!(reasons[0], "INVALID_CREDENTIALS");
    assert_eq!(reasons[9], "ACCOUNT_LOCKED_NOW");
    assert_eq!(reasons[10], "ACCOUNT_LOCKED");
}

#[tokio::test]
async fn unknown_accounts_and_refused_admin_calls_are_audited_too() {
    let app = spawn_app().await;
    let _ = app.authenticate("nobody-at-all", "Some-Password-1").await;
    let _ = app
        .admin
        .clone()
        .create_court(proto::CreateCourtRequest {
            court_id: "nyed".into(),
            name: "Eastern District of New York".into(),
            ecf_login_prefix: "ny".into(),
            environment: String::new(),
        })
        .await;

    let trail = app.audit_trail().await;
    let unknown = trail.iter().find(|e| e.subject == "nobody-at-all").unwrap();
    let refused = trail.iter().find(|e| e.rpc == "CreateCourt").unwrap();
    assert_eq!(
        (unknown.outcome.as_str(), unknown.reason.as_str()),
        ("UNAUTHENTICATED", "INVALID_CREDENTIALS")
    );
    assert_eq!(
        (refused.outcome.as_str(), refused.reason.as_str()),
        ("UNAUTHENTICATED", "ADMIN_UNAUTHENTICATED")
    );
}

#[tokio::test]
async fn subjects_cannot_forge_lines_or_grow_without_bound() {
    let app = spawn_app().await;
    let forged = "x\n2026-01-01 OK admin\u{202e}";
    let _ = app.authenticate(forged, "Some-Password-1").await;
    let _ = app.authenticate(&"y".repeat(5000), "Some-Password-1").await;

    let trail = app.audit_trail().await;
    let subjects: Vec<_> = trail.iter().map(|e| e.subject.clone()).collect();
    assert!(subjects.contains(&"x\\u{a}2026-01-01 OK admin\\u{202e}".to_owned()));
    assert!(subjects.iter().all(|s| s.chars().count() <= 65));
    assert!(subjects.iter().all(|s| !s.contains('\n')));
}

#[tokio::test]
async fn the_trail_pages_newest_first_and_filters_by_subject_and_court() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let _ = app.authenticate("pager-test", "Some-Password-1").await;
    }

    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = app
            .audit(proto::ListAuditEventsRequest {
                subject: "pager-test".into(),
                court_id: "cod".into(),
                page_size: 2,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        seen.extend(page.events.iter().map(|e| e.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let bad_token = expect_err(
        app.audit(proto::ListAuditEventsRequest {
            page_token: "not-a-token".into(),
            ..Default::default()
        })
        .await,
    );

    assert_eq!(seen.len(), 5);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );
    assert_reason(&bad_token, Code::InvalidArgument, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn the_trail_filters_by_time() {
    let app = spawn_app().await;
    let _ = app.authenticate("time-test", "Some-Password-1").await;
    let now = {
        use pacer_link::clock::Clock;
        app.clock.now()
    };
    app.clock.advance(std::time::Duration::from_secs(3600));
    let _ = app.authenticate("time-test", "Some-Password-1").await;

    let later = app
        .audit(proto::ListAuditEventsRequest {
            subject: "time-test".into(),
            start_time: Some(prost_types::Timestamp {
                seconds: now.timestamp() + 60,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .unwrap();

    assert_eq!(later.events.len(), 1);
}

#[tokio::test]
async fn a_time_window_pages_by_time_and_refuses_a_token_of_the_other_order() {
    let app = spawn_app().await;
    let start = {
        use pacer_link::clock::Clock;
        app.clock.now()
    };
    for _ in 0..5 {
        let _ = app.authenticate("window-test", "Some-Password-1").await;
        app.clock.advance(std::time::Duration::from_secs(60));
    }
    let window = |page_token: String| proto::ListAuditEventsRequest {
        subject: "window-test".into(),
        start_time: Some(prost_types::Timestamp {
            seconds: start.timestamp() - 1,
            nanos: 0,
        }),
        page_size: 2,
        page_token,
        ..Default::default()
    };

    let mut seen = Vec::new();
    let mut tokens = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = app.audit(window(page_token.clone())).await.unwrap();
        seen.extend(page.events.iter().map(|e| {
            let at = e.occurred_at.unwrap();
            (at.seconds, at.nanos, e.id)
        }));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
        tokens.push(page_token.clone());
    }
    let untimed = app
        .audit(proto::ListAuditEventsRequest {
            subject: "window-test".into(),
            page_size: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    let timed_token_without_window = expect_err(
        app.audit(proto::ListAuditEventsRequest {
            page_token: tokens[0].clone(),
            ..Default::default()
        })
        .await,
    );
    let id_token_with_window = expect_err(app.audit(window(untimed.next_page_token)).await);

    assert_eq!(seen.len(), 5);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first by time, then id: {seen:?}"
    );
    assert!(tokens.iter().all(|t| t.contains('.')), "{tokens:?}");
    assert_reason(
        &timed_token_without_window,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_reason(
        &id_token_with_window,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
}

#[tokio::test]
async fn sign_ins_the_caller_gives_up_on_after_5_ms_still_leave_their_rows() {
    let app = spawn_app().await;
    for _ in 0..3 {
        let mut request = tonic::Request::new(proto::AuthenticatePacerRequest {
            court_id: "cod".into(),
            username: "gave-up-early".into(),
            password: "Some-Password-1".into(),
            ..Default::default()
        });
        request.set_timeout(std::time::Duration::from_millis(5));
        let answer = app.link.clone().authenticate_pacer(request).await;
        let code = answer.expect_err("a hash takes longer than 5 ms").code();
        assert!(
            matches!(code, Code::DeadlineExceeded | Code::Cancelled),
            "{code:?}"
        );
    }

    let rows = app
        .audit(proto::ListAuditEventsRequest {
            subject: "gave-up-early".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .events;
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert_eq!(row.rpc, "AuthenticatePacer");
        assert!(
            ["DEADLINE_EXCEEDED", "CANCELLED"].contains(&row.outcome.as_str()),
            "{}",
            row.outcome
        );
    }
}

#[tokio::test]
async fn attempts_typed_in_capitals_are_found_under_the_lower_case_name() {
    let app = spawn_app().await;
    let _ = app.authenticate("HHUMBERT", "Wrong-Password-1").await;

    let rows = app
        .audit(proto::ListAuditEventsRequest {
            subject: demo::PACER_USERNAME.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .events;
    let typed = rows
        .iter()
        .find(|e| e.subject == "HHUMBERT")
        .expect("found");
    assert_eq!(typed.subject_normalized, demo::PACER_USERNAME);
    assert_eq!(typed.reason, "INVALID_CREDENTIALS");
    assert_eq!(typed.caller_identity, "anonymous");
    assert_eq!(typed.operator, "");
}
