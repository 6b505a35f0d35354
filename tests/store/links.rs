//! Conformance of the link flow: live flows, CM/ECF proofs and confirming.
use super::*;
use pacer_link::store::LinkEventKind;

pub async fn expired_flows_are_not_live(f: Fixture) {
    seed(f.store.as_ref()).await;
    let start = now();
    let token = start_flow(f.store.as_ref(), "alice", start).await;

    let before = f
        .store
        .live_flow(
            &token.hash(),
            start + Duration::minutes(10) - Duration::microseconds(1),
        )
        .await
        .unwrap();
    let at_expiry = f
        .store
        .live_flow(&token.hash(), start + Duration::minutes(10))
        .await
        .unwrap();

    assert_eq!(before.unwrap().stage, FlowStage::PacerAuthenticated);
    assert!(at_expiry.is_none());
}

pub async fn a_live_flow_is_read_with_both_names_in_one_lookup(f: Fixture) {
    // The same login in another court, stored first, must not answer for
    // the flow's court.
    other_court_with_login(f.store.as_ref(), "coalice", "Someone Else").await;
    seed(f.store.as_ref()).await;
    pair(f.store.as_ref(), "carol", "Carol Q. Filer").await;
    let at = now();
    let token = start_flow(f.store.as_ref(), "carol", at).await;

    let started = f.store.live_flow_names(&token.hash(), at).await.unwrap();
    let started = started.expect("a live flow");
    assert_eq!(started.flow.stage, FlowStage::PacerAuthenticated);
    assert_eq!(name_of(&started.pacer_display_name), Some("Carol Q. Filer"));
    assert_eq!(
        name_of(&started.ecf_display_name),
        None,
        "no CM/ECF login yet"
    );

    // Another holder's CM/ECF account, so each name is seen to come from its own side.
    let flow = f.store.live_flow(&token.hash(), at).await.unwrap().unwrap();
    assert!(
        f.store
            .record_ecf_verified(flow.id, &login("coalice"), "ecf-hash-of-alice", at, None)
            .await
            .unwrap()
    );
    let verified = f
        .store
        .live_flow_names(&token.hash(), at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verified.flow.id, flow.id);
    assert_eq!(
        verified.flow.stage,
        FlowStage::EcfVerified(login("coalice"))
    );
    assert_eq!(
        name_of(&verified.pacer_display_name),
        Some("Carol Q. Filer")
    );
    assert_eq!(name_of(&verified.ecf_display_name), Some("alice"));

    let at_expiry = at + Duration::minutes(10);
    let expired = f.store.live_flow_names(&token.hash(), at_expiry).await;
    assert!(expired.unwrap().is_none());
    let unknown = f
        .store
        .live_flow_names(&FlowToken::generate().hash(), at)
        .await;
    assert!(unknown.unwrap().is_none());
}

/// Court `akd` with a CM/ECF account `login` shown as `display`.
async fn other_court_with_login(store: &dyn Store, login_name: &str, display: &str) {
    let akd = CourtId::parse("akd").unwrap();
    store
        .create_court(&NewCourt {
            id: akd.clone(),
            name: CourtName::parse("District of Alaska").unwrap(),
            ecf_login_prefix: EcfLoginPrefix::parse("co").unwrap(),
            environment: CourtEnvironment::parse("train").unwrap(),
        })
        .await
        .unwrap();
    store
        .create_ecf_account(&NewEcfAccount {
            court_id: akd,
            login: login(login_name),
            password_hash: "another-hash".into(),
            display_name: DisplayName::parse(display).unwrap(),
        })
        .await
        .unwrap();
}

fn name_of(name: &Option<DisplayName>) -> Option<&str> {
    name.as_ref().map(DisplayName::as_str)
}

pub async fn ecf_verification_is_recorded_only_on_open_flows(f: Fixture) {
    seed(f.store.as_ref()).await;
    let start = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", start).await;

    let expired = f
        .store
        .record_ecf_verified(
            flow.id,
            &login("cobob"),
            "hash",
            start + Duration::hours(1),
            None,
        )
        .await
        .unwrap();
    let unknown = f
        .store
        .record_ecf_verified(uuid::Uuid::new_v4(), &login("cobob"), "hash", start, None)
        .await
        .unwrap();

    assert_eq!(flow.stage, FlowStage::EcfVerified(login("coalice")));
    assert!(!expired);
    assert!(!unknown);
}

pub async fn confirm_links_retires_the_password_and_appends_one_event(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;

    let outcome = f
        .store
        .confirm_link(&flow, &login("coalice"), at)
        .await
        .unwrap();

    let ConfirmOutcome::Linked(link) = outcome else {
        panic!("not linked: {outcome:?}")
    };
    assert_eq!(link.linked_at, at);
    assert_eq!(
        f.store.link_of_flow(flow.id).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(
        f.store
            .link_of_pacer(&court_id(), &pacer("alice"))
            .await
            .unwrap(),
        Some(link.clone())
    );
    assert_eq!(
        f.store
            .link_of_ecf(&court_id(), &login("coalice"))
            .await
            .unwrap(),
        Some(link.clone())
    );
    let ecf = f
        .store
        .ecf_account(&court_id(), &login("coalice"))
        .await
        .unwrap()
        .unwrap();
    assert!(ecf.password_hash.is_none());
    let events = f.store.events_after(0, 10).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].sequence, events[0].kind, events[0].occurred_at),
        (1, LinkEventKind::Linked, at)
    );
    assert_eq!(
        (&events[0].ecf_login, &events[0].pacer_username),
        (&link.ecf_login, &link.pacer_username)
    );
    assert_eq!(f.store.last_event_sequence().await.unwrap(), 1);
}

pub async fn confirming_a_flow_that_moved_reports_flow_changed(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;

    let other_login = f
        .store
        .confirm_link(&flow, &login("cobob"), at)
        .await
        .unwrap();
    let expired = f
        .store
        .confirm_link(&flow, &login("coalice"), at + Duration::hours(1))
        .await
        .unwrap();
    f.store
        .confirm_link(&flow, &login("coalice"), at)
        .await
        .unwrap();
    let again = f
        .store
        .confirm_link(&flow, &login("coalice"), at)
        .await
        .unwrap();

    assert_eq!(other_login, ConfirmOutcome::FlowChanged);
    assert_eq!(expired, ConfirmOutcome::FlowChanged);
    assert_eq!(again, ConfirmOutcome::FlowChanged);
    assert!(
        f.store
            .link_of_ecf(&court_id(), &login("cobob"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(f.store.link_of_flow(flow.id).await.unwrap().is_some());
    assert_eq!(f.store.last_event_sequence().await.unwrap(), 1);
}

pub async fn a_losing_confirm_names_the_linked_side_and_writes_nothing(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let alice = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
    let (bob_token, bob_same_ecf) =
        verified_flow_and_token(f.store.as_ref(), "bob", "coalice", at).await;
    let (alice_token, alice_other_ecf) =
        verified_flow_and_token(f.store.as_ref(), "alice", "cobob", at).await;
    f.store
        .confirm_link(&alice, &login("coalice"), at)
        .await
        .unwrap();

    let ecf_taken = f
        .store
        .confirm_link(&bob_same_ecf, &login("coalice"), at)
        .await
        .unwrap_err();
    let pacer_taken = f
        .store
        .confirm_link(&alice_other_ecf, &login("cobob"), at)
        .await
        .unwrap_err();

    assert!(
        matches!(ecf_taken, StoreError::Conflict(Conflict::EcfAccountLinked)),
        "{ecf_taken:?}"
    );
    assert!(
        matches!(
            pacer_taken,
            StoreError::Conflict(Conflict::PacerAccountLinked)
        ),
        "{pacer_taken:?}"
    );
    let bob_ecf = f
        .store
        .ecf_account(&court_id(), &login("cobob"))
        .await
        .unwrap()
        .unwrap();
    assert!(bob_ecf.password_hash.is_some());
    assert!(
        f.store
            .link_of_pacer(&court_id(), &pacer("bob"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .link_of_ecf(&court_id(), &login("cobob"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .link_of_flow(bob_same_ecf.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .link_of_flow(alice_other_ecf.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(f.store.last_event_sequence().await.unwrap(), 1);
    for (token, ecf) in [(bob_token, "coalice"), (alice_token, "cobob")] {
        let flow = f.store.live_flow(&token.hash(), at).await.unwrap().unwrap();
        assert_eq!(
            flow.stage,
            FlowStage::EcfVerified(login(ecf)),
            "a losing flow moved"
        );
    }
}

pub async fn concurrent_confirms_of_one_flow_link_once(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;

    let ecf = flow_login(&flow);
    let attempts = (0..20).map(|_| f.store.confirm_link(&flow, &ecf, at));
    let outcomes = futures_util::future::join_all(attempts).await;

    let linked = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(ConfirmOutcome::Linked(_))))
        .count();
    let changed = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(ConfirmOutcome::FlowChanged)))
        .count();
    assert_eq!((linked, changed), (1, 19), "{outcomes:?}");
    assert_eq!(f.store.events_after(0, 10).await.unwrap().len(), 1);
    assert_eq!(f.store.last_event_sequence().await.unwrap(), 1);
}

pub async fn racing_flows_for_one_ecf_account_have_one_winner(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let alice = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
    let bob = verified_flow(f.store.as_ref(), "bob", "coalice", at).await;

    let ecf = login("coalice");
    let (a, b) = tokio::join!(
        f.store.confirm_link(&alice, &ecf, at),
        f.store.confirm_link(&bob, &ecf, at)
    );

    let results = [a, b];
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Ok(ConfirmOutcome::Linked(_))))
            .count(),
        1
    );
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Conflict(Conflict::EcfAccountLinked))))
            .count(),
        1,
        "{results:?}"
    );
}

fn flow_login(flow: &FlowRecord) -> EcfLogin {
    match &flow.stage {
        FlowStage::EcfVerified(login) => login.clone(),
        other => panic!("flow not verified: {other:?}"),
    }
}
