//! Conformance of the audit trail, second-factor state and rehash writes.
use super::*;
use pacer_link::store::{AuditCursor, AuditFilter, NewAuditEvent, PasswordOwner, TotpEnrollment};

fn audit_event(subject: &str, at: DateTime<Utc>) -> NewAuditEvent {
    NewAuditEvent {
        occurred_at: at,
        rpc: "AuthenticatePacer".into(),
        court_id: Some("cod".into()),
        subject: Some(subject.into()),
        subject_normalized: Some(subject.to_ascii_lowercase()),
        outcome: "UNAUTHENTICATED".into(),
        reason: Some("INVALID_CREDENTIALS".into()),
        caller: Some("192.0.2.1".into()),
        caller_identity: Some("anonymous".into()),
        end_user_address: None,
        operator: None,
        detail: None,
        repeat_count: 1,
        trace_id: None,
    }
}

pub async fn audit_searches_match_the_normalised_subject_the_operator_and_the_caller(f: Fixture) {
    let at = now();
    let typed = audit_event("HHumbert", at);
    let by_operator = NewAuditEvent {
        rpc: "Unlink".into(),
        operator: Some("jsmith".into()),
        detail: Some("ticket 4411: filer's request".into()),
        repeat_count: 3,
        caller_identity: Some("spiffe://court.example/ns/ops/sa/helpdesk".into()),
        end_user_address: Some("198.51.100.7".into()),
        ..audit_event("cohumbert", at + Duration::seconds(1))
    };
    f.store
        .append_audit(&[typed.clone(), by_operator.clone()])
        .await
        .unwrap();
    let search = |filter: AuditFilter| {
        let store = f.store.clone();
        async move { store.audit_events(&filter, 10).await.unwrap() }
    };

    let lower = search(AuditFilter {
        subject: Some("hhumbert".into()),
        ..Default::default()
    })
    .await;
    let upper = search(AuditFilter {
        subject: Some("HHUMBERT".into()),
        ..Default::default()
    })
    .await;
    let operator = search(AuditFilter {
        operator: Some("jsmith".into()),
        ..Default::default()
    })
    .await;
    let caller = search(AuditFilter {
        caller_identity: Some("spiffe://court.example/ns/ops/sa/helpdesk".into()),
        ..Default::default()
    })
    .await;
    let nobody = search(AuditFilter {
        operator: Some("someone-else".into()),
        ..Default::default()
    })
    .await;

    assert_eq!(lower.len(), 1);
    assert_eq!(lower[0].event, typed);
    assert_eq!(lower[0].event.subject.as_deref(), Some("HHumbert"));
    assert_eq!(upper, lower);
    assert_eq!(operator.len(), 1);
    assert_eq!(operator[0].event, by_operator);
    assert_eq!(caller, operator);
    assert!(nobody.is_empty());
}

pub async fn a_batch_of_audit_events_is_appended_whole_and_in_order(f: Fixture) {
    let at = now();
    let batch: Vec<_> = (0..600)
        .map(|i| audit_event(&format!("user{i}"), at + Duration::milliseconds(i)))
        .collect();

    f.store.append_audit(&batch).await.unwrap();
    f.store.append_audit(&[]).await.unwrap();
    let newest_first = f
        .store
        .audit_events(&AuditFilter::default(), 1000)
        .await
        .unwrap();

    let stored: Vec<_> = newest_first.into_iter().rev().map(|r| r.event).collect();
    assert_eq!(stored, batch);
}

/// The enrolled second factor, as a PACER sign-in reads it.
async fn enrollment(f: &Fixture, user: &PacerUsername) -> Option<TotpEnrollment> {
    f.store
        .pacer_sign_in(&court_id(), user)
        .await
        .unwrap()
        .found
        .and_then(|found| found.totp)
}

pub async fn audit_events_page_newest_first_under_filters(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    for (i, who) in ["alice", "bob", "alice", "alice"].iter().enumerate() {
        let event = audit_event(who, at + Duration::seconds(i as i64));
        f.store
            .append_audit(std::slice::from_ref(&event))
            .await
            .unwrap();
    }
    let alice = AuditFilter {
        subject: Some("alice".into()),
        ..Default::default()
    };

    let first = f.store.audit_events(&alice, 2).await.unwrap();
    let rest = f
        .store
        .audit_events(
            &AuditFilter {
                before: Some(AuditCursor::Id(first[1].id)),
                ..alice.clone()
            },
            2,
        )
        .await
        .unwrap();
    let since = f
        .store
        .audit_events(
            &AuditFilter {
                since: Some(at + Duration::seconds(2)),
                until: Some(at + Duration::seconds(3)),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();

    assert_eq!(first.len(), 2);
    assert!(first[0].id > first[1].id);
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].event, audit_event("alice", at));
    assert_eq!(since.len(), 1);
    assert_eq!(since[0].event.occurred_at, at + Duration::seconds(2));
}

/// A window's pages run newest first by time, then id: rows written out of
/// time order (a call's row is written when it ends) and rows of one moment
/// each appear exactly once across pages of two.
pub async fn a_time_window_pages_in_time_order_without_gaps_or_repeats(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    // Offsets in seconds, in the order the rows are written.
    let offsets = [5, 1, 3, 3, 9, 3, 0, 7, 3];
    for offset in offsets {
        let event = audit_event("alice", at + Duration::seconds(offset));
        f.store
            .append_audit(std::slice::from_ref(&event))
            .await
            .unwrap();
    }
    let window = AuditFilter {
        since: Some(at + Duration::seconds(1)),
        until: Some(at + Duration::seconds(9)),
        ..Default::default()
    };

    let mut seen = Vec::new();
    let mut filter = window.clone();
    loop {
        let page = f.store.audit_events(&filter, 2).await.unwrap();
        let Some(last) = page.last() else { break };
        filter.before = Some(window.cursor_after(last));
        assert!(matches!(filter.before, Some(AuditCursor::TimeAndId(..))));
        let full = page.len() == 2;
        seen.extend(page);
        if !full {
            break;
        }
    }

    let keys: Vec<_> = seen.iter().map(|r| (r.event.occurred_at, r.id)).collect();
    let mut expected = keys.clone();
    expected.sort_by(|a, b| b.cmp(a));
    expected.dedup();
    assert_eq!(keys, expected, "newest first by (time, id), no repeats");
    let mut times: Vec<_> = seen
        .iter()
        .map(|r| (r.event.occurred_at - at).num_seconds())
        .collect();
    times.sort_unstable();
    assert_eq!(times, [1, 3, 3, 3, 3, 5, 7]);
}

pub async fn a_totp_step_is_claimed_once_even_in_parallel(f: Fixture) {
    seed(f.store.as_ref()).await;
    let alice = pacer("alice");
    assert!(f.store.set_totp(&alice, Some(b"sealed")).await.unwrap());
    assert!(
        !f.store
            .set_totp(&pacer("nobody"), Some(b"sealed"))
            .await
            .unwrap()
    );

    let claims = (0..20).map(|_| f.store.claim_totp_step(&alice, 1000));
    let results = futures_util::future::join_all(claims).await;
    let older = f.store.claim_totp_step(&alice, 999).await.unwrap();
    let newer = f.store.claim_totp_step(&alice, 1001).await.unwrap();
    let stored = enrollment(&f, &alice).await.unwrap();

    assert_eq!(
        results.into_iter().filter(|r| *r.as_ref().unwrap()).count(),
        1
    );
    assert!(!older);
    assert!(newer);
    assert_eq!(stored.sealed_secret, b"sealed");
    assert_eq!(stored.last_step, Some(1001));
    assert!(enrollment(&f, &pacer("bob")).await.is_none());
}

pub async fn re_enrolling_forgets_the_last_step_and_removing_clears(f: Fixture) {
    seed(f.store.as_ref()).await;
    let alice = pacer("alice");
    f.store.set_totp(&alice, Some(b"one")).await.unwrap();
    f.store.claim_totp_step(&alice, 5).await.unwrap();
    f.store.set_totp(&alice, Some(b"two")).await.unwrap();
    assert_eq!(enrollment(&f, &alice).await.unwrap().last_step, None);
    f.store.set_totp(&alice, None).await.unwrap();
    assert!(enrollment(&f, &alice).await.is_none());
    assert!(!f.store.claim_totp_step(&alice, 6).await.unwrap());
}

pub async fn a_rehash_replaces_only_the_hash_it_read(f: Fixture) {
    seed(f.store.as_ref()).await;
    let alice = PasswordOwner::Pacer(pacer("alice"));
    let coalice = PasswordOwner::Ecf(court_id(), login("coalice"));

    let stale = f
        .store
        .replace_password_hash(&alice, "not-the-stored-hash", "new")
        .await
        .unwrap();
    let fresh = f
        .store
        .replace_password_hash(&alice, "hash-of-alice", "stronger-hash-of-alice")
        .await
        .unwrap();
    let ecf = f
        .store
        .replace_password_hash(&coalice, "ecf-hash-of-alice", "stronger-ecf-hash")
        .await
        .unwrap();

    assert!(!stale);
    assert!(fresh);
    assert!(ecf);
    let account = f
        .store
        .pacer_account(&pacer("alice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.password_hash, "stronger-hash-of-alice");
    let ecf_account = f
        .store
        .ecf_account(&court_id(), &login("coalice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ecf_account.password_hash.as_deref(),
        Some("stronger-ecf-hash")
    );
}

pub async fn account_status_answers_in_one_lookup(f: Fixture) {
    seed(f.store.as_ref()).await;
    use pacer_link::store::AccountKey;
    let at = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
    f.store
        .confirm_link(&flow, &login("coalice"), at)
        .await
        .unwrap();
    let status = |key: AccountKey| {
        let store = f.store.clone();
        async move { store.account_status(&court_id(), &key).await.unwrap() }
    };

    let by_ecf = status(AccountKey::Ecf(login("coalice"))).await.unwrap();
    let by_pacer = status(AccountKey::Pacer(pacer("alice"))).await.unwrap();
    let unlinked = status(AccountKey::Ecf(login("cobob"))).await.unwrap();
    let unknown = status(AccountKey::Pacer(pacer("nobody"))).await.unwrap();
    let no_court = f
        .store
        .account_status(
            &CourtId::parse("ksd").unwrap(),
            &AccountKey::Pacer(pacer("alice")),
        )
        .await
        .unwrap();

    let link = by_ecf.link.clone().unwrap();
    assert!(by_ecf.exists);
    assert_eq!(
        (link.ecf_login.as_str(), link.pacer_username.as_str()),
        ("coalice", "alice")
    );
    assert_eq!(by_pacer.link, Some(link));
    assert!(unlinked.exists && unlinked.link.is_none());
    assert!(!unknown.exists && unknown.link.is_none());
    assert!(no_court.is_none());
}

pub async fn a_pacer_sign_in_reads_the_account_its_second_factor_and_its_link(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let (alice, bob) = (pacer("alice"), pacer("bob"));
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
    f.store
        .confirm_link(&flow, &login("coalice"), at)
        .await
        .unwrap();
    f.store.set_totp(&bob, Some(b"sealed")).await.unwrap();
    let other_court = CourtId::parse("ksd").unwrap();

    let read = async |court: &CourtId, who: &PacerUsername| {
        f.store.pacer_sign_in(court, who).await.unwrap().found
    };
    let linked = read(&court_id(), &alice).await;
    let elsewhere = read(&other_court, &alice).await;
    let enrolled = read(&court_id(), &bob).await;
    let unknown = read(&court_id(), &pacer("nobody")).await;

    let linked = linked.unwrap();
    let account = f.store.pacer_account(&alice).await.unwrap().unwrap();
    assert_eq!(linked.account.username, account.username);
    assert_eq!(linked.account.password_hash, account.password_hash);
    assert_eq!(
        linked.link,
        f.store.link_of_pacer(&court_id(), &alice).await.unwrap()
    );
    assert!(linked.link.is_some() && linked.totp.is_none());
    let elsewhere = elsewhere.unwrap();
    assert!(elsewhere.link.is_none());
    let enrolled = enrolled.unwrap();
    assert_eq!(enrolled.totp.unwrap().sealed_secret, b"sealed");
    assert!(enrolled.link.is_none());
    assert!(unknown.is_none());
}

pub async fn enrolled_second_factors_are_counted(f: Fixture) {
    seed(f.store.as_ref()).await;
    let none = f.store.totp_enrollments().await.unwrap();
    f.store
        .set_totp(&pacer("alice"), Some(b"sealed"))
        .await
        .unwrap();
    let one = f.store.totp_enrollments().await.unwrap();
    f.store.set_totp(&pacer("alice"), None).await.unwrap();

    assert_eq!((none, one), (0, 1));
    assert_eq!(f.store.totp_enrollments().await.unwrap(), 0);
}
