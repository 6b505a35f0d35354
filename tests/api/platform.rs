//! Health, reflection and the demo loader.
use tokio_stream::StreamExt;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1alpha::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use super::support::{app::spawn_app_on, spawn_app};

#[tokio::test]
async fn health_is_serving_overall_and_for_each_service() {
    let app = spawn_app().await;
    let mut health = HealthClient::new(app.channel.clone());

    for service in [
        "",
        "court.identity.v1.AccountLinkService",
        "court.identity.v1.AccountAdminService",
    ] {
        let response = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.status(), ServingStatus::Serving, "{service:?}");
    }
}

#[tokio::test]
async fn reflection_v1alpha_lists_the_services() {
    let app = spawn_app().await;
    let mut reflection = ServerReflectionClient::new(app.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };

    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.unwrap().unwrap();

    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection response");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "court.identity.v1.AccountLinkService",
        "court.identity.v1.AccountAdminService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn loading_the_demo_data_twice_changes_nothing() {
    let first = spawn_app().await;
    let db = first.db.clone();
    let snapshot = || {
        db.pairs(
            "SELECT username, password_hash FROM pacer_accounts UNION ALL \
             SELECT login, password_hash FROM ecf_accounts ORDER BY 1",
        )
    };
    let before = snapshot().await;
    first.stop().await;

    let _second = spawn_app_on(db.clone(), |_| {}).await;

    let court_accounts = 3 + 2 * pacer_link::linking::demo::IMPORTED.len();
    assert_eq!(before.len(), court_accounts);
    assert_eq!(snapshot().await, before);
}

#[tokio::test]
async fn an_in_memory_store_serves_a_whole_flow() {
    let app = super::support::spawn_app_with(|s| s.database_url = "sqlite::memory:".into()).await;

    let token = app.demo_flow().await;
    let link = app.confirm(&token).await.unwrap().link.unwrap();

    assert_eq!(link.pacer_username, "hhumbert");
}
