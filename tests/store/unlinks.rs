//! Conformance of unlinking: what it removes, what it keeps retired, and
//! the event it appends.
use super::*;
use pacer_link::store::{LinkEventKind, LinkRecord, UnlinkOutcome};

pub(crate) const REASON: &str = "filer asked to link another PACER account";

/// Links `who` to `ecf` through a flow verified and confirmed at `at`.
pub(crate) async fn link(store: &dyn Store, who: &str, ecf: &str, at: DateTime<Utc>) -> LinkRecord {
    let flow = verified_flow(store, who, ecf, at).await;
    match store.confirm_link(&flow, &login(ecf), at).await.unwrap() {
        ConfirmOutcome::Linked(link) => link,
        other => panic!("not linked: {other:?}"),
    }
}

pub async fn unlinking_removes_the_link_keeps_the_password_retired_and_appends_the_next_event(
    f: Fixture,
) {
    seed(f.store.as_ref()).await;
    let linked_at = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", linked_at).await;
    let ConfirmOutcome::Linked(link) = f
        .store
        .confirm_link(&flow, &login("coalice"), linked_at)
        .await
        .unwrap()
    else {
        panic!("not linked")
    };
    let unlinked_at = linked_at + Duration::minutes(5);

    let outcome = f
        .store
        .unlink(&court_id(), &login("coalice"), REASON, unlinked_at)
        .await
        .unwrap();

    assert_eq!(
        outcome,
        UnlinkOutcome::Unlinked {
            link: link.clone(),
            sequence: 2
        }
    );
    assert_eq!(
        f.store
            .link_of_ecf(&court_id(), &login("coalice"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        f.store
            .link_of_pacer(&court_id(), &pacer("alice"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(f.store.link_of_flow(flow.id).await.unwrap(), None);
    let ecf = f
        .store
        .ecf_account(&court_id(), &login("coalice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ecf.password_hash, None,
        "an unlinked password stays retired"
    );
    let events = f.store.events_after(1, 10).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(
        (event.sequence, event.kind, event.occurred_at),
        (2, LinkEventKind::Unlinked, unlinked_at)
    );
    assert_eq!(
        (&event.court_id, &event.ecf_login, &event.pacer_username),
        (&link.court_id, &link.ecf_login, &link.pacer_username)
    );
    assert_eq!(f.store.last_event_sequence().await.unwrap(), 2);
}

pub async fn unlinking_an_account_without_a_link_appends_nothing(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    link(f.store.as_ref(), "alice", "coalice", at).await;
    let first = f
        .store
        .unlink(&court_id(), &login("coalice"), REASON, at)
        .await
        .unwrap();

    let again = f
        .store
        .unlink(&court_id(), &login("coalice"), REASON, at)
        .await
        .unwrap();
    let never_linked = f
        .store
        .unlink(&court_id(), &login("cobob"), REASON, at)
        .await
        .unwrap();
    let unknown = f
        .store
        .unlink(&court_id(), &login("conobody"), REASON, at)
        .await
        .unwrap();

    assert!(matches!(first, UnlinkOutcome::Unlinked { sequence: 2, .. }));
    assert_eq!(again, UnlinkOutcome::NotLinked);
    assert_eq!(never_linked, UnlinkOutcome::NotLinked);
    assert_eq!(unknown, UnlinkOutcome::NotLinked);
    assert_eq!(f.store.last_event_sequence().await.unwrap(), 2);
    let bob = f
        .store
        .ecf_account(&court_id(), &login("cobob"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bob.password_hash.as_deref(), Some("ecf-hash-of-bob"));
}

pub async fn concurrent_unlinks_of_one_link_remove_it_once(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    link(f.store.as_ref(), "alice", "coalice", at).await;

    let (court, ecf) = (court_id(), login("coalice"));
    let attempts = (0..10).map(|_| f.store.unlink(&court, &ecf, REASON, at));
    let outcomes = futures_util::future::join_all(attempts).await;

    let unlinked: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(UnlinkOutcome::Unlinked { .. })))
        .collect();
    let not_linked = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(UnlinkOutcome::NotLinked)))
        .count();
    assert_eq!((unlinked.len(), not_linked), (1, 9), "{outcomes:?}");
    assert!(matches!(
        unlinked[0],
        Ok(UnlinkOutcome::Unlinked { sequence: 2, .. })
    ));
    assert_eq!(f.store.last_event_sequence().await.unwrap(), 2);
}

/// An unlink racing a confirm whose proof predates the link being unlinked:
/// whichever commits first, the confirm cannot make a link, the password
/// stays retired and exactly one `UNLINKED` event follows the `LINKED` one.
pub async fn an_unlink_racing_a_confirm_of_the_same_account_leaves_it_unlinked(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let bob_flow = verified_flow(f.store.as_ref(), "bob", "coalice", at).await;
    link(f.store.as_ref(), "alice", "coalice", at).await;

    let (court, ecf) = (court_id(), login("coalice"));
    let later = at + Duration::seconds(1);
    let (unlinked, confirmed) = tokio::join!(
        f.store.unlink(&court, &ecf, REASON, later),
        f.store.confirm_link(&bob_flow, &ecf, later)
    );

    assert!(
        matches!(unlinked, Ok(UnlinkOutcome::Unlinked { sequence: 2, .. })),
        "{unlinked:?}"
    );
    assert!(
        matches!(
            confirmed,
            Ok(ConfirmOutcome::ProofStale) | Err(StoreError::Conflict(Conflict::EcfAccountLinked))
        ),
        "{confirmed:?}"
    );
    assert_eq!(f.store.link_of_ecf(&court_id(), &ecf).await.unwrap(), None);
    assert_eq!(
        f.store
            .link_of_pacer(&court_id(), &pacer("bob"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(f.store.link_of_flow(bob_flow.id).await.unwrap(), None);
    let account = f
        .store
        .ecf_account(&court_id(), &ecf)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.password_hash, None);
    let kinds: Vec<_> = f
        .store
        .events_after(0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.sequence, e.kind))
        .collect();
    assert_eq!(
        kinds,
        [(1, LinkEventKind::Linked), (2, LinkEventKind::Unlinked)]
    );
}
