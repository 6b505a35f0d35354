//! Conformance of admin request ids: claimed once, answered from storage,
//! scoped per operator, taken over when abandoned, purged after a day.
use super::*;
use pacer_link::store::{Claimed, PurgeCutoffs, PurgeTarget, RequestKey};
use uuid::Uuid;

fn key(operator: &str, id: u128, digest: u8) -> RequestKey {
    RequestKey {
        operator: operator.into(),
        request_id: Uuid::from_u128(id),
        method: "EnrollTotp",
        digest: [digest; 32],
    }
}

pub async fn a_request_is_claimed_once_then_answered_from_storage(f: Fixture) {
    let now = now();
    let stale = now - Duration::minutes(1);
    let first = key("alice-op", 1, 7);

    let claimed = f.store.claim_request(&first, now, stale).await.unwrap();
    let twin = f.store.claim_request(&first, now, stale).await.unwrap();
    f.store.complete_request(&first, b"answer").await.unwrap();
    let retry = f.store.claim_request(&first, now, stale).await.unwrap();
    let other_request = f
        .store
        .claim_request(&key("alice-op", 1, 8), now, stale)
        .await;
    let other_operator = f
        .store
        .claim_request(&key("bob-op", 1, 8), now, stale)
        .await;

    assert_eq!(claimed, Claimed::New);
    assert_eq!(twin, Claimed::Running);
    assert_eq!(retry, Claimed::Done(b"answer".to_vec()));
    assert_eq!(other_request.unwrap(), Claimed::Mismatch);
    assert_eq!(
        other_operator.unwrap(),
        Claimed::New,
        "ids are per operator"
    );
}

pub async fn a_released_or_abandoned_claim_runs_again(f: Fixture) {
    let now = now();
    let stale = now - Duration::minutes(1);
    let released = key("op", 2, 1);
    let abandoned = key("op", 3, 1);
    f.store.claim_request(&released, now, stale).await.unwrap();
    f.store
        .claim_request(&abandoned, now - Duration::minutes(5), stale)
        .await
        .unwrap();

    f.store.release_request(&released).await.unwrap();
    let after_release = f.store.claim_request(&released, now, stale).await.unwrap();
    let after_crash = f.store.claim_request(&abandoned, now, stale).await.unwrap();
    let then_running = f.store.claim_request(&abandoned, now, stale).await.unwrap();

    assert_eq!(after_release, Claimed::New);
    assert_eq!(
        after_crash,
        Claimed::New,
        "an abandoned claim is taken over"
    );
    assert_eq!(
        then_running,
        Claimed::Running,
        "and then held by its new owner"
    );
}

pub async fn request_ids_are_forgotten_after_their_day(f: Fixture) {
    let now = now();
    let stale = now - Duration::minutes(1);
    let old = key("op", 4, 1);
    let recent = key("op", 5, 1);
    f.store
        .claim_request(&old, now - Duration::days(2), stale)
        .await
        .unwrap();
    f.store.complete_request(&old, b"x").await.unwrap();
    f.store.claim_request(&recent, now, stale).await.unwrap();
    let cutoffs = PurgeCutoffs {
        now,
        failures_forgotten_before: now,
        hour_started_before: now,
        audit_before: now - Duration::days(400),
        requests_before: now - Duration::days(1),
    };

    let purged = f
        .store
        .purge_batch(PurgeTarget::Requests, &cutoffs, 10)
        .await
        .unwrap();
    let old_again = f.store.claim_request(&old, now, stale).await.unwrap();
    let recent_again = f.store.claim_request(&recent, now, stale).await.unwrap();

    assert_eq!(purged, 1);
    assert_eq!(old_again, Claimed::New);
    assert_eq!(recent_again, Claimed::Running);
}
