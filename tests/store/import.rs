//! Conformance of imports: created, unchanged, conflicts, replacement with
//! a compare-and-set, linked accounts kept, dry runs and whole chunks.
use super::*;
use pacer_link::store::{ImportAccount, ImportMode, ImportResult};

fn pacer_record(name: &str, hash: &str, display: &str) -> ImportAccount {
    ImportAccount::Pacer(NewPacerAccount {
        username: pacer(name),
        password_hash: hash.into(),
        display_name: DisplayName::parse(display).unwrap(),
        upgraded: true,
    })
}

fn ecf_record(name: &str, hash: &str, display: &str) -> ImportAccount {
    ImportAccount::Ecf(NewEcfAccount {
        court_id: court_id(),
        login: login(name),
        password_hash: hash.into(),
        display_name: DisplayName::parse(display).unwrap(),
    })
}

const WRITE: ImportMode = ImportMode {
    dry_run: false,
    update_existing: false,
};
const UPDATE: ImportMode = ImportMode {
    dry_run: false,
    update_existing: true,
};
const DRY: ImportMode = ImportMode {
    dry_run: true,
    update_existing: false,
};

pub async fn an_import_creates_then_finds_the_same_accounts_unchanged(f: Fixture) {
    seed(f.store.as_ref()).await;
    let chunk = [
        pacer_record("carol", "$1$a$b", "Carol"),
        ecf_record("cocarol", "$1$c$d", "Carol"),
        // The seeded accounts, exactly as stored.
        pacer_record("alice", "hash-of-alice", "alice"),
        ecf_record("coalice", "ecf-hash-of-alice", "alice"),
    ];

    let first = f.store.import_accounts(&chunk, WRITE).await.unwrap();
    let again = f.store.import_accounts(&chunk, WRITE).await.unwrap();

    use ImportResult::*;
    assert_eq!(first, [Created, Created, Unchanged, Unchanged]);
    assert_eq!(again, [Unchanged; 4]);
    let carol = f
        .store
        .pacer_account(&pacer("carol"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(carol.password_hash, "$1$a$b");
    let cocarol = f
        .store
        .ecf_account(&court_id(), &login("cocarol"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cocarol.password_hash.as_deref(), Some("$1$c$d"));
}

pub async fn a_differing_account_is_replaced_only_when_updates_are_allowed(f: Fixture) {
    seed(f.store.as_ref()).await;
    let renamed = [
        pacer_record("alice", "hash-of-alice", "Alice Liddell"),
        ecf_record("coalice", "new-ecf-hash", "alice"),
    ];

    let refused = f.store.import_accounts(&renamed, WRITE).await.unwrap();
    let kept = f
        .store
        .pacer_account(&pacer("alice"))
        .await
        .unwrap()
        .unwrap();
    let replaced = f.store.import_accounts(&renamed, UPDATE).await.unwrap();

    assert_eq!(refused, [ImportResult::Differs, ImportResult::Differs]);
    assert_eq!(kept.display_name.as_str(), "alice");
    assert_eq!(replaced, [ImportResult::Updated, ImportResult::Updated]);
    let alice = f
        .store
        .pacer_account(&pacer("alice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice.display_name.as_str(), "Alice Liddell");
    let coalice = f
        .store
        .ecf_account(&court_id(), &login("coalice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(coalice.password_hash.as_deref(), Some("new-ecf-hash"));
}

pub async fn a_linked_ecf_account_keeps_its_retired_password(f: Fixture) {
    seed(f.store.as_ref()).await;
    let at = now();
    let flow = verified_flow(f.store.as_ref(), "alice", "coalice", at).await;
    f.store
        .confirm_link(&flow, &login("coalice"), at)
        .await
        .unwrap();

    let results = f
        .store
        .import_accounts(
            &[
                ecf_record("coalice", "ecf-hash-of-alice", "alice"),
                ecf_record("coalice", "ecf-hash-of-alice", "Alice Liddell"),
            ],
            UPDATE,
        )
        .await
        .unwrap();

    assert_eq!(results, [ImportResult::Unchanged, ImportResult::Linked]);
    let coalice = f
        .store
        .ecf_account(&court_id(), &login("coalice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(coalice.password_hash, None);
    assert_eq!(coalice.display_name.as_str(), "alice");
}

pub async fn a_dry_run_answers_for_the_whole_chunk_and_writes_nothing(f: Fixture) {
    seed(f.store.as_ref()).await;
    let chunk = [
        pacer_record("dave", "$1$a$b", "Dave"),
        pacer_record("dave", "$1$a$b", "Dave"),
        pacer_record("dave", "$1$x$y", "Dave"),
    ];

    let results = f.store.import_accounts(&chunk, DRY).await.unwrap();

    use ImportResult::*;
    assert_eq!(results, [Created, Unchanged, Differs]);
    assert!(
        f.store
            .pacer_account(&pacer("dave"))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn a_chunk_that_fails_writes_none_of_its_accounts(f: Fixture) {
    seed(f.store.as_ref()).await;
    // A CM/ECF account of a court that does not exist violates a foreign key.
    let orphan = ImportAccount::Ecf(NewEcfAccount {
        court_id: CourtId::parse("zzz").unwrap(),
        login: login("cozed"),
        password_hash: "$1$a$b".into(),
        display_name: DisplayName::parse("Zed").unwrap(),
    });

    let result = f
        .store
        .import_accounts(&[pacer_record("erin", "$1$a$b", "Erin"), orphan], WRITE)
        .await;

    assert!(result.is_err(), "{result:?}");
    assert!(
        f.store
            .pacer_account(&pacer("erin"))
            .await
            .unwrap()
            .is_none()
    );
}
