//! WatchLinkEvents: history then live, exactly once, in commit order.
use std::{collections::HashSet, time::Duration};

use pacer_link::proto::{self, LinkEventType};
use tokio_stream::StreamExt;

use super::support::{
    TestApp, app::spawn_app_on, assert_reason, demo, expect_err, spawn_app, spawn_app_with,
};

/// The next event, or a failure after `within`.
async fn next_event(
    stream: &mut tonic::Streaming<proto::LinkEvent>,
    within: Duration,
) -> proto::LinkEvent {
    tokio::time::timeout(within, stream.next())
        .await
        .expect("an event in time")
        .expect("the stream is open")
        .expect("an event, not an error")
}

/// Asserts nothing arrives for `quiet`.
async fn assert_quiet(stream: &mut tonic::Streaming<proto::LinkEvent>, quiet: Duration) {
    if let Ok(item) = tokio::time::timeout(quiet, stream.next()).await {
        panic!("expected no event, got {item:?}");
    }
}

async fn link_demo(app: &TestApp) {
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();
}

#[tokio::test]
async fn a_watcher_gets_history_then_live_events() {
    let app = spawn_app().await;
    link_demo(&app).await;
    let mut stream = app.watch(0, "").await;

    let linked = next_event(&mut stream, Duration::from_secs(5)).await;
    app.unlink(demo::ECF_LOGIN).await.unwrap();
    let unlinked = next_event(&mut stream, Duration::from_secs(5)).await;

    assert_eq!(
        (linked.sequence, linked.r#type()),
        (1, LinkEventType::Linked)
    );
    assert_eq!(
        (
            linked.court_id.as_str(),
            linked.ecf_login.as_str(),
            linked.pacer_username.as_str()
        ),
        ("cod", "coattorneytwo", "hhumbert")
    );
    assert!(uuid::Uuid::parse_str(&linked.event_id).is_ok());
    assert_eq!(
        (unlinked.sequence, unlinked.r#type()),
        (2, LinkEventType::Unlinked)
    );
    assert_ne!(linked.event_id, unlinked.event_id);
}

#[tokio::test]
async fn resuming_from_a_cursor_skips_what_was_seen() {
    let app = spawn_app().await;
    link_demo(&app).await;
    app.unlink(demo::ECF_LOGIN).await.unwrap();

    let mut stream = app.watch(1, "").await;

    assert_eq!(
        next_event(&mut stream, Duration::from_secs(5))
            .await
            .sequence,
        2
    );
    assert_quiet(&mut stream, Duration::from_millis(500)).await;
}

#[tokio::test]
async fn a_court_filter_delivers_only_that_courts_events() {
    let app = spawn_app().await;
    app.create_kansas_court().await;
    let mut kansas = app.watch(0, "ksd").await;
    let mut colorado = app.watch(0, "cod").await;

    link_demo(&app).await;

    assert_eq!(
        next_event(&mut colorado, Duration::from_secs(5))
            .await
            .court_id,
        "cod"
    );
    assert_quiet(&mut kansas, Duration::from_millis(500)).await;
}

#[tokio::test]
async fn watching_an_unknown_court_is_not_found() {
    let app = spawn_app().await;

    let status = expect_err(
        app.status
            .clone()
            .watch_link_events(proto::WatchLinkEventsRequest {
                after_sequence: 0,
                court_id: "zzz".into(),
                heartbeat_seconds: 0,
            })
            .await,
    );

    assert_reason(&status, tonic::Code::NotFound, "UNKNOWN_COURT");
}

#[tokio::test]
async fn a_quiet_stream_sends_heartbeats_with_its_cursor_when_asked() {
    let app = spawn_app().await;
    link_demo(&app).await;
    let watch = |heartbeat_seconds| {
        let mut status = app.status.clone();
        async move {
            status
                .watch_link_events(proto::WatchLinkEventsRequest {
                    after_sequence: 0,
                    court_id: String::new(),
                    heartbeat_seconds,
                })
                .await
        }
    };
    let mut stream = watch(1).await.unwrap().into_inner();
    let mut silent = app.watch(0, "").await;

    let linked = next_event(&mut stream, Duration::from_secs(5)).await;
    let first = next_event(&mut stream, Duration::from_secs(3)).await;
    let second = next_event(&mut stream, Duration::from_secs(3)).await;
    app.unlink(demo::ECF_LOGIN).await.unwrap();
    let unlinked = next_event(&mut stream, Duration::from_secs(3)).await;
    let after_unlink = next_event(&mut stream, Duration::from_secs(3)).await;

    assert_eq!(linked.r#type(), LinkEventType::Linked);
    for beat in [&first, &second] {
        assert_eq!(
            (beat.r#type(), beat.sequence),
            (LinkEventType::Heartbeat, 1)
        );
        assert!(beat.event_id.is_empty() && beat.court_id.is_empty());
        assert!(beat.occurred_at.is_some());
    }
    assert_eq!(
        (unlinked.r#type(), unlinked.sequence),
        (LinkEventType::Unlinked, 2)
    );
    assert_eq!(
        (after_unlink.r#type(), after_unlink.sequence),
        (LinkEventType::Heartbeat, 2)
    );
    // A stream that did not ask gets the events and nothing else.
    assert_eq!(
        next_event(&mut silent, Duration::from_secs(5))
            .await
            .sequence,
        1
    );
    assert_eq!(
        next_event(&mut silent, Duration::from_secs(5))
            .await
            .sequence,
        2
    );
    assert_quiet(&mut silent, Duration::from_millis(1500)).await;

    let status = expect_err(watch(3601).await);
    assert_reason(&status, tonic::Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        super::support::violated_fields(&status),
        vec!["heartbeat_seconds".to_owned()]
    );
}

#[tokio::test]
async fn a_resumed_watch_after_a_restart_continues_from_its_cursor() {
    let app = spawn_app().await;
    link_demo(&app).await;
    let db = app.db.clone();
    app.stop().await;

    let restarted = spawn_app_on(db, |_| {}).await;
    let mut stream = restarted.watch(1, "").await;
    restarted.unlink(demo::ECF_LOGIN).await.unwrap();

    let event = next_event(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(
        (event.sequence, event.r#type()),
        (2, LinkEventType::Unlinked)
    );
}

#[tokio::test]
async fn without_wake_ups_polling_still_delivers() {
    let app = spawn_app_with(|s| s.events.listen = false).await;
    let mut stream = app.watch(0, "").await;

    link_demo(&app).await;

    assert_eq!(
        next_event(&mut stream, Duration::from_secs(5))
            .await
            .sequence,
        1
    );
}

/// A linking transaction held open must hold back every later event: the
/// watcher may not pass it, and gets both, in order, once it commits.
#[tokio::test]
async fn a_transaction_committing_late_is_neither_skipped_nor_overtaken() {
    let app = spawn_app().await;
    let mut stream = app.watch(0, "").await;
    let token = app.demo_flow().await;
    let held = super::support::database::HeldEvent::begin(&app.db).await;
    let confirm = {
        let link = app.link.clone();
        tokio::spawn(async move {
            let mut link = link;
            link.confirm_link(proto::ConfirmLinkRequest { flow_token: token })
                .await
        })
    };

    assert_quiet(&mut stream, Duration::from_millis(800)).await;
    held.commit().await;
    let first = next_event(&mut stream, Duration::from_secs(10)).await;
    let second = next_event(&mut stream, Duration::from_secs(10)).await;

    assert!(confirm.await.unwrap().is_ok());
    assert_eq!((first.sequence, first.ecf_login.as_str()), (1, "coheld"));
    assert_eq!(
        (second.sequence, second.ecf_login.as_str()),
        (2, "coattorneytwo")
    );
    assert_quiet(&mut stream, Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_thousand_concurrent_links_each_reach_a_watcher_exactly_once_in_order() {
    let _heavy = super::support::heavy_test().await;
    let app = spawn_app().await;
    let tokens = super::support::flows::prepared_flows(&app, 1000).await;
    let mut stream = app.watch(0, "").await;

    let confirms = tokens.into_iter().map(|token| {
        let mut link = app.link.clone();
        tokio::spawn(async move {
            link.confirm_link(proto::ConfirmLinkRequest { flow_token: token })
                .await
        })
    });
    let watcher = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < 1000 {
            seen.push(next_event(&mut stream, Duration::from_secs(30)).await);
        }
        assert_quiet(&mut stream, Duration::from_millis(500)).await;
        seen
    });
    for confirm in futures_util::future::join_all(confirms).await {
        confirm.unwrap().expect("every confirm succeeds");
    }
    let seen = watcher.await.unwrap();

    let sequences: Vec<u64> = seen.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=1000).collect::<Vec<u64>>());
    let logins: HashSet<_> = seen.iter().map(|e| e.ecf_login.clone()).collect();
    assert_eq!(logins.len(), 1000);
}

#[tokio::test]
async fn a_consumer_that_stops_reading_is_ended_as_lagging_and_can_resume() {
    let _heavy = super::support::heavy_test().await;
    let app = spawn_app_with(|s| {
        s.events.stream_buffer = 16;
        s.events.stall_timeout = Duration::from_millis(500);
    })
    .await;
    let tokens = super::support::flows::prepared_flows(&app, 1000).await;
    // A small HTTP/2 window, so that not reading soon pushes back on the server.
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .initial_stream_window_size(Some(1024))
        .initial_connection_window_size(Some(1024))
        .connect()
        .await
        .unwrap();
    let mut stream =
        pacer_link::proto::link_status_service_client::LinkStatusServiceClient::new(channel)
            .watch_link_events(proto::WatchLinkEventsRequest::default())
            .await
            .unwrap()
            .into_inner();

    for token in tokens {
        app.confirm(&token).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut delivered = Vec::new();
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .unwrap()
        {
            Some(Ok(event)) => delivered.push(event.sequence),
            Some(Err(status)) => break status,
            None => panic!("the stream closed without a status"),
        }
    };
    let resumed = next_event(
        &mut app.watch(*delivered.last().unwrap(), "").await,
        Duration::from_secs(5),
    )
    .await;

    assert_reason(&ended, tonic::Code::Aborted, "EVENT_STREAM_LAGGING");
    // The stream's code came in its trailers; the metrics read it there.
    let aborted = "grpc_server_handled_total{grpc_type=\"server_stream\",grpc_service=\"court.identity.v1.LinkStatusService\",grpc_method=\"WatchLinkEvents\",grpc_code=\"Aborted\"} ";
    let scraped = pacer_link::metrics::metrics().render();
    assert!(
        scraped.lines().any(|l| l.starts_with(aborted)),
        "no aborted stream counted in\n{scraped}"
    );
    assert!(delivered.len() < 1000, "the slow consumer was not ended");
    assert_eq!(delivered, (1..=delivered.len() as u64).collect::<Vec<_>>());
    assert_eq!(resumed.sequence, *delivered.last().unwrap() + 1);
}

#[tokio::test]
async fn a_slow_consumer_that_outlasts_the_live_buffer_catches_up_from_the_store() {
    let _heavy = super::support::heavy_test().await;
    let app = spawn_app_with(|s| {
        s.events.stream_buffer = 16;
        s.events.stall_timeout = Duration::from_secs(5);
    })
    .await;
    let tokens = super::support::flows::prepared_flows(&app, 150).await;
    // A small HTTP/2 window, so that a slow reader holds the stream back
    // and the 16-event live buffer overflows behind it.
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .initial_stream_window_size(Some(1024))
        .initial_connection_window_size(Some(1024))
        .connect()
        .await
        .unwrap();
    let mut stream =
        pacer_link::proto::link_status_service_client::LinkStatusServiceClient::new(channel)
            .watch_link_events(proto::WatchLinkEventsRequest::default())
            .await
            .unwrap()
            .into_inner();

    // Confirmed 16 at a time: far faster than the consumer reads.
    let confirming = {
        let link = app.link.clone();
        tokio::spawn(async move {
            let confirms = tokens.into_iter().map(|token| {
                let mut link = link.clone();
                async move {
                    link.confirm_link(proto::ConfirmLinkRequest { flow_token: token })
                        .await
                        .unwrap();
                }
            });
            let running =
                futures_util::StreamExt::buffer_unordered(futures_util::stream::iter(confirms), 16);
            futures_util::StreamExt::for_each(running, |()| async {}).await;
        })
    };
    let mut delivered = Vec::new();
    while delivered.len() < 150 {
        let event = next_event(&mut stream, Duration::from_secs(10)).await;
        delivered.push(event.sequence);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    confirming.await.unwrap();

    assert_eq!(delivered, (1..=150).collect::<Vec<u64>>());
    assert_quiet(&mut stream, Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_caller_may_hold_only_so_many_streams_and_gets_its_slot_back() {
    let app = spawn_app_with(|s| s.transport.max_watch_streams_per_caller = 2).await;
    let first = app.watch(0, "").await;
    let _second = app.watch(0, "").await;

    let third = app
        .status
        .clone()
        .watch_link_events(proto::WatchLinkEventsRequest::default())
        .await;
    drop(first);
    // The stream's task frees its slot once it notices the consumer left.
    let mut reopened = None;
    for _ in 0..50 {
        let attempt = app
            .status
            .clone()
            .watch_link_events(proto::WatchLinkEventsRequest::default())
            .await;
        if attempt.is_ok() {
            reopened = Some(attempt);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let refused = third.expect_err("a third stream is refused");
    assert_reason(&refused, tonic::Code::ResourceExhausted, "TOO_MANY_STREAMS");
    let details = tonic_types::StatusExt::get_error_details(&refused);
    assert!(details.retry_info().is_some());
    assert!(reopened.is_some(), "a freed slot is given out again");
}
