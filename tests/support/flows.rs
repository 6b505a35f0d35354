//! Many verified flows at once, for load-shaped tests.
use std::{sync::Arc, time::Duration};

use pacer_link::domain::{ClientCode, CourtId, DisplayName, EcfLogin, FlowToken, PacerUsername};
use pacer_link::store::{self, NewEcfAccount, NewFlow, NewPacerAccount, PoolSettings, Store};

use super::TestApp;

/// Accounts and verified flows for `count` filers, made through the store
/// (so the test spends its time linking, not hashing); returns their tokens.
pub async fn prepared_flows(app: &TestApp, count: usize) -> Vec<String> {
    let settings = PoolSettings {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
    };
    let store: Arc<dyn Store> = store::open(&app.db.url, &settings).await.unwrap();
    let court = CourtId::parse("cod").unwrap();
    let now = pacer_link::clock::Clock::now(app.clock.as_ref());
    let mut tokens = Vec::with_capacity(count);
    for i in 0..count {
        let username = PacerUsername::parse(&format!("filer{i}")).unwrap();
        let login = EcfLogin::parse(&format!("cofiler{i}")).unwrap();
        let name = DisplayName::parse(&format!("Filer {i}")).unwrap();
        store
            .create_pacer_account(&NewPacerAccount {
                username: username.clone(),
                password_hash: "unused".into(),
                display_name: name.clone(),
                upgraded: true,
            })
            .await
            .unwrap();
        store
            .create_ecf_account(&NewEcfAccount {
                court_id: court.clone(),
                login: login.clone(),
                password_hash: "unused".into(),
                display_name: name,
            })
            .await
            .unwrap();
        let token = FlowToken::generate();
        let id = uuid::Uuid::new_v4();
        store
            .create_flow(
                &NewFlow {
                    id,
                    token_hash: token.hash(),
                    court_id: court.clone(),
                    pacer_username: username,
                    client_code: ClientCode::default(),
                    created_at: now,
                    expires_at: now + chrono::Duration::minutes(10),
                },
                None,
            )
            .await
            .unwrap();
        assert!(
            store
                .record_ecf_verified(id, &login, "unused", now, None)
                .await
                .unwrap()
        );
        tokens.push(token.expose().to_owned());
    }
    store.close().await;
    tokens
}
