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
