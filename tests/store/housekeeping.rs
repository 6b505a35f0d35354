//! Conformance of housekeeping purges: each takes exactly what no longer
//! matters, in batches of at most the limit, and the lock is held once.
use super::*;
use pacer_link::store::{NewAuditEvent, PurgeCutoffs, PurgeTarget};

const POLICY: LockoutPolicy = LockoutPolicy {
    threshold: 10,
    base_lock: std::time::Duration::from_secs(60),
    max_lock: std::time::Duration::from_secs(900),
    forget_after: std::time::Duration::from_secs(12 * 3600),
    max_per_hour: 100,
};

fn cutoffs(now: DateTime<Utc>) -> PurgeCutoffs {
    PurgeCutoffs {
        now,
        failures_forgotten_before: now - Duration::hours(12),
        hour_started_before: now - Duration::hours(1),
        audit_before: now - Duration::days(1),
        requests_before: now - Duration::days(1),
    }
}

/// Purges `target` one row at a time until nothing is left; the count.
async fn purge_all(f: &Fixture, target: PurgeTarget, now: DateTime<Utc>) -> u64 {
    let mut total = 0;
    loop {
        let deleted = f.store.purge_batch(target, &cutoffs(now), 1).await.unwrap();
        assert!(deleted <= 1, "a batch exceeded its limit");
        if deleted == 0 {
            return total;
        }
        total += deleted;
    }
}

pub async fn expired_flows_go_unless_a_link_was_made_from_them(f: Fixture) {
    seed(f.store.as_ref()).await;
    let now = now();
    let old = now - Duration::days(2);
    let linked = verified_flow(f.store.as_ref(), "alice", "coalice", old).await;
    f.store
        .confirm_link(&linked, &login("coalice"), old)
        .await
        .unwrap();
    start_flow(f.store.as_ref(), "bob", old).await;
    start_flow(f.store.as_ref(), "bob", old).await;
    let live = start_flow(f.store.as_ref(), "bob", now).await;

    let purged = purge_all(&f, PurgeTarget::Flows, now).await;

    assert_eq!(purged, 2);
    assert!(
        f.store
            .live_flow(&live.hash(), now)
            .await
            .unwrap()
            .is_some()
    );
    let link = f.store.link_of_flow(linked.id).await.unwrap();
    assert!(link.is_some(), "the link and its flow stay");
}

pub async fn failure_rows_go_once_forgotten_unless_a_success_is_on_record(f: Fixture) {
    seed(f.store.as_ref()).await;
    let now = now();
    let old = now - Duration::days(2);
    let ghost = SignInSubject::pacer(&pacer("ghost"));
    let recent = SignInSubject::pacer(&pacer("recent"));
    let alice = SignInSubject::pacer(&pacer("alice"));
    f.store.record_failure(&ghost, old, &POLICY).await.unwrap();
    f.store.record_failure(&recent, now, &POLICY).await.unwrap();
    f.store.record_failure(&alice, old, &POLICY).await.unwrap();
    f.store.clear_failures(&alice, old).await.unwrap();

    let purged = purge_all(&f, PurgeTarget::Failures, now).await;

    assert_eq!(purged, 1);
    assert!(!f.store.is_locked(&ghost, now, &POLICY).await.unwrap());
    let kept = f
        .store
        .security(&pacer_link::store::PasswordOwner::Pacer(pacer("alice")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.last_success_at, Some(old));
}

fn audit_row(at: DateTime<Utc>) -> NewAuditEvent {
    NewAuditEvent {
        occurred_at: at,
        rpc: "AuthenticatePacer".into(),
        court_id: None,
        subject: None,
        subject_normalized: None,
        outcome: "OK".into(),
        reason: None,
        caller: None,
        caller_identity: None,
        end_user_address: None,
        operator: None,
        detail: None,
        repeat_count: 1,
        trace_id: None,
    }
}

pub async fn audit_rows_go_after_their_retention(f: Fixture) {
    let now = now();
    let event = audit_row;
    let rows = [
        event(now - Duration::days(3)),
        event(now - Duration::days(2)),
        event(now - Duration::hours(1)),
    ];
    f.store.append_audit(&rows).await.unwrap();

    let purged = purge_all(&f, PurgeTarget::AuditEvents, now).await;

    assert_eq!(purged, 2);
    let left = f
        .store
        .audit_events(&pacer_link::store::AuditFilter::default(), 10)
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].event, rows[2]);
}

/// A long purge goes in batches, each starting above the last id the one
/// before deleted: rows at or below the cursor are not looked at, newer
/// rows stay, and the batches together delete every expired row once.
pub async fn an_audit_purge_continues_above_the_last_id_it_deleted(f: Fixture) {
    let now = now();
    let old: Vec<_> = (0..5)
        .map(|i| audit_row(now - Duration::days(10 - i)))
        .collect();
    f.store.append_audit(&old).await.unwrap();
    f.store.append_audit(&[audit_row(now)]).await.unwrap();
    let ids = |records: Vec<pacer_link::store::AuditRecord>| {
        let mut ids: Vec<i64> = records.into_iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids
    };
    let all = ids(f
        .store
        .audit_events(&pacer_link::store::AuditFilter::default(), 10)
        .await
        .unwrap());
    let before = now - Duration::days(1);

    // Starting above the first row leaves it, as a cursor would.
    let (first, last) = f.store.purge_audit_batch(before, all[0], 2).await.unwrap();
    let (second, next) = f
        .store
        .purge_audit_batch(before, last.unwrap(), 2)
        .await
        .unwrap();
    let (third, end) = f
        .store
        .purge_audit_batch(before, next.unwrap(), 2)
        .await
        .unwrap();
    let left = ids(f
        .store
        .audit_events(&pacer_link::store::AuditFilter::default(), 10)
        .await
        .unwrap());

    assert_eq!((first, last), (2, Some(all[2])));
    assert_eq!((second, next), (2, Some(all[4])));
    assert_eq!((third, end), (0, None));
    assert_eq!(left, [all[0], all[5]]);
}

pub async fn the_housekeeping_lock_is_free_again_once_released(f: Fixture) {
    let first = f.store.housekeeping_lock().await.unwrap();
    assert!(first.is_some());
    drop(first);
    // PostgreSQL frees the lock when the connection that held it closes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if f.store.housekeeping_lock().await.unwrap().is_some() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lock was never freed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
