//! Conformance of what the service does with a store around its calls:
//! migrating, readiness pings, pool metrics and closing.
use super::*;

pub async fn migrating_again_keeps_the_data(f: Fixture) {
    seed(f.store.as_ref()).await;

    f.store.migrate().await.unwrap();

    assert!(f.store.court(&court_id()).await.unwrap().is_some());
    assert!(
        f.store
            .pacer_account(&pacer("alice"))
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn an_open_store_answers_pings_and_counts_its_idle_connections(f: Fixture) {
    f.store.ping().await.unwrap();

    // A connection goes back to the pool just after its call returns.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut state = f.store.pool_state();
    while state != (0, state.1.max(1)) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        state = f.store.pool_state();
    }

    let (in_use, idle) = state;
    assert_eq!(in_use, 0, "{state:?}");
    assert!(idle >= 1, "{state:?}");
}

pub async fn a_closed_store_refuses_calls(f: Fixture) {
    seed(f.store.as_ref()).await;

    f.store.close().await;

    assert!(f.store.ping().await.is_err());
    assert!(f.store.court(&court_id()).await.is_err());
    assert_eq!(f.store.pool_state(), (0, 0));
}
