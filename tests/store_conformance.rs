//! One conformance suite for every `Store` implementation: each test below
//! runs against PostgreSQL and against SQLite.
#[allow(dead_code)]
#[path = "support/database.rs"]
mod database;
#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use pacer_link::domain::{
    ClientCode, CourtId, CourtName, DisplayName, EcfLogin, EcfLoginPrefix, FlowToken, PacerUsername,
};
use pacer_link::store::{
    self, Backend, ConfirmOutcome, Conflict, FailureOutcome, FlowRecord, FlowStage, LockoutPolicy,
    NewCourt, NewEcfAccount, NewFlow, NewPacerAccount, PoolSettings, SignInSubject, Store,
    StoreError,
};

/// A migrated, empty store. Tests see it only through the trait; the
/// database is held so that a SQLite file outlives the store.
struct Fixture {
    store: Arc<dyn Store>,
    _db: database::TestDatabase,
}

async fn fixture(backend: Backend) -> Fixture {
    let db = database::TestDatabase::fresh(backend).await;
    let settings = PoolSettings {
        max_connections: 8,
        acquire_timeout: std::time::Duration::from_secs(5),
    };
    let store = store::open(&db.url, &settings).await.expect("open store");
    store.migrate().await.expect("migrate");
    Fixture { store, _db: db }
}

fn court_id() -> CourtId {
    CourtId::parse("cod").unwrap()
}

fn pacer(name: &str) -> PacerUsername {
    PacerUsername::parse(name).unwrap()
}

fn login(name: &str) -> EcfLogin {
    EcfLogin::parse(name).unwrap()
}

/// A court `cod`, PACER accounts `alice` and `bob`, CM/ECF accounts `coalice` and `cobob`.
async fn seed(store: &dyn Store) {
    store
        .create_court(&NewCourt {
            id: court_id(),
            name: CourtName::parse("District of Colorado").unwrap(),
            ecf_login_prefix: EcfLoginPrefix::parse("co").unwrap(),
        })
        .await
        .unwrap();
    for name in ["alice", "bob"] {
        store
            .create_pacer_account(&NewPacerAccount {
                username: pacer(name),
                password_hash: format!("hash-of-{name}"),
                display_name: DisplayName::parse(name).unwrap(),
                upgraded: true,
            })
            .await
            .unwrap();
        store
            .create_ecf_account(&NewEcfAccount {
                court_id: court_id(),
                login: login(&format!("co{name}")),
                password_hash: format!("ecf-hash-of-{name}"),
                display_name: DisplayName::parse(name).unwrap(),
            })
            .await
            .unwrap();
    }
}

fn now() -> DateTime<Utc> {
    pacer_link::linking::clock::Clock::now(&pacer_link::linking::clock::SystemClock)
}

/// Starts a flow for `who` and returns its token.
async fn start_flow(store: &dyn Store, who: &str, at: DateTime<Utc>) -> FlowToken {
    let token = FlowToken::generate();
    store
        .create_flow(&NewFlow {
            id: uuid::Uuid::new_v4(),
            token_hash: token.hash(),
            court_id: court_id(),
            pacer_username: pacer(who),
            client_code: ClientCode::default(),
            created_at: at,
            expires_at: at + Duration::minutes(10),
        })
        .await
        .unwrap();
    token
}

/// Starts a flow for `who` and records `ecf` as verified on it.
async fn verified_flow(store: &dyn Store, who: &str, ecf: &str, at: DateTime<Utc>) -> FlowRecord {
    verified_flow_and_token(store, who, ecf, at).await.1
}

/// As `verified_flow`, with the flow's token.
async fn verified_flow_and_token(
    store: &dyn Store,
    who: &str,
    ecf: &str,
    at: DateTime<Utc>,
) -> (FlowToken, FlowRecord) {
    let token = start_flow(store, who, at).await;
    let flow = store.live_flow(&token.hash(), at).await.unwrap().unwrap();
    assert!(
        store
            .record_ecf_verified(flow.id, &login(ecf), at)
            .await
            .unwrap()
    );
    let flow = store.live_flow(&token.hash(), at).await.unwrap().unwrap();
    (token, flow)
}

#[path = "store_conformance/events.rs"]
mod events;
#[path = "store_conformance/lifecycle.rs"]
mod lifecycle;
#[path = "store_conformance/security.rs"]
mod security;
#[path = "store_conformance/unlinks.rs"]
mod unlinks;

mod suite {
    pub use super::events::*;
    pub use super::lifecycle::*;
    pub use super::security::*;
    pub use super::unlinks::*;
    use super::*;
    use pacer_link::store::LinkEventKind;

    pub async fn accounts_round_trip(f: Fixture) {
        seed(f.store.as_ref()).await;

        let court = f.store.court(&court_id()).await.unwrap().unwrap();
        let alice = f
            .store
            .pacer_account(&pacer("alice"))
            .await
            .unwrap()
            .unwrap();
        let ecf = f
            .store
            .ecf_account(&court_id(), &login("coalice"))
            .await
            .unwrap()
            .unwrap();

        assert_eq!(court.ecf_login_prefix.as_str(), "co");
        assert_eq!(
            (alice.password_hash.as_str(), alice.upgraded),
            ("hash-of-alice", true)
        );
        assert_eq!(ecf.password_hash.as_deref(), Some("ecf-hash-of-alice"));
        assert!(
            f.store
                .pacer_account(&pacer("carol"))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            f.store
                .ecf_account(&court_id(), &login("cocarol"))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            f.store
                .court(&CourtId::parse("ksd").unwrap())
                .await
                .unwrap()
                .is_none()
        );
    }

    pub async fn duplicates_are_named_conflicts(f: Fixture) {
        seed(f.store.as_ref()).await;
        let court = f.store.court(&court_id()).await.unwrap().unwrap();
        let alice = f
            .store
            .pacer_account(&pacer("alice"))
            .await
            .unwrap()
            .unwrap();
        let ecf = NewEcfAccount {
            court_id: court_id(),
            login: login("coalice"),
            password_hash: "x".into(),
            display_name: DisplayName::parse("x").unwrap(),
        };

        let court = f.store.create_court(&court).await.unwrap_err();
        let pacer = f.store.create_pacer_account(&alice).await.unwrap_err();
        let ecf = f.store.create_ecf_account(&ecf).await.unwrap_err();

        assert!(
            matches!(court, StoreError::Conflict(Conflict::Court)),
            "{court:?}"
        );
        assert!(
            matches!(pacer, StoreError::Conflict(Conflict::PacerAccount)),
            "{pacer:?}"
        );
        assert!(
            matches!(ecf, StoreError::Conflict(Conflict::EcfAccount)),
            "{ecf:?}"
        );
    }

    pub async fn an_ecf_account_needs_its_court(f: Fixture) {
        let result = f
            .store
            .create_ecf_account(&NewEcfAccount {
                court_id: CourtId::parse("zzz").unwrap(),
                login: login("zzfiler"),
                password_hash: "x".into(),
                display_name: DisplayName::parse("x").unwrap(),
            })
            .await;

        assert!(
            matches!(result, Err(StoreError::UnknownCourt)),
            "{result:?}"
        );
    }

    pub async fn expired_flows_are_not_live(f: Fixture) {
        seed(f.store.as_ref()).await;
        let start = now();
        let token = start_flow(f.store.as_ref(), "alice", start).await;

        let before = f
            .store
            .live_flow(
                &token.hash(),
                start + Duration::minutes(10) - Duration::microseconds(1),
            )
            .await
            .unwrap();
        let at_expiry = f
            .store
            .live_flow(&token.hash(), start + Duration::minutes(10))
            .await
            .unwrap();

        assert_eq!(before.unwrap().stage, FlowStage::PacerAuthenticated);
        assert!(at_expiry.is_none());
    }

    pub async fn ecf_verification_is_recorded_only_on_open_flows(f: Fixture) {
        seed(f.store.as_ref()).await;
        let start = now();
        let flow = verified_flow(f.store.as_ref(), "alice", "coalice", start).await;

        let expired = f
            .store
            .record_ecf_verified(flow.id, &login("cobob"), start + Duration::hours(1))
            .await
            .unwrap();
        let unknown = f
            .store
            .record_ecf_verified(uuid::Uuid::new_v4(), &login("cobob"), start)
            .await
            .unwrap();

        assert_eq!(flow.stage, FlowStage::EcfVerified(login("coalice")));
        assert!(!expired);
        assert!(!unknown);
    }

    pub async fn confirm_links_retires_the_password_and_appends_one_event(f: Fixture) {
        seed(f.store.as_ref()).await;
        let at = now();
        let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;

        let outcome = f
            .store
            .confirm_link(&flow, &login("coalice"), at)
            .await
            .unwrap();

        let ConfirmOutcome::Linked(link) = outcome else {
            panic!("not linked: {outcome:?}")
        };
        assert_eq!(link.linked_at, at);
        assert_eq!(
            f.store.link_of_flow(flow.id).await.unwrap(),
            Some(link.clone())
        );
        assert_eq!(
            f.store
                .link_of_pacer(&court_id(), &pacer("alice"))
                .await
                .unwrap(),
            Some(link.clone())
        );
        assert_eq!(
            f.store
                .link_of_ecf(&court_id(), &login("coalice"))
                .await
                .unwrap(),
            Some(link.clone())
        );
        let ecf = f
            .store
            .ecf_account(&court_id(), &login("coalice"))
            .await
            .unwrap()
            .unwrap();
        assert!(ecf.password_hash.is_none());
        let events = f.store.events_after(0, 10).await.unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(
            (events[0].sequence, events[0].kind, events[0].occurred_at),
            (1, LinkEventKind::Linked, at)
        );
        assert_eq!(
            (&events[0].ecf_login, &events[0].pacer_username),
            (&link.ecf_login, &link.pacer_username)
        );
        assert_eq!(f.store.last_event_sequence().await.unwrap(), 1);
    }

    pub async fn confirming_a_flow_that_moved_reports_flow_changed(f: Fixture) {
        seed(f.store.as_ref()).await;
        let at = now();
        let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;

        let other_login = f
            .store
            .confirm_link(&flow, &login("cobob"), at)
            .await
            .unwrap();
        let expired = f
            .store
            .confirm_link(&flow, &login("coalice"), at + Duration::hours(1))
            .await
            .unwrap();
        f.store
            .confirm_link(&flow, &login("coalice"), at)
            .await
            .unwrap();
        let again = f
            .store
            .confirm_link(&flow, &login("coalice"), at)
            .await
            .unwrap();

        assert_eq!(other_login, ConfirmOutcome::FlowChanged);
        assert_eq!(expired, ConfirmOutcome::FlowChanged);
        assert_eq!(again, ConfirmOutcome::FlowChanged);
        assert!(
            f.store
                .link_of_ecf(&court_id(), &login("cobob"))
                .await
                .unwrap()
                .is_none()
        );
        assert!(f.store.link_of_flow(flow.id).await.unwrap().is_some());
        assert_eq!(f.store.last_event_sequence().await.unwrap(), 1);
    }

    pub async fn a_losing_confirm_names_the_linked_side_and_writes_nothing(f: Fixture) {
        seed(f.store.as_ref()).await;
        let at = now();
        let alice = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
        let (bob_token, bob_same_ecf) =
            verified_flow_and_token(f.store.as_ref(), "bob", "coalice", at).await;
        let (alice_token, alice_other_ecf) =
            verified_flow_and_token(f.store.as_ref(), "alice", "cobob", at).await;
        f.store
            .confirm_link(&alice, &login("coalice"), at)
            .await
            .unwrap();

        let ecf_taken = f
            .store
            .confirm_link(&bob_same_ecf, &login("coalice"), at)
            .await
            .unwrap_err();
        let pacer_taken = f
            .store
            .confirm_link(&alice_other_ecf, &login("cobob"), at)
            .await
            .unwrap_err();

        assert!(
            matches!(ecf_taken, StoreError::Conflict(Conflict::EcfAccountLinked)),
            "{ecf_taken:?}"
        );
        assert!(
            matches!(
                pacer_taken,
                StoreError::Conflict(Conflict::PacerAccountLinked)
            ),
            "{pacer_taken:?}"
        );
        let bob_ecf = f
            .store
            .ecf_account(&court_id(), &login("cobob"))
            .await
            .unwrap()
            .unwrap();
        assert!(bob_ecf.password_hash.is_some());
        assert!(
            f.store
                .link_of_pacer(&court_id(), &pacer("bob"))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            f.store
                .link_of_ecf(&court_id(), &login("cobob"))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            f.store
                .link_of_flow(bob_same_ecf.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            f.store
                .link_of_flow(alice_other_ecf.id)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(f.store.last_event_sequence().await.unwrap(), 1);
        for (token, ecf) in [(bob_token, "coalice"), (alice_token, "cobob")] {
            let flow = f.store.live_flow(&token.hash(), at).await.unwrap().unwrap();
            assert_eq!(
                flow.stage,
                FlowStage::EcfVerified(login(ecf)),
                "a losing flow moved"
            );
        }
    }

    pub async fn concurrent_confirms_of_one_flow_link_once(f: Fixture) {
        seed(f.store.as_ref()).await;
        let at = now();
        let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;

        let ecf = flow_login(&flow);
        let attempts = (0..20).map(|_| f.store.confirm_link(&flow, &ecf, at));
        let outcomes = futures_util::future::join_all(attempts).await;

        let linked = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(ConfirmOutcome::Linked(_))))
            .count();
        let changed = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(ConfirmOutcome::FlowChanged)))
            .count();
        assert_eq!((linked, changed), (1, 19), "{outcomes:?}");
        assert_eq!(f.store.events_after(0, 10).await.unwrap().len(), 1);
        assert_eq!(f.store.last_event_sequence().await.unwrap(), 1);
    }

    pub async fn racing_flows_for_one_ecf_account_have_one_winner(f: Fixture) {
        seed(f.store.as_ref()).await;
        let at = now();
        let alice = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
        let bob = verified_flow(f.store.as_ref(), "bob", "coalice", at).await;

        let ecf = login("coalice");
        let (a, b) = tokio::join!(
            f.store.confirm_link(&alice, &ecf, at),
            f.store.confirm_link(&bob, &ecf, at)
        );

        let results = [a, b];
        assert_eq!(
            results
                .iter()
                .filter(|r| matches!(r, Ok(ConfirmOutcome::Linked(_))))
                .count(),
            1
        );
        assert_eq!(
            results
                .iter()
                .filter(|r| matches!(r, Err(StoreError::Conflict(Conflict::EcfAccountLinked))))
                .count(),
            1,
            "{results:?}"
        );
    }

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

    fn flow_login(flow: &FlowRecord) -> EcfLogin {
        match &flow.stage {
            FlowStage::EcfVerified(login) => login.clone(),
            other => panic!("flow not verified: {other:?}"),
        }
    }
}

/// Expands every suite test once per backend.
macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    super::suite::$test(super::fixture(super::Backend::Postgres).await).await;
                }
            )*
        }
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::suite::$test(super::fixture(super::Backend::Sqlite).await).await;
                }
            )*
        }
    };
}

conformance!(
    accounts_round_trip,
    duplicates_are_named_conflicts,
    an_ecf_account_needs_its_court,
    expired_flows_are_not_live,
    ecf_verification_is_recorded_only_on_open_flows,
    confirm_links_retires_the_password_and_appends_one_event,
    confirming_a_flow_that_moved_reports_flow_changed,
    a_losing_confirm_names_the_linked_side_and_writes_nothing,
    concurrent_confirms_of_one_flow_link_once,
    racing_flows_for_one_ecf_account_have_one_winner,
    parallel_failures_are_all_counted,
    the_threshold_locks_and_a_success_clears,
    audit_events_page_newest_first_under_filters,
    a_batch_of_audit_events_is_appended_whole_and_in_order,
    a_totp_step_is_claimed_once_even_in_parallel,
    re_enrolling_forgets_the_last_step_and_removing_clears,
    a_rehash_replaces_only_the_hash_it_read,
    account_status_answers_in_one_lookup,
    a_pacer_sign_in_reads_the_account_its_second_factor_and_its_link,
    unlinking_removes_the_link_keeps_the_password_retired_and_appends_the_next_event,
    unlinking_an_account_without_a_link_appends_nothing,
    concurrent_unlinks_of_one_link_remove_it_once,
    an_unlink_racing_a_confirm_of_the_same_account_leaves_it_unlinked,
    a_reset_is_refused_while_linked_and_needs_an_existing_account,
    a_reset_voids_a_proof_made_before_it,
    after_an_unlink_and_a_reset_a_new_proof_links_again,
    an_empty_outbox_has_sequence_zero,
    events_are_numbered_from_one_without_gaps_and_paged_by_after_and_limit,
    concurrent_confirms_of_different_flows_get_consecutive_sequences_in_commit_order,
    a_confirm_that_writes_nothing_takes_no_sequence,
    a_committed_event_wakes_a_listener,
    migrating_again_keeps_the_data,
    an_open_store_answers_pings_and_counts_its_idle_connections,
    a_closed_store_refuses_calls,
);
