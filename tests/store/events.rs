//! Conformance of the link-event outbox: sequences, paging and wake-ups.
use std::sync::atomic::{AtomicBool, Ordering};

use super::unlinks::link;
use super::*;
use pacer_link::store::{LinkEventKind, LinkEventRecord};

use super::unlinks::REASON;

/// How long a committed event may take to wake a listener.
const WAKE_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

fn sequences(events: &[LinkEventRecord]) -> Vec<i64> {
    events.iter().map(|e| e.sequence).collect()
}

/// Adds PACER accounts `filer{i}` and CM/ECF accounts `cofiler{i}` for `0..n`.
async fn seed_filers(store: &dyn Store, n: usize) {
    for i in 0..n {
        pair(store, &format!("filer{i}"), "Filer").await;
    }
}

pub async fn an_empty_outbox_has_sequence_zero(f: Fixture) {
    seed(f.store.as_ref()).await;

    let last = f.store.last_event_sequence().await.unwrap();
    let events = f.store.events_after(0, 10).await.unwrap();

    assert_eq!(last, 0);
    assert!(events.is_empty(), "{events:?}");
}

pub async fn events_are_numbered_from_one_without_gaps_and_paged_by_after_and_limit(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let alice = link(f.store.as_ref(), "alice", "coalice", at).await;
    let bob = link(f.store.as_ref(), "bob", "cobob", at + Duration::seconds(1)).await;
    let unlinked_at = at + Duration::seconds(2);
    f.store
        .unlink(&court_id(), &login("coalice"), REASON, unlinked_at)
        .await
        .unwrap();

    let all = f.store.events_after(0, 100).await.unwrap();
    let middle = f.store.events_after(1, 1).await.unwrap();
    let tail = f.store.events_after(1, 100).await.unwrap();
    let none_after = f.store.events_after(3, 100).await.unwrap();
    let none_asked = f.store.events_after(0, 0).await.unwrap();
    let last = f.store.last_event_sequence().await.unwrap();

    assert_eq!(sequences(&all), [1, 2, 3]);
    let described: Vec<_> = all
        .iter()
        .map(|e| {
            (
                e.kind,
                e.ecf_login.as_str(),
                e.pacer_username.as_str(),
                e.occurred_at,
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            (LinkEventKind::Linked, "coalice", "alice", alice.linked_at),
            (LinkEventKind::Linked, "cobob", "bob", bob.linked_at),
            (LinkEventKind::Unlinked, "coalice", "alice", unlinked_at),
        ]
    );
    assert!(all.iter().all(|e| e.court_id == court_id()));
    let ids: std::collections::HashSet<_> = all.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 3, "event ids are unique");
    assert_eq!(middle, all[1..2]);
    assert_eq!(tail, all[1..]);
    assert!(none_after.is_empty());
    assert!(none_asked.is_empty());
    assert_eq!(last, 3);
}

/// Confirms of different flows commit concurrently; a reader polling all
/// the while must only ever see a gap-free prefix `1..=k` (an event visible
/// before an earlier sequence would let a follower skip that one for good),
/// and in the end every link has exactly one event.
pub async fn concurrent_confirms_of_different_flows_get_consecutive_sequences_in_commit_order(
    f: Fixture,
) {
    const FLOWS: usize = 12;
    seed(f.store.as_ref()).await;
    seed_filers(f.store.as_ref(), FLOWS).await;
    let at = now();
    let mut flows = Vec::new();
    for i in 0..FLOWS {
        let who = format!("filer{i}");
        flows.push(verified_flow(f.store.as_ref(), &who, &format!("co{who}"), at).await);
    }
    let done = AtomicBool::new(false);

    let confirms = async {
        let attempts = flows.iter().map(|flow| {
            let ecf = login(&format!("co{}", flow.pacer_username.as_str()));
            let store = f.store.clone();
            async move { store.confirm_link(flow, &ecf, at).await }
        });
        let outcomes = futures_util::future::join_all(attempts).await;
        done.store(true, Ordering::SeqCst);
        outcomes
    };
    let reader = async {
        let mut seen = Vec::new();
        while !done.load(Ordering::SeqCst) {
            let visible = sequences(&f.store.events_after(0, 1000).await.unwrap());
            let prefix: Vec<i64> = (1..=visible.len() as i64).collect();
            assert_eq!(
                visible, prefix,
                "events became visible out of sequence order"
            );
            seen.push(visible.len());
            tokio::task::yield_now().await;
        }
        seen
    };
    let (outcomes, seen) = tokio::join!(confirms, reader);

    let mut links = Vec::new();
    for outcome in outcomes {
        match outcome.unwrap() {
            ConfirmOutcome::Linked(link) => links.push(link),
            other => panic!("not linked: {other:?}"),
        }
    }
    let events = f.store.events_after(0, 1000).await.unwrap();
    assert_eq!(sequences(&events), (1..=FLOWS as i64).collect::<Vec<_>>());
    assert!(events.iter().all(|e| e.kind == LinkEventKind::Linked));
    let mut linked: Vec<_> = links
        .iter()
        .map(|l| (l.ecf_login.clone(), l.pacer_username.clone()))
        .collect();
    let mut announced: Vec<_> = events
        .iter()
        .map(|e| (e.ecf_login.clone(), e.pacer_username.clone()))
        .collect();
    linked.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    announced.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    assert_eq!(announced, linked);
    assert_eq!(f.store.last_event_sequence().await.unwrap(), FLOWS as i64);
    assert!(!seen.is_empty(), "the reader never read while confirms ran");
}

/// A failed confirm takes no sequence: the next event follows the last one.
pub async fn a_confirm_that_writes_nothing_takes_no_sequence(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let losing = verified_flow(f.store.as_ref(), "bob", "coalice", at).await;
    link(f.store.as_ref(), "alice", "coalice", at).await;

    let lost = f.store.confirm_link(&losing, &login("coalice"), at).await;
    link(f.store.as_ref(), "bob", "cobob", at).await;

    assert!(
        matches!(lost, Err(StoreError::Conflict(Conflict::EcfAccountLinked))),
        "{lost:?}"
    );
    assert_eq!(
        sequences(&f.store.events_after(0, 10).await.unwrap()),
        [1, 2]
    );
    assert_eq!(f.store.last_event_sequence().await.unwrap(), 2);
}

/// Waits for one wake-up, failing the test after `WAKE_WITHIN`.
async fn woken(wake: &tokio::sync::Notify, what: &str) {
    tokio::time::timeout(WAKE_WITHIN, wake.notified())
        .await
        .unwrap_or_else(|_| panic!("no wake-up within {WAKE_WITHIN:?} after {what}"));
}

/// Wake-ups may coalesce, and a backend may wake once when it starts
/// listening; so the listener must be woken once after the first commit and
/// again after a second commit made once that first wake-up was taken.
pub async fn a_committed_event_wakes_a_listener(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let listener = tokio::spawn({
        let (store, wake) = (f.store.clone(), wake.clone());
        async move { store.listen_for_events(&wake).await }
    });

    link(f.store.as_ref(), "alice", "coalice", at).await;
    woken(&wake, "a link").await;
    f.store
        .unlink(&court_id(), &login("coalice"), REASON, at)
        .await
        .unwrap();
    woken(&wake, "an unlink").await;

    assert!(!listener.is_finished(), "the listener stopped");
    listener.abort();
}
