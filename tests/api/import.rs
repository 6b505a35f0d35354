//! ImportAccounts: legacy hashes made by independent implementations link
//! with their passwords; re-imports, conflicts, dry runs and bad records.
use std::time::Duration;

use pacer_link::proto::{self, account_record::Account};
use pacer_link::reason;
use tonic::Code;

use super::support::{TestApp, admin_request, assert_reason, expect_err, spawn_app};

/// One hash per format, each with its password, made by OpenSSL, mkpasswd,
/// Python's bcrypt and hashlib, passlib and argon2-cffi.
const FORMATS: [(&str, &str, &str); 9] = [
    ("md5", "$1$saltsalt$ZliGyAN3DciDHEkDboonh/", "hunter2"),
    (
        "sha256",
        "$5$rounds=12345$roundsalt$eGJT1qo2a63hp2tJcMxvZiH7lEGNUlFtVo5SZ9.Nfb1",
        "rounds pass",
    ),
    (
        "sha512",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
        "Hello world!",
    ),
    (
        "bcrypt",
        "$2y$04$8g/HDSXWWf27WyUtsTUeU.RUVU4kEhZSPD0YecE.P/HBf.kj/dTg.",
        "php style",
    ),
    (
        "pbkdf2",
        "$pbkdf2-sha256$i=1000,l=32$c2l4dGVlbiBieXRlIHNhbA$oZCQho0sxuCg/YzCSXlkbZKM+Czx6FW7U8RMscvRB7E",
        "hunter2",
    ),
    (
        "pbkdf2sha512",
        "$pbkdf2-sha512$1200$MEbImVPqHYOQEkJozbkXog$WFCuxuCUkpug/BaIQ14BDGyF387TliY1OnT0yhA9QpJX2FEZoPJhTF4ukGtwkZ0lhxqjoArz9mIYDZ2HXhRHNw",
        "passlib form",
    ),
    (
        "scrypt",
        "$scrypt$ln=10,r=8,p=1$TmFDbE5hQ2xOYUNsTmFDbA$W1RyF2xvGe5I442Lvz4kh8752PiYDxsIhW4ku7AFJj0",
        "hunter2",
    ),
    (
        "argon2id",
        "$argon2id$v=19$m=256,t=2,p=1$kYTCAlcNiW1XSGIa/kgxlQ$4rFaMOQ/Agr81+l+93XgtaKMrZSgnI1GY6hoHPmIFUo",
        "hunter2",
    ),
    (
        "argon2i",
        "$argon2i$v=19$m=256,t=3,p=1$j2wLu54yWmQVqBEd2JnEtQ$PRWaNnl2qUWVIvMpCID6WVp7E8cM2m5yLc0D8fWBLxE",
        "hunter2",
    ),
];

fn pacer(username: &str, name: &str, hash: &str) -> proto::AccountRecord {
    proto::AccountRecord {
        account: Some(Account::Pacer(proto::PacerAccountRecord {
            username: username.into(),
            display_name: name.into(),
            upgraded: true,
            password_hash: hash.into(),
        })),
    }
}

fn ecf(login: &str, name: &str, hash: &str) -> proto::AccountRecord {
    ecf_in("cod", login, name, hash)
}

fn ecf_in(court: &str, login: &str, name: &str, hash: &str) -> proto::AccountRecord {
    proto::AccountRecord {
        account: Some(Account::Ecf(proto::EcfAccountRecord {
            court_id: court.into(),
            login: login.into(),
            display_name: name.into(),
            password_hash: hash.into(),
        })),
    }
}

/// Streams `records` with the options on every message.
async fn import(
    app: &TestApp,
    records: Vec<proto::AccountRecord>,
    dry_run: bool,
    update_existing: bool,
) -> proto::ImportAccountsResponse {
    let messages = records
        .into_iter()
        .map(move |record| proto::ImportAccountsRequest {
            record: Some(record),
            dry_run,
            update_existing,
        });
    app.admin
        .clone()
        .import_accounts(admin_request(tokio_stream::iter(messages)))
        .await
        .expect("ImportAccounts")
        .into_inner()
}

fn counts(r: &proto::ImportAccountsResponse) -> (u64, u64, u64, u64) {
    (r.created, r.unchanged, r.updated, r.rejected)
}

fn rejections(r: &proto::ImportAccountsResponse) -> Vec<(u64, &str, &str)> {
    r.rejections
        .iter()
        .map(|x| (x.index, x.reason.as_str(), x.field.as_str()))
        .collect()
}

/// Every format: the pair imported with a legacy hash on each side links
/// with the right passwords; a wrong password is refused on both sides.
#[tokio::test]
async fn every_accepted_format_signs_in_and_links_with_its_password_only() {
    let app = spawn_app().await;
    let records = FORMATS
        .iter()
        .flat_map(|(tag, hash, _)| {
            [
                pacer(&format!("imported{tag}"), "Imported Filer", hash),
                ecf(&format!("coimported{tag}"), "IMPORTED  filer.", hash),
            ]
        })
        .collect();

    let summary = import(&app, records, false, false).await;

    assert_eq!(
        counts(&summary),
        (18, 0, 0, 0),
        "{:?}",
        rejections(&summary)
    );
    for (tag, _, password) in FORMATS {
        let (username, login) = (format!("imported{tag}"), format!("coimported{tag}"));
        let wrong_pacer = app.authenticate(&username, "not-the-password").await;
        assert_reason(
            &expect_err(wrong_pacer),
            Code::Unauthenticated,
            "INVALID_CREDENTIALS",
        );
        let token = app
            .authenticate(&username, password)
            .await
            .unwrap_or_else(|e| panic!("{tag}: {e:?}"))
            .flow_token;
        let wrong_ecf = app.verify_ecf(&token, &login, "not-the-password").await;
        assert_reason(
            &expect_err(wrong_ecf),
            Code::Unauthenticated,
            "INVALID_CREDENTIALS",
        );
        app.verify_ecf(&token, &login, password)
            .await
            .unwrap_or_else(|e| panic!("{tag}: {e:?}"));
        let preview = app.preview(&token).await.unwrap();
        assert!(preview.names_match, "{tag}: the names read the same");
        app.confirm(&token)
            .await
            .unwrap_or_else(|e| panic!("{tag}: {e:?}"));
    }
}

#[tokio::test]
async fn the_same_records_again_are_unchanged_and_a_dry_run_writes_nothing() {
    let app = spawn_app().await;
    let (_, md5, _) = FORMATS[0];
    let records = || {
        vec![
            pacer("importee", "Imported Filer", md5),
            ecf("coimportee", "Imported Filer", md5),
        ]
    };

    let dry = import(&app, records(), true, false).await;
    let after_dry_run = app.authenticate("importee", "hunter2").await;
    let first = import(&app, records(), false, false).await;
    let again = import(&app, records(), false, false).await;

    assert!(dry.dry_run);
    assert_eq!(counts(&dry), (2, 0, 0, 0));
    assert_reason(
        &expect_err(after_dry_run),
        Code::Unauthenticated,
        "INVALID_CREDENTIALS",
    );
    assert_eq!(counts(&first), (2, 0, 0, 0));
    assert_eq!(counts(&again), (0, 2, 0, 0));
}

#[tokio::test]
async fn a_differing_record_is_a_conflict_unless_updates_are_allowed() {
    let app = spawn_app().await;
    let (_, md5, _) = FORMATS[0];
    let (_, bcrypt, bcrypt_password) = FORMATS[3];
    import(
        &app,
        vec![pacer("movingfiler", "Moving Filer", md5)],
        false,
        false,
    )
    .await;

    let refused = import(
        &app,
        vec![pacer("movingfiler", "Moving Filer", bcrypt)],
        false,
        false,
    )
    .await;
    let still_old = app.authenticate("movingfiler", bcrypt_password).await;
    let updated = import(
        &app,
        vec![pacer("movingfiler", "Moving Filer", bcrypt)],
        false,
        true,
    )
    .await;
    let now_new = app.authenticate("movingfiler", bcrypt_password).await;

    assert_eq!(counts(&refused), (0, 0, 0, 1));
    assert_eq!(rejections(&refused), [(0, reason::CONFLICT, "pacer")]);
    assert!(still_old.is_err());
    assert_eq!(counts(&updated), (0, 0, 1, 0));
    assert!(now_new.is_ok(), "{now_new:?}");
}

#[tokio::test]
async fn a_linked_ecf_account_is_never_overwritten() {
    let app = spawn_app().await;
    let (_, md5, password) = FORMATS[0];
    import(
        &app,
        vec![
            pacer("linkme", "Link Me", md5),
            ecf("colinkme", "Link Me", md5),
        ],
        false,
        false,
    )
    .await;
    let token = app
        .verified_flow(("linkme", password), ("colinkme", password))
        .await;
    app.confirm(&token).await.unwrap();

    let same = import(&app, vec![ecf("colinkme", "Link Me", md5)], false, true).await;
    let renamed = import(
        &app,
        vec![ecf("colinkme", "Someone Else", md5)],
        false,
        true,
    )
    .await;

    assert_eq!(
        counts(&same),
        (0, 1, 0, 0),
        "linking retired the legacy password"
    );
    assert_eq!(
        rejections(&renamed),
        [(0, reason::ECF_ACCOUNT_ALREADY_LINKED, "ecf.display_name")]
    );
}

#[tokio::test]
async fn bad_records_are_rejected_by_index_and_the_rest_imported() {
    let app = spawn_app().await;
    let (_, md5, _) = FORMATS[0];
    let records = vec![
        pacer("goodone", "Good One", md5),
        pacer("plaintext", "Plain Text", "Plain-Text-Password-1"),
        ecf_in("zzz", "cozzz", "Nowhere Court", md5),
        ecf("xxwrongprefix", "Wrong Prefix", md5),
        pacer("bad name!", "Bad Name", md5),
        pacer(
            "costly",
            "Too Costly",
            "$2b$31$ADnnoXRzL8xZ9DqdP/Q48.GSUB4ZjiFSn3v5P0BTITOJCWrFbIUfu",
        ),
        proto::AccountRecord { account: None },
        ecf("cogoodtwo", "Good Two", md5),
    ];

    let summary = import(&app, records, false, false).await;

    assert_eq!(counts(&summary), (2, 0, 0, 6));
    assert_eq!(
        rejections(&summary),
        [
            (1, reason::UNSUPPORTED_PASSWORD_HASH, "pacer.password_hash"),
            (2, reason::UNKNOWN_COURT, "ecf.court_id"),
            (3, reason::ECF_LOGIN_PREFIX_MISMATCH, "ecf.login"),
            (4, reason::INVALID_ARGUMENT, "pacer.username"),
            (5, reason::UNSUPPORTED_PASSWORD_HASH, "pacer.password_hash"),
            (6, reason::INVALID_ARGUMENT, "record"),
        ]
    );
    assert!(app.authenticate("goodone", "hunter2").await.is_ok());
}

/// The first successful sign-in replaces an imported hash with argon2id at
/// the configured cost; the password still works afterwards.
#[tokio::test]
async fn an_imported_pacer_hash_is_argon2id_after_the_first_sign_in() {
    let app = spawn_app().await;
    let (_, bcrypt, password) = FORMATS[3];
    import(
        &app,
        vec![pacer("rehashme", "Rehash Me", bcrypt)],
        false,
        false,
    )
    .await;

    app.authenticate("rehashme", password).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let stored = loop {
        let hash = stored_pacer_hash(&app, "rehashme").await;
        if hash.starts_with("$argon2id$") || tokio::time::Instant::now() > deadline {
            break hash;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let again = app.authenticate("rehashme", password).await;

    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "not rehashed"
    );
    assert!(again.is_ok(), "{again:?}");
}

async fn stored_pacer_hash(app: &TestApp, username: &str) -> String {
    app.db
        .pairs("SELECT username, password_hash FROM pacer_accounts")
        .await
        .into_iter()
        .find(|(user, _)| user == username)
        .and_then(|(_, hash)| hash)
        .unwrap_or_default()
}

/// The demo's pair for each format links with the password the README lists,
/// and the names, spelled as a legacy system would, read as the same.
#[tokio::test]
async fn the_demo_accounts_of_every_format_link_with_their_listed_passwords() {
    let app = spawn_app().await;

    for (username, login, password) in pacer_link::linking::demo::IMPORTED {
        let token = app
            .verified_flow((username, password), (login, password))
            .await;
        let preview = app.preview(&token).await.unwrap();
        assert!(preview.names_match, "{username}: {preview:?}");
        app.confirm(&token)
            .await
            .unwrap_or_else(|e| panic!("{username}: {e:?}"));
    }
}

/// Records span several chunks (written while the next is read); a record
/// repeating an earlier one of another chunk is compared with it.
#[tokio::test]
async fn a_long_stream_is_written_in_order_across_chunks() {
    let app = spawn_app().await;
    let (_, md5, _) = FORMATS[0];
    let mut records: Vec<_> = (0..250)
        .map(|i| pacer(&format!("bulk{i:03}"), "Bulk Filer", md5))
        .collect();
    records[150] = pacer("bulk010", "Someone Else", md5);
    records[220] = pacer("bulk020", "Bulk Filer", md5);

    let summary = import(&app, records, false, false).await;

    assert_eq!(counts(&summary), (248, 1, 0, 1));
    assert_eq!(rejections(&summary), [(150, reason::CONFLICT, "pacer")]);
}
