//! Conformance of failed sign-in counting and lockout.
use super::*;
use pacer_link::store::PasswordOwner;

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
    f.store.clear_failures(&subject, at).await.unwrap();
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

fn strict() -> LockoutPolicy {
    LockoutPolicy {
        threshold: 2,
        base_lock: std::time::Duration::from_secs(60),
        max_lock: std::time::Duration::from_secs(900),
        forget_after: std::time::Duration::from_secs(3600),
        max_per_hour: 100,
    }
}

pub async fn security_of_an_unknown_account_is_none(f: Fixture) {
    seed(f.store.as_ref()).await;

    let pacer_account = f
        .store
        .security(&PasswordOwner::Pacer(pacer("nobody")))
        .await;
    let ecf_account = f
        .store
        .security(&PasswordOwner::Ecf(court_id(), login("conobody")))
        .await;

    assert_eq!(pacer_account.unwrap(), None);
    assert_eq!(ecf_account.unwrap(), None);
}

pub async fn security_shows_the_failures_of_an_account(f: Fixture) {
    seed(f.store.as_ref()).await;
    let account = PasswordOwner::Ecf(court_id(), login("coalice"));
    let subject = SignInSubject::of(&account);
    let at = now();
    for _ in 0..2 {
        f.store
            .record_failure(&subject, at, &strict())
            .await
            .unwrap();
    }

    let seen = f.store.security(&account).await.unwrap().unwrap();

    let failures = seen.failures.unwrap();
    assert_eq!((failures.lockouts, failures.hour_count), (1, 2));
    assert_eq!(failures.locked_until, Some(at + Duration::seconds(60)));
    assert_eq!(seen.last_failed_at, Some(at));
    assert_eq!(seen.last_success_at, None);
    assert!(!seen.mfa_enrolled && !seen.linked);
    assert_eq!(seen.mfa_locked_until, None);
}

pub async fn security_shows_the_lock_of_the_one_time_codes(f: Fixture) {
    seed(f.store.as_ref()).await;
    let account = PasswordOwner::Pacer(pacer("alice"));
    let codes = SignInSubject::second_factor(&pacer("alice"));
    let at = now();
    for _ in 0..2 {
        f.store.record_failure(&codes, at, &strict()).await.unwrap();
    }

    let seen = f.store.security(&account).await.unwrap().unwrap();
    let other = f
        .store
        .security(&PasswordOwner::Pacer(pacer("bob")))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(seen.mfa_locked_until, Some(at + Duration::seconds(60)));
    assert_eq!(seen.failures, None, "a code is not a password");
    assert_eq!(other.mfa_locked_until, None);
}

pub async fn a_success_is_recorded_and_keeps_the_last_real_failure(f: Fixture) {
    seed(f.store.as_ref()).await;
    let account = PasswordOwner::Pacer(pacer("alice"));
    let subject = SignInSubject::of(&account);
    let failed_at = now();
    let signed_in_at = failed_at + Duration::seconds(5);
    f.store
        .record_failure(&subject, failed_at, &strict())
        .await
        .unwrap();

    f.store
        .record_failure(&subject, signed_in_at, &strict())
        .await
        .unwrap();
    f.store
        .clear_failures(&subject, signed_in_at)
        .await
        .unwrap();

    let seen = f.store.security(&account).await.unwrap().unwrap();
    assert_eq!(seen.last_success_at, Some(signed_in_at));
    assert_eq!(seen.last_failed_at, Some(failed_at));
    assert_eq!(seen.failures.unwrap().consecutive, 0);
}

pub async fn an_unlock_ends_the_lock_and_forgets_the_failures(f: Fixture) {
    seed(f.store.as_ref()).await;
    let subject = SignInSubject::pacer(&pacer("alice"));
    let at = now();
    for _ in 0..2 {
        f.store
            .record_failure(&subject, at, &strict())
            .await
            .unwrap();
    }
    assert!(f.store.is_locked(&subject, at, &strict()).await.unwrap());

    f.store.unlock(&subject).await.unwrap();

    assert!(!f.store.is_locked(&subject, at, &strict()).await.unwrap());
    let seen = f
        .store
        .security(&PasswordOwner::Pacer(pacer("alice")))
        .await
        .unwrap();
    let failures = seen.unwrap().failures.unwrap();
    assert_eq!(
        (failures.consecutive, failures.lockouts, failures.hour_count),
        (0, 0, 0)
    );
}

pub async fn unlocking_an_account_that_never_failed_does_nothing(f: Fixture) {
    seed(f.store.as_ref()).await;
    let subject = SignInSubject::pacer(&pacer("bob"));

    f.store.unlock(&subject).await.unwrap();

    let seen = f
        .store
        .security(&PasswordOwner::Pacer(pacer("bob")))
        .await
        .unwrap();
    assert_eq!(seen.unwrap().failures, None);
}
