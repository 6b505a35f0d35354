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

fn loose() -> LockoutPolicy {
    LockoutPolicy {
        threshold: 100,
        ..strict()
    }
}

/// The sign-in reads bring the subject's failure row (and VerifyEcf's its
/// link), so that counting the attempt needs no read of its own, whether or
/// not the account exists (an extra read for unknown names would time them).
pub async fn sign_in_reads_carry_the_failure_row_and_the_link(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let alice = SignInSubject::pacer(&pacer("alice"));
    let coalice = SignInSubject::ecf(&court_id(), &login("coalice"));
    let pacer_seen = async |name: &str| {
        let read = f.store.pacer_sign_in(&court_id(), &pacer(name)).await;
        read.unwrap().failures
    };
    let ecf_read = async |name: &str| {
        let read = f.store.ecf_sign_in(&court_id(), &login(name)).await;
        read.unwrap()
    };
    assert_eq!(pacer_seen("alice").await, SeenFailures::NoRow);
    assert_eq!(ecf_read("coalice").await.failures, SeenFailures::NoRow);
    assert_eq!(pacer_seen("nobody").await, SeenFailures::NoRow);

    f.store.record_failure(&alice, at, &loose()).await.unwrap();
    for _ in 0..2 {
        f.store
            .record_failure(&coalice, at, &loose())
            .await
            .unwrap();
    }
    // Names with no account are counted too, and read the same way.
    let nobody = SignInSubject::pacer(&pacer("nobody"));
    let conobody = SignInSubject::ecf(&court_id(), &login("conobody"));
    for subject in [&nobody, &conobody] {
        f.store.record_failure(subject, at, &loose()).await.unwrap();
    }
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
    f.store
        .confirm_link(&flow, &login("coalice"), at)
        .await
        .unwrap();

    let consecutive = |seen: SeenFailures| match seen {
        SeenFailures::Row(row, _) => row.consecutive,
        other => panic!("{other:?}"),
    };
    assert_eq!(consecutive(pacer_seen("alice").await), 1);
    assert_eq!(consecutive(pacer_seen("nobody").await), 1);
    let coalice_read = ecf_read("coalice").await;
    assert_eq!(consecutive(coalice_read.failures), 2);
    let link = coalice_read.found.expect("exists").link.expect("linked");
    assert_eq!(
        (link.ecf_login, link.pacer_username),
        (login("coalice"), pacer("alice"))
    );
    let cobob_read = ecf_read("cobob").await;
    assert_eq!(cobob_read.failures, SeenFailures::NoRow);
    assert_eq!(cobob_read.found.expect("exists").link, None);
    let conobody_read = ecf_read("conobody").await;
    assert!(conobody_read.found.is_none());
    assert_eq!(consecutive(conobody_read.failures), 1);
}

/// A count that starts from a read other failures overtook is neither lost
/// nor counted twice: the write finds the row moved and counts again on it.
pub async fn a_count_from_an_overtaken_read_is_neither_lost_nor_doubled(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let subject = SignInSubject::pacer(&pacer("alice"));
    let seen = async || {
        let read = f.store.pacer_sign_in(&court_id(), &pacer("alice")).await;
        read.unwrap().failures
    };
    let count = async |seen: &SeenFailures| {
        let policy = loose();
        let outcome = f.store.record_failure_seen(&subject, seen, at, &policy);
        match outcome.await.unwrap() {
            FailureOutcome::Counted { consecutive } => consecutive,
            other => panic!("{other:?}"),
        }
    };

    // Read before the row existed; another failure created it meanwhile.
    let no_row = seen().await;
    assert_eq!(count(&SeenFailures::NotRead).await, 1);
    assert_eq!(count(&no_row).await, 2);
    // Read with the row; another failure moved it on meanwhile.
    let overtaken = seen().await;
    assert_eq!(count(&SeenFailures::NotRead).await, 3);
    assert_eq!(count(&overtaken).await, 4);
    // Read and not overtaken.
    let fresh = seen().await;
    assert_eq!(count(&fresh).await, 5);
    let alice = PasswordOwner::Pacer(pacer("alice"));
    let failures = f.store.security(&alice).await.unwrap().unwrap().failures;
    let failures = failures.unwrap();
    assert_eq!((failures.consecutive, failures.hour_count), (5, 5));
}

/// A proven sign-in's attempt is given back in the same write as the flow
/// it starts or the verification it records, even when the flow to update
/// is gone.
pub async fn starting_or_verifying_a_flow_gives_the_sign_in_back(f: Fixture) {
    seed(f.store.as_ref()).await;
    let failed_at = now();
    let at = failed_at + Duration::seconds(5);
    let alice = PasswordOwner::Pacer(pacer("alice"));
    let coalice = PasswordOwner::Ecf(court_id(), login("coalice"));
    let cobob = PasswordOwner::Ecf(court_id(), login("cobob"));
    for owner in [&alice, &coalice, &cobob] {
        let subject = SignInSubject::of(owner);
        f.store
            .record_failure(&subject, failed_at, &loose())
            .await
            .unwrap();
        // The attempt being proven.
        f.store
            .record_failure(&subject, at, &loose())
            .await
            .unwrap();
    }

    let token = FlowToken::generate();
    let flow = NewFlow {
        id: uuid::Uuid::new_v4(),
        token_hash: token.hash(),
        court_id: court_id(),
        pacer_username: pacer("alice"),
        client_code: ClientCode::default(),
        created_at: at,
        expires_at: at + Duration::minutes(10),
    };
    let given = SignInSubject::of(&alice);
    f.store.create_flow(&flow, Some(&given)).await.unwrap();
    let verified = f
        .store
        .record_ecf_verified(
            flow.id,
            &login("coalice"),
            "ecf-hash-of-alice",
            at,
            Some(&SignInSubject::of(&coalice)),
        )
        .await;
    assert!(verified.unwrap());
    let gone = f
        .store
        .record_ecf_verified(
            uuid::Uuid::new_v4(),
            &login("cobob"),
            "ecf-hash-of-bob",
            at,
            Some(&SignInSubject::of(&cobob)),
        )
        .await;
    assert!(!gone.unwrap());

    let live = f.store.live_flow(&token.hash(), at).await.unwrap().unwrap();
    assert_eq!(live.stage, FlowStage::EcfVerified(login("coalice")));
    for owner in [&alice, &coalice, &cobob] {
        let seen = f.store.security(owner).await.unwrap().unwrap();
        let failures = seen.failures.clone().unwrap();
        assert_eq!(seen.last_success_at, Some(at), "{owner:?}");
        assert_eq!(seen.last_failed_at, Some(failed_at), "{owner:?}");
        assert_eq!(
            (failures.consecutive, failures.hour_count),
            (0, 1),
            "{owner:?}"
        );
    }
}
