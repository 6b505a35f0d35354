//! Conformance of failed sign-in counting and lockout.
use super::*;

pub async fn parallel_failures_are_all_counted(f: Fixture) {
    let subject = SignInSubject::pacer(&pacer("alice"));
    let policy = LockoutPolicy {
        threshold: 1000,
        base_lock: std::time::Duration::from_secs(60),
        max_lock: std::time::Duration::from_secs(900),
        forget_after: std::time::Duration::from_secs(3600),
        max_per_hour: 1000,
    };
    let at = now();

    let attempts = (0..50).map(|_| f.store.record_failure(&subject, at, &policy));
    let outcomes = futures_util::future::join_all(attempts).await;

    let mut counts: Vec<u32> = outcomes
        .into_iter()
        .map(|o| match o.unwrap() {
            FailureOutcome::Counted { consecutive } => consecutive,
            other => panic!("{other:?}"),
        })
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=50).collect::<Vec<u32>>());
    assert!(!f.store.is_locked(&subject, at, &policy).await.unwrap());
}

pub async fn the_threshold_locks_and_a_success_clears(f: Fixture) {
    let subject = SignInSubject::ecf(&court_id(), &login("coalice"));
    let policy = LockoutPolicy {
        threshold: 3,
        base_lock: std::time::Duration::from_secs(60),
        max_lock: std::time::Duration::from_secs(900),
        forget_after: std::time::Duration::from_secs(3600),
        max_per_hour: 100,
    };
    let at = now();
    for _ in 0..2 {
        f.store.record_failure(&subject, at, &policy).await.unwrap();
    }
    f.store.clear_failures(&subject).await.unwrap();
    for _ in 0..2 {
        f.store.record_failure(&subject, at, &policy).await.unwrap();
    }
    assert!(!f.store.is_locked(&subject, at, &policy).await.unwrap());

    let third = f.store.record_failure(&subject, at, &policy).await.unwrap();
    let while_locked = f.store.record_failure(&subject, at, &policy).await.unwrap();

    assert_eq!(
        third,
        FailureOutcome::Locked {
            until: at + Duration::seconds(60)
        }
    );
    assert_eq!(while_locked, FailureOutcome::AlreadyLocked);
    assert!(
        f.store
            .is_locked(&subject, at + Duration::seconds(59), &policy)
            .await
            .unwrap()
    );
    assert!(
        !f.store
            .is_locked(&subject, at + Duration::seconds(61), &policy)
            .await
            .unwrap()
    );
}
