//! Housekeeping removes exactly what no longer matters: expired flows no
//! link was made from, forgotten failure rows and audit rows past their
//! retention; a live flow, a link and a success on record stay.
use std::time::Duration;

use pacer_link::housekeeping::{Housekeeper, Purged};
use pacer_link::proto;
use pacer_link::store::{PoolSettings, open};

use super::support::{TestApp, admin_request, demo, expect_err, spawn_app};

const DAY: Duration = Duration::from_secs(24 * 3600);

async fn housekeep(app: &TestApp) -> Option<Purged> {
    let settings = PoolSettings {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(5),
    };
    let store = open(&app.db.url, &settings).await.unwrap();
    let forget_after = Duration::from_secs(12 * 3600);
    let housekeeper = Housekeeper::new(store.clone(), app.clock.clone(), forget_after, DAY);
    let purged = housekeeper.run_once().await.unwrap();
    store.close().await;
    purged
}

#[tokio::test]
async fn housekeeping_removes_exactly_what_no_longer_matters() {
    let app = spawn_app().await;
    // A link (its flow stays), an abandoned flow, a made-up username.
    let linked = app.demo_flow().await;
    app.confirm(&linked).await.unwrap();
    let abandoned = app
        .authenticate(demo::IMPORTED[0].0, demo::IMPORTED[0].2)
        .await
        .unwrap()
        .flow_token;
    expect_err(app.authenticate("made-up-user", "Wrong-Password-123").await);
    app.clock.advance(2 * DAY);
    // A flow started after the pause is live.
    let (username, login, password) = demo::IMPORTED[1];
    let live = app
        .authenticate(username, password)
        .await
        .unwrap()
        .flow_token;

    let first = housekeep(&app).await.expect("the lock was free");
    let again = housekeep(&app).await.expect("the lock was free");

    assert_eq!((first.flows, first.failures), (1, 1));
    assert!(first.audit_events >= 4, "{first:?}");
    assert_eq!(again, Purged::default());
    let abandoned_now = app
        .verify_ecf(&abandoned, demo::IMPORTED[0].1, demo::IMPORTED[0].2)
        .await;
    assert!(abandoned_now.is_err());
    app.verify_ecf(&live, login, password).await.unwrap();
    app.confirm(&live).await.unwrap();
    let status = app
        .status
        .clone()
        .get_link_status(proto::GetLinkStatusRequest {
            court_id: demo::COURT_ID.into(),
            subject: Some(proto::get_link_status_request::Subject::EcfLogin(
                demo::ECF_LOGIN.into(),
            )),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(status.linked);
    let trail = app
        .admin
        .clone()
        .list_audit_events(admin_request(proto::ListAuditEventsRequest {
            page_size: 1000,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let now = pacer_link::clock::Clock::now(app.clock.as_ref()).timestamp();
    let cutoff = now - DAY.as_secs() as i64;
    assert!(
        trail
            .events
            .iter()
            .all(|e| e.occurred_at.unwrap().seconds >= cutoff),
        "a row older than the retention is left"
    );
}
