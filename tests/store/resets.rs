//! Conformance of CM/ECF password resets: when they are refused, and that a
//! reset voids proofs made with the password it replaces.
use super::unlinks::{REASON, link};
use super::*;
use pacer_link::store::{LinkEventKind, PasswordOwner, ResetOutcome};

pub async fn a_reset_is_refused_while_linked_and_needs_an_existing_account(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    link(f.store.as_ref(), "alice", "coalice", at).await;

    let linked = f
        .store
        .reset_ecf_password(&court_id(), &login("coalice"), "new-hash", at)
        .await
        .unwrap();
    let unknown = f
        .store
        .reset_ecf_password(&court_id(), &login("conobody"), "new-hash", at)
        .await
        .unwrap();
    let other_court = f
        .store
        .reset_ecf_password(
            &CourtId::parse("ksd").unwrap(),
            &login("cobob"),
            "new-hash",
            at,
        )
        .await
        .unwrap();
    let unlinked = f
        .store
        .reset_ecf_password(&court_id(), &login("cobob"), "new-hash-of-bob", at)
        .await
        .unwrap();

    assert_eq!(linked, ResetOutcome::Linked);
    assert_eq!(unknown, ResetOutcome::NotFound);
    assert_eq!(other_court, ResetOutcome::NotFound);
    assert_eq!(unlinked, ResetOutcome::Reset);
    let alice = f
        .store
        .ecf_account(&court_id(), &login("coalice"))
        .await
        .unwrap()
        .unwrap();
    let bob = f
        .store
        .ecf_account(&court_id(), &login("cobob"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        alice.password_hash, None,
        "a refused reset changed the password"
    );
    assert_eq!(bob.password_hash.as_deref(), Some("new-hash-of-bob"));
    assert_eq!(f.store.last_event_sequence().await.unwrap(), 1);
}

pub async fn a_reset_voids_a_proof_made_before_it(f: Fixture) {
    seed(f.store.as_ref()).await;
    let proven_at = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", proven_at).await;
    let reset_at = proven_at + Duration::seconds(1);
    let reset = f
        .store
        .reset_ecf_password(&court_id(), &login("coalice"), "new-hash", reset_at)
        .await
        .unwrap();

    let stale = f
        .store
        .confirm_link(&flow, &login("coalice"), reset_at + Duration::seconds(1))
        .await
        .unwrap();

    assert_eq!(reset, ResetOutcome::Reset);
    assert_eq!(stale, ConfirmOutcome::ProofStale);
    assert_eq!(f.store.link_of_flow(flow.id).await.unwrap(), None);
    assert_eq!(
        f.store
            .link_of_ecf(&court_id(), &login("coalice"))
            .await
            .unwrap(),
        None
    );
    let ecf = f
        .store
        .ecf_account(&court_id(), &login("coalice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ecf.password_hash.as_deref(), Some("new-hash"));
    assert_eq!(f.store.last_event_sequence().await.unwrap(), 0);
}

pub async fn after_an_unlink_and_a_reset_a_new_proof_links_again(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    link(f.store.as_ref(), "alice", "coalice", at).await;
    let old_flow = verified_flow(f.store.as_ref(), "bob", "coalice", at).await;
    f.store
        .unlink(
            &court_id(),
            &login("coalice"),
            REASON,
            at + Duration::seconds(1),
        )
        .await
        .unwrap();
    let reset = f
        .store
        .reset_ecf_password(
            &court_id(),
            &login("coalice"),
            "new-hash",
            at + Duration::seconds(2),
        )
        .await
        .unwrap();
    let later = at + Duration::seconds(3);

    let stale = f
        .store
        .confirm_link(&old_flow, &login("coalice"), later)
        .await
        .unwrap();
    let relinked = link(f.store.as_ref(), "bob", "coalice", later).await;

    assert_eq!(reset, ResetOutcome::Reset);
    assert_eq!(stale, ConfirmOutcome::ProofStale);
    assert_eq!(relinked.pacer_username, pacer("bob"));
    assert_eq!(
        f.store
            .link_of_ecf(&court_id(), &login("coalice"))
            .await
            .unwrap(),
        Some(relinked)
    );
    let last = f.store.events_after(2, 10).await.unwrap();
    assert_eq!(
        last.iter()
            .map(|e| (e.sequence, e.kind))
            .collect::<Vec<_>>(),
        [(3, LinkEventKind::Linked)]
    );
}

pub async fn a_reset_voids_a_proof_even_when_its_clock_reads_earlier(f: Fixture) {
    seed(f.store.as_ref()).await;
    let proven_at = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", proven_at).await;
    // Another replica whose clock runs behind resets the password.
    f.store
        .reset_ecf_password(
            &court_id(),
            &login("coalice"),
            "new-hash",
            proven_at - Duration::seconds(5),
        )
        .await
        .unwrap();

    let stale = f
        .store
        .confirm_link(&flow, &login("coalice"), proven_at + Duration::seconds(1))
        .await
        .unwrap();

    assert_eq!(stale, ConfirmOutcome::ProofStale);
}

pub async fn a_stronger_hash_of_the_same_password_keeps_the_proof(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
    let owner = PasswordOwner::Ecf(court_id(), login("coalice"));
    let old = f
        .store
        .ecf_account(&court_id(), &login("coalice"))
        .await
        .unwrap()
        .and_then(|a| a.password_hash)
        .unwrap();
    assert!(
        f.store
            .replace_password_hash(&owner, &old, "stronger-hash")
            .await
            .unwrap()
    );

    let outcome = f
        .store
        .confirm_link(&flow, &login("coalice"), at + Duration::seconds(1))
        .await
        .unwrap();

    assert!(matches!(outcome, ConfirmOutcome::Linked(_)), "{outcome:?}");
}
