//! Conformance of courts and accounts: round trips and named conflicts.
use super::*;

pub async fn accounts_round_trip(f: Fixture) {
    seed(f.store.as_ref()).await;

    let court = f.store.court(&court_id()).await.unwrap().unwrap();
    let alice = f
        .store
        .pacer_account(&pacer("alice"))
        .await
        .unwrap()
        .unwrap();
    let ecf = f
        .store
        .ecf_account(&court_id(), &login("coalice"))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(court.ecf_login_prefix.as_str(), "co");
    assert_eq!(
        court.environment.as_ref().map(|e| e.as_str()),
        Some("train")
    );
    assert_eq!(
        (alice.password_hash.as_str(), alice.upgraded),
        ("hash-of-alice", true)
    );
    assert_eq!(ecf.password_hash.as_deref(), Some("ecf-hash-of-alice"));
    assert!(
        f.store
            .pacer_account(&pacer("carol"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .ecf_account(&court_id(), &login("cocarol"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .court(&CourtId::parse("ksd").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn duplicates_are_named_conflicts(f: Fixture) {
    seed(f.store.as_ref()).await;
    let court = f.store.court(&court_id()).await.unwrap().unwrap();
    let alice = f
        .store
        .pacer_account(&pacer("alice"))
        .await
        .unwrap()
        .unwrap();
    let ecf = NewEcfAccount {
        court_id: court_id(),
        login: login("coalice"),
        password_hash: "x".into(),
        display_name: DisplayName::parse("x").unwrap(),
    };

    let court = f.store.create_court(&court).await.unwrap_err();
    let pacer = f.store.create_pacer_account(&alice).await.unwrap_err();
    let ecf = f.store.create_ecf_account(&ecf).await.unwrap_err();

    assert!(
        matches!(court, StoreError::Conflict(Conflict::Court)),
        "{court:?}"
    );
    assert!(
        matches!(pacer, StoreError::Conflict(Conflict::PacerAccount)),
        "{pacer:?}"
    );
    assert!(
        matches!(ecf, StoreError::Conflict(Conflict::EcfAccount)),
        "{ecf:?}"
    );
}

pub async fn an_ecf_account_needs_its_court(f: Fixture) {
    let result = f
        .store
        .create_ecf_account(&NewEcfAccount {
            court_id: CourtId::parse("zzz").unwrap(),
            login: login("zzfiler"),
            password_hash: "x".into(),
            display_name: DisplayName::parse("x").unwrap(),
        })
        .await;

    assert!(
        matches!(result, Err(StoreError::UnknownCourt)),
        "{result:?}"
    );
}

/// The statuses of many accounts read together answer exactly as one
/// lookup each, in the order asked, whatever the mix of kinds.
pub async fn many_statuses_answer_as_one_lookup_each_in_order(f: Fixture) {
    use pacer_link::store::AccountKey;
    seed(f.store.as_ref()).await;
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", now()).await;
    f.store
        .confirm_link(&flow, &login("coalice"), now())
        .await
        .unwrap();
    let keys = [
        AccountKey::Ecf(login("coalice")),
        AccountKey::Pacer(pacer("bob")),
        AccountKey::Ecf(login("conobody")),
        AccountKey::Pacer(pacer("alice")),
        AccountKey::Ecf(login("cobob")),
        AccountKey::Pacer(pacer("nobody")),
        AccountKey::Ecf(login("coalice")),
    ];

    let many = f
        .store
        .account_statuses(&court_id(), &keys)
        .await
        .unwrap()
        .unwrap();
    let mut one_each = Vec::new();
    for key in &keys {
        one_each.push(
            f.store
                .account_status(&court_id(), key)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    let unknown_court = f
        .store
        .account_statuses(&CourtId::parse("ksd").unwrap(), &keys)
        .await
        .unwrap();
    let none_asked = f.store.account_statuses(&court_id(), &[]).await.unwrap();

    assert_eq!(many, one_each);
    let shape: Vec<_> = many.iter().map(|s| (s.exists, s.link.is_some())).collect();
    assert_eq!(
        shape,
        [
            (true, true),
            (true, false),
            (false, false),
            (true, true),
            (true, false),
            (false, false),
            (true, true)
        ]
    );
    assert_eq!(unknown_court, None);
    assert_eq!(none_asked, Some(Vec::new()));
}
