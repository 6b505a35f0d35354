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
    ClientCode, CourtEnvironment, CourtId, CourtName, DisplayName, EcfLogin, EcfLoginPrefix,
    FlowToken, PacerUsername,
};
use pacer_link::store::{
    self, Backend, ConfirmOutcome, Conflict, FailureOutcome, FlowRecord, FlowStage, LockoutPolicy,
    NewCourt, NewEcfAccount, NewFlow, NewPacerAccount, PoolSettings, SeenFailures, SignInSubject,
    Store, StoreError,
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
            environment: CourtEnvironment::parse("train").unwrap(),
        })
        .await
        .unwrap();
    for name in ["alice", "bob"] {
        pair(store, name, name).await;
    }
}

/// PACER account `name` and CM/ECF account `co{name}` in court `cod`, both
/// shown as `display`.
async fn pair(store: &dyn Store, name: &str, display: &str) {
    store
        .create_pacer_account(&NewPacerAccount {
            username: pacer(name),
            password_hash: format!("hash-of-{name}"),
            display_name: DisplayName::parse(display).unwrap(),
            upgraded: true,
        })
        .await
        .unwrap();
    store
        .create_ecf_account(&NewEcfAccount {
            court_id: court_id(),
            login: login(&format!("co{name}")),
            password_hash: format!("ecf-hash-of-{name}"),
            display_name: DisplayName::parse(display).unwrap(),
        })
        .await
        .unwrap();
}

fn now() -> DateTime<Utc> {
    pacer_link::clock::Clock::now(&pacer_link::clock::SystemClock)
}

/// Starts a flow for `who` and returns its token.
async fn start_flow(store: &dyn Store, who: &str, at: DateTime<Utc>) -> FlowToken {
    let token = FlowToken::generate();
    store
        .create_flow(
            &NewFlow {
                id: uuid::Uuid::new_v4(),
                token_hash: token.hash(),
                court_id: court_id(),
                pacer_username: pacer(who),
                client_code: ClientCode::default(),
                created_at: at,
                expires_at: at + Duration::minutes(10),
            },
            None,
        )
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
    // The hash a VerifyEcf would have proven: the one stored now.
    let proven = store
        .ecf_account(&court_id(), &login(ecf))
        .await
        .unwrap()
        .and_then(|account| account.password_hash)
        .unwrap_or_default();
    assert!(
        store
            .record_ecf_verified(flow.id, &login(ecf), &proven, at, None)
            .await
            .unwrap()
    );
    let flow = store.live_flow(&token.hash(), at).await.unwrap().unwrap();
    (token, flow)
}

#[path = "store/accounts.rs"]
mod accounts;
#[path = "store/coverage.rs"]
mod coverage;
#[path = "store/events.rs"]
mod events;
#[path = "store/housekeeping.rs"]
mod housekeeping;
#[path = "store/import.rs"]
mod import;
#[path = "store/lifecycle.rs"]
mod lifecycle;
#[path = "store/links.rs"]
mod links;
#[path = "store/lockout.rs"]
mod lockout;
#[path = "store/requests.rs"]
mod requests;
#[path = "store/resets.rs"]
mod resets;
#[path = "store/security.rs"]
mod security;
#[path = "store/unlinks.rs"]
mod unlinks;

mod suite {
    pub use super::accounts::*;
    pub use super::coverage::*;
    pub use super::events::*;
    pub use super::housekeeping::*;
    pub use super::import::*;
    pub use super::lifecycle::*;
    pub use super::links::*;
    pub use super::lockout::*;
    pub use super::requests::*;
    pub use super::resets::*;
    pub use super::security::*;
    pub use super::unlinks::*;
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
    a_live_flow_is_read_with_both_names_in_one_lookup,
    ecf_verification_is_recorded_only_on_open_flows,
    confirm_links_retires_the_password_and_appends_one_event,
    confirming_a_flow_that_moved_reports_flow_changed,
    a_losing_confirm_names_the_linked_side_and_writes_nothing,
    concurrent_confirms_of_one_flow_link_once,
    racing_flows_for_one_ecf_account_have_one_winner,
    parallel_failures_are_all_counted,
    the_threshold_locks_and_a_success_clears,
    security_of_an_unknown_account_is_none,
    security_shows_the_failures_of_an_account,
    security_shows_the_lock_of_the_one_time_codes,
    a_success_is_recorded_and_keeps_the_last_real_failure,
    an_unlock_ends_the_lock_and_forgets_the_failures,
    unlocking_an_account_that_never_failed_does_nothing,
    sign_in_reads_carry_the_failure_row_and_the_link,
    a_count_from_an_overtaken_read_is_neither_lost_nor_doubled,
    starting_or_verifying_a_flow_gives_the_sign_in_back,
    audit_events_page_newest_first_under_filters,
    audit_searches_match_the_normalised_subject_the_operator_and_the_caller,
    a_batch_of_audit_events_is_appended_whole_and_in_order,
    a_totp_step_is_claimed_once_even_in_parallel,
    enrolled_second_factors_are_counted,
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
    a_reset_voids_a_proof_even_when_its_clock_reads_earlier,
    a_stronger_hash_of_the_same_password_keeps_the_proof,
    after_an_unlink_and_a_reset_a_new_proof_links_again,
    an_empty_outbox_has_sequence_zero,
    events_are_numbered_from_one_without_gaps_and_paged_by_after_and_limit,
    concurrent_confirms_of_different_flows_get_consecutive_sequences_in_commit_order,
    a_confirm_that_writes_nothing_takes_no_sequence,
    a_committed_event_wakes_a_listener,
    an_import_creates_then_finds_the_same_accounts_unchanged,
    a_differing_account_is_replaced_only_when_updates_are_allowed,
    a_linked_ecf_account_keeps_its_retired_password,
    a_dry_run_answers_for_the_whole_chunk_and_writes_nothing,
    a_chunk_that_fails_writes_none_of_its_accounts,
    coverage_counts_follow_links_and_failed_sign_ins,
    kept_coverage_counts_equal_a_recount_after_every_change,
    many_statuses_answer_as_one_lookup_each_in_order,
    kept_coverage_counts_survive_failures_racing_links,
    a_time_window_pages_in_time_order_without_gaps_or_repeats,
    accounts_are_listed_in_login_order_by_link_state_a_page_at_a_time,
    expired_flows_go_unless_a_link_was_made_from_them,
    failure_rows_go_once_forgotten_unless_a_success_is_on_record,
    audit_rows_go_after_their_retention,
    an_audit_purge_continues_above_the_last_id_it_deleted,
    the_housekeeping_lock_is_free_again_once_released,
    migrating_again_keeps_the_data,
    an_open_store_answers_pings_and_counts_its_idle_connections,
    a_closed_store_refuses_calls,
    a_request_is_claimed_once_then_answered_from_storage,
    a_released_or_abandoned_claim_runs_again,
    request_ids_are_forgotten_after_their_day,
);
