//! Conformance of coverage: counts that follow links and failures, and
//! keyset pages by link state.
use super::*;
use pacer_link::store::{CoverageCounts, LinkStateFilter};

const POLICY: LockoutPolicy = LockoutPolicy {
    threshold: 10,
    base_lock: std::time::Duration::from_secs(60),
    max_lock: std::time::Duration::from_secs(900),
    forget_after: std::time::Duration::from_secs(3600),
    max_per_hour: 100,
};

pub async fn coverage_counts_follow_links_and_failed_sign_ins(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let before = f.store.link_coverage(&court_id()).await.unwrap();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
    f.store
        .confirm_link(&flow, &login("coalice"), at)
        .await
        .unwrap();
    let bob = SignInSubject::ecf(&court_id(), &login("cobob"));
    f.store.record_failure(&bob, at, &POLICY).await.unwrap();

    let after = f.store.link_coverage(&court_id()).await.unwrap();
    let elsewhere = f
        .store
        .link_coverage(&CourtId::parse("ksd").unwrap())
        .await
        .unwrap();

    let counts = |ecf_accounts, linked, unlinked_with_failed_attempts| CoverageCounts {
        ecf_accounts,
        linked,
        unlinked_with_failed_attempts,
    };
    assert_eq!(before, counts(2, 0, 0));
    assert_eq!(after, counts(2, 1, 1));
    assert_eq!(elsewhere, counts(0, 0, 0));
}

pub async fn accounts_are_listed_in_login_order_by_link_state_a_page_at_a_time(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
    f.store
        .confirm_link(&flow, &login("coalice"), at)
        .await
        .unwrap();
    let list = |state, after: Option<&'static str>, limit| {
        let store = f.store.clone();
        async move {
            let after = after.map(login);
            store
                .ecf_accounts(&court_id(), state, after.as_ref(), limit)
                .await
                .unwrap()
                .into_iter()
                .map(|a| (a.login, a.link.map(|(pacer, _)| pacer)))
                .collect::<Vec<_>>()
        }
    };

    let first = list(LinkStateFilter::Any, None, 1).await;
    let second = list(LinkStateFilter::Any, Some("coalice"), 1).await;
    let third = list(LinkStateFilter::Any, Some("cobob"), 1).await;
    let linked = list(LinkStateFilter::Linked, None, 10).await;
    let unlinked = list(LinkStateFilter::Unlinked, None, 10).await;

    assert_eq!(first, [("coalice".to_owned(), Some("alice".to_owned()))]);
    assert_eq!(second, [("cobob".to_owned(), None)]);
    assert!(third.is_empty());
    assert_eq!(linked, first);
    assert_eq!(unlinked, second);
}

/// The counts as the listing shows them, one account at a time: what the
/// kept counts must always equal.
async fn recount(store: &dyn Store, court: &CourtId) -> CoverageCounts {
    let accounts = store
        .ecf_accounts(court, LinkStateFilter::Any, None, 10_000)
        .await
        .unwrap();
    let count = |keep: &dyn Fn(&pacer_link::store::EcfAccountListing) -> bool| {
        i64::try_from(accounts.iter().filter(|a| keep(a)).count()).unwrap()
    };
    CoverageCounts {
        ecf_accounts: count(&|_| true),
        linked: count(&|a| a.link.is_some()),
        unlinked_with_failed_attempts: count(&|a| a.link.is_none() && a.last_failed_at.is_some()),
    }
}

async fn assert_kept(store: &dyn Store, step: &str) {
    for court in [court_id(), CourtId::parse("ksd").unwrap()] {
        let kept = store.link_coverage(&court).await.unwrap();
        assert_eq!(
            kept,
            recount(store, &court).await,
            "{step}, court {court:?}"
        );
    }
}

fn ecf_subject(name: &str) -> SignInSubject {
    SignInSubject::ecf(&court_id(), &login(name))
}

/// Every change that moves a count, each checked against a recount: a
/// failure before its account exists, an import, failures given back,
/// failures on a linked account, unlinking and linking an account with a
/// failure on record, and the purge of failure rows.
pub async fn kept_coverage_counts_equal_a_recount_after_every_change(f: Fixture) {
    let store = f.store.as_ref();
    seed(store).await;
    store
        .create_court(&NewCourt {
            id: CourtId::parse("ksd").unwrap(),
            name: CourtName::parse("District of Kansas").unwrap(),
            ecf_login_prefix: EcfLoginPrefix::parse("ks").unwrap(),
            environment: CourtEnvironment::parse("").unwrap(),
        })
        .await
        .unwrap();
    let at = now();
    assert_kept(store, "seeded").await;

    store
        .record_failure(&ecf_subject("cocarol"), at, &POLICY)
        .await
        .unwrap();
    assert_kept(store, "failure before the account exists").await;
    let imported = ["cocarol", "codave"].map(|name| {
        pacer_link::store::ImportAccount::Ecf(NewEcfAccount {
            court_id: court_id(),
            login: login(name),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2VlZA$c2VlZA".into(),
            display_name: DisplayName::parse(name).unwrap(),
        })
    });
    store
        .import_accounts(&imported, pacer_link::store::ImportMode::default())
        .await
        .unwrap();
    assert_kept(store, "imported").await;
    assert_eq!(
        store
            .link_coverage(&court_id())
            .await
            .unwrap()
            .unlinked_with_failed_attempts,
        1
    );

    store
        .record_failure(&ecf_subject("cobob"), at, &POLICY)
        .await
        .unwrap();
    assert_kept(store, "bob failed").await;
    store
        .clear_failures(&ecf_subject("cobob"), at)
        .await
        .unwrap();
    assert_kept(store, "bob's attempt given back").await;
    for _ in 0..2 {
        store
            .record_failure(&ecf_subject("cobob"), at, &POLICY)
            .await
            .unwrap();
    }
    assert_kept(store, "bob failed twice").await;

    let flow = verified_flow(store, "alice", "coalice", at).await;
    store
        .confirm_link(&flow, &login("coalice"), at)
        .await
        .unwrap();
    assert_kept(store, "alice linked").await;
    store
        .record_failure(&ecf_subject("coalice"), at, &POLICY)
        .await
        .unwrap();
    assert_kept(store, "linked alice failed").await;
    store
        .unlink(&court_id(), &login("coalice"), "test", at)
        .await
        .unwrap();
    assert_kept(store, "alice unlinked with a failure on record").await;
    let flow = verified_flow(store, "bob", "cobob", at).await;
    store
        .confirm_link(&flow, &login("cobob"), at)
        .await
        .unwrap();
    assert_kept(store, "bob linked with a failure on record").await;
    let before_purge = store.link_coverage(&court_id()).await.unwrap();

    let later = at + Duration::days(30);
    let cutoffs = pacer_link::store::PurgeCutoffs {
        now: later,
        failures_forgotten_before: later,
        hour_started_before: later,
        audit_before: at,
        requests_before: at,
    };
    let purged = store
        .purge_batch(pacer_link::store::PurgeTarget::Failures, &cutoffs, 100)
        .await
        .unwrap();
    assert!(purged > 0);
    assert_kept(store, "failure rows purged").await;
    let after_purge = store.link_coverage(&court_id()).await.unwrap();
    assert!(after_purge.unlinked_with_failed_attempts < before_purge.unlinked_with_failed_attempts);
}

/// Failures on accounts racing the links of the same accounts: each pair
/// touches one account from two transactions, and the counts still equal a
/// recount after all of them.
pub async fn kept_coverage_counts_survive_failures_racing_links(f: Fixture) {
    let store = f.store.as_ref();
    seed(store).await;
    let at = now();
    let names: Vec<String> = (0..16).map(|i| format!("racer{i}")).collect();
    for name in &names {
        pair(store, name, name).await;
    }
    let mut flows = Vec::new();
    for name in &names {
        flows.push(verified_flow(store, name, &format!("co{name}"), at).await);
    }

    let mut tasks = tokio::task::JoinSet::new();
    for (name, flow) in names.iter().zip(flows) {
        let ecf = format!("co{name}");
        let linker = f.store.clone();
        let failer = f.store.clone();
        let subject = ecf_subject(&ecf);
        let ecf_login = login(&ecf);
        tasks.spawn(async move { linker.confirm_link(&flow, &ecf_login, at).await.map(drop) });
        tasks.spawn(async move { failer.record_failure(&subject, at, &POLICY).await.map(drop) });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }
    assert_kept(store, "after the race").await;
    let counts = store.link_coverage(&court_id()).await.unwrap();
    assert_eq!(counts.linked, 16);
    assert_eq!(counts.unlinked_with_failed_attempts, 0);

    let mut tasks = tokio::task::JoinSet::new();
    for name in &names {
        let ecf = login(&format!("co{name}"));
        let unlinker = f.store.clone();
        let clearer = f.store.clone();
        let subject = ecf_subject(&format!("co{name}"));
        tasks.spawn(async move {
            unlinker
                .unlink(&court_id(), &ecf, "test", at)
                .await
                .map(drop)
        });
        tasks.spawn(async move { clearer.clear_failures(&subject, at).await });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }
    assert_kept(store, "after unlinks racing give-backs").await;
}
