//! The grpc-ecosystem families as dashboards read them: each call counted
//! once with its real end (a stream's code from its trailers, a dropped
//! stream as Canceled), messages counted both ways, made-up methods folded
//! into `unknown`. The registry is the process's, shared by every test in
//! this binary, so each assertion names series only its own test produces
//! or checks that a count grew.
use std::time::Duration;

use pacer_link::proto;
use tokio_stream::StreamExt;

use super::support::spawn_app;

const STATUS: &str = "court.identity.v1.LinkStatusService";

fn scrape() -> String {
    pacer_link::metrics::metrics().render()
}

/// The value of the series whose line starts with `series`, or 0.
fn value(scraped: &str, series: &str) -> f64 {
    scraped
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.parse().unwrap())
}

fn handled(method: &str, kind: &str, code: &str) -> String {
    format!(
        "grpc_server_handled_total{{grpc_type=\"{kind}\",grpc_service=\"{STATUS}\",grpc_method=\"{method}\",grpc_code=\"{code}\"}}"
    )
}

fn per_method(family: &str, method: &str, kind: &str) -> String {
    format!("{family}{{grpc_type=\"{kind}\",grpc_service=\"{STATUS}\",grpc_method=\"{method}\"}}")
}

#[tokio::test]
async fn a_unary_call_is_started_handled_and_its_messages_counted() {
    let app = spawn_app().await;
    let before = scrape();

    let request = proto::BatchGetLinkStatusRequest {
        requests: vec![proto::GetLinkStatusRequest {
            court_id: "cod".into(),
            subject: Some(proto::get_link_status_request::Subject::EcfLogin(
                "coattorneytwo".into(),
            )),
        }],
    };
    app.status
        .clone()
        .batch_get_link_status(request)
        .await
        .unwrap();
    let after = scrape();

    let grew = |series: String| value(&after, &series) - value(&before, &series);
    let method = "BatchGetLinkStatus";
    assert!(grew(per_method("grpc_server_started_total", method, "unary")) >= 1.0);
    assert!(grew(handled(method, "unary", "OK")) >= 1.0);
    assert!(
        grew(per_method(
            "grpc_server_msg_received_total",
            method,
            "unary"
        )) >= 1.0
    );
    assert!(grew(per_method("grpc_server_msg_sent_total", method, "unary")) >= 1.0);
    assert!(
        grew(per_method(
            "grpc_server_handling_seconds_count",
            method,
            "unary"
        )) >= 1.0,
        "{after}"
    );
}

#[tokio::test]
async fn a_stream_the_client_drops_is_counted_canceled_with_each_message_sent() {
    let app = spawn_app().await;
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();
    let method = "WatchLinkEvents";
    let sent = per_method("grpc_server_msg_sent_total", method, "server_stream");
    let canceled = handled(method, "server_stream", "Canceled");
    let before = scrape();

    let mut stream = app
        .status
        .clone()
        .watch_link_events(proto::WatchLinkEventsRequest {
            after_sequence: 0,
            court_id: "cod".into(),
            heartbeat_seconds: 1,
        })
        .await
        .unwrap()
        .into_inner();
    for _ in 0..3 {
        // The link, then two heartbeats.
        tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
    drop(stream);
    let mut after = scrape();
    for _ in 0..50 {
        if value(&after, &canceled) > value(&before, &canceled) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape();
    }

    assert!(
        value(&after, &canceled) > value(&before, &canceled),
        "{after}"
    );
    assert!(value(&after, &sent) - value(&before, &sent) >= 3.0);
}

#[tokio::test]
async fn made_up_methods_share_one_unknown_series() {
    let app = spawn_app().await;
    let mut grpc = tonic::client::Grpc::new(app.channel.clone());
    for made_up in ["StealEverything", "DropTables", "x"] {
        grpc.ready().await.unwrap();
        let path = format!("/court.identity.v1.AccountLinkService/{made_up}")
            .parse()
            .unwrap();
        let status = grpc
            .unary::<_, proto::LinkStatus, _>(
                tonic::Request::new(proto::GetLinkStatusRequest::default()),
                path,
                tonic_prost::ProstCodec::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unimplemented);
    }
    let scraped = scrape();

    assert!(!scraped.contains("StealEverything") && !scraped.contains("DropTables"));
    let unknown = "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"court.identity.v1.AccountLinkService\",grpc_method=\"unknown\",grpc_code=\"Unimplemented\"}";
    assert!(value(&scraped, unknown) >= 3.0, "{scraped}");
}

#[tokio::test]
async fn the_client_crate_speaks_to_the_server() {
    use pacer_link_client::v1::{
        GetLinkStatusRequest, get_link_status_request::Subject,
        link_status_service_client::LinkStatusServiceClient,
    };
    let app = spawn_app().await;
    let mut client = LinkStatusServiceClient::new(app.channel.clone());

    let unknown = client
        .get_link_status(GetLinkStatusRequest {
            court_id: "zzz".into(),
            subject: Some(Subject::EcfLogin("cozzz".into())),
        })
        .await
        .unwrap_err();
    let known = client
        .get_link_status(GetLinkStatusRequest {
            court_id: "cod".into(),
            subject: Some(Subject::EcfLogin("coattorneytwo".into())),
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(
        pacer_link_client::reason(&unknown),
        Some(pacer_link_client::v1::ErrorReason::UnknownCourt)
    );
    assert!(!known.linked);
}
