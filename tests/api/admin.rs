//! AccountAdminService: the bearer token, and what each create refuses.
use pacer_link::proto;
use tonic::{Code, Request};

use super::support::{
    admin_request, assert_reason, expect_err, spawn_app, spawn_app_with, violated_fields,
};

fn court(court_id: &str) -> proto::CreateCourtRequest {
    proto::CreateCourtRequest {
        court_id: court_id.into(),
        name: "U.S. District Court, District of Kansas".into(),
        ecf_login_prefix: "ks".into(),
        environment: "Train".into(),
    }
}

#[tokio::test]
async fn admin_calls_without_a_token_are_unauthenticated() {
    let app = spawn_app().await;

    let status = expect_err(
        app.admin
            .clone()
            .create_court(Request::new(court("ksd")))
            .await,
    );

    assert_reason(&status, Code::Unauthenticated, "ADMIN_UNAUTHENTICATED");
}

#[tokio::test]
async fn admin_calls_with_a_wrong_token_are_unauthenticated() {
    let app = spawn_app().await;
    let mut request = Request::new(court("ksd"));
    request.metadata_mut().insert(
        "authorization",
        "Bearer test-admin-token-0123456788".parse().unwrap(),
    );

    let status = expect_err(app.admin.clone().create_court(request).await);

    assert_reason(&status, Code::Unauthenticated, "ADMIN_UNAUTHENTICATED");
}

#[tokio::test]
async fn with_no_token_configured_every_admin_call_is_refused() {
    let app = spawn_app_with(|s| s.admin_token = None).await;

    let status = expect_err(
        app.admin
            .clone()
            .create_court(admin_request(court("ksd")))
            .await,
    );

    assert_reason(&status, Code::Unauthenticated, "ADMIN_UNAUTHENTICATED");
}

#[tokio::test]
async fn an_operator_can_set_up_a_court_whose_filers_then_link() {
    let app = spawn_app().await;
    let mut admin = app.admin.clone();

    let created = admin
        .create_court(admin_request(court("KSD")))
        .await
        .unwrap()
        .into_inner();
    admin
        .create_ecf_account(admin_request(proto::CreateEcfAccountRequest {
            court_id: "ksd".into(),
            login: "ksfiler".into(),
            password: "Kansas-Ecf-Pass01".into(),
            display_name: "Kansas Filer".into(),
        }))
        .await
        .unwrap();
    let started = app
        .link
        .clone()
        .authenticate_pacer(proto::AuthenticatePacerRequest {
            court_id: "ksd".into(),
            username: "hhumbert".into(),
            password: "Humbert-Train-2021!".into(),
            client_code: String::new(),
            otp_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    app.verify_ecf(&started.flow_token, "ksfiler", "Kansas-Ecf-Pass01")
        .await
        .unwrap();
    let link = app
        .confirm(&started.flow_token)
        .await
        .unwrap()
        .link
        .unwrap();

    assert_eq!(created.court_id, "ksd");
    assert_eq!(
        (link.court_id.as_str(), link.ecf_login.as_str()),
        ("ksd", "ksfiler")
    );
}

#[tokio::test]
async fn a_front_end_reads_a_courts_public_record() {
    let app = spawn_app().await;
    app.admin
        .clone()
        .create_court(admin_request(court("KSD")))
        .await
        .unwrap();
    let mut link = app.link.clone();

    let court = link
        .get_court(proto::GetCourtRequest {
            court_id: "KSD".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let unknown = expect_err(
        link.get_court(proto::GetCourtRequest {
            court_id: "nowhere".into(),
        })
        .await,
    );
    let malformed = expect_err(
        link.get_court(proto::GetCourtRequest {
            court_id: "k".into(),
        })
        .await,
    );

    assert_eq!(
        (
            court.court_id.as_str(),
            court.name.as_str(),
            court.ecf_login_prefix.as_str(),
            court.environment.as_str()
        ),
        (
            "ksd",
            "U.S. District Court, District of Kansas",
            "ks",
            "train"
        )
    );
    assert_reason(&unknown, tonic::Code::NotFound, "UNKNOWN_COURT");
    assert_eq!(violated_fields(&malformed), ["court_id"]);
    // Reads of the court's record stay out of the audit trail.
    let trail = app.audit_trail().await;
    assert!(trail.iter().all(|e| e.rpc != "GetCourt"), "{trail:?}");
}

#[tokio::test]
async fn creating_something_that_exists_is_already_exists_with_its_reason() {
    let app = spawn_app().await;
    let mut admin = app.admin.clone();

    let court = expect_err(
        admin
            .create_court(admin_request(proto::CreateCourtRequest {
                court_id: "cod".into(),
                name: "Duplicate".into(),
                ecf_login_prefix: "co".into(),
                environment: String::new(),
            }))
            .await,
    );
    let pacer = expect_err(
        admin
            .create_pacer_account(admin_request(proto::CreatePacerAccountRequest {
                username: "hhumbert".into(),
                password: "Another-Password-1".into(),
                display_name: "Someone Else".into(),
                upgraded: true,
            }))
            .await,
    );
    let ecf = expect_err(
        admin
            .create_ecf_account(admin_request(proto::CreateEcfAccountRequest {
                court_id: "cod".into(),
                login: "coattorneytwo".into(),
                password: "Another-Password-1".into(),
                display_name: "Someone Else".into(),
            }))
            .await,
    );

    assert_reason(&court, Code::AlreadyExists, "COURT_ALREADY_EXISTS");
    assert_reason(&pacer, Code::AlreadyExists, "PACER_ACCOUNT_ALREADY_EXISTS");
    assert_reason(&ecf, Code::AlreadyExists, "ECF_ACCOUNT_ALREADY_EXISTS");
}

#[tokio::test]
async fn a_cmecf_account_needs_a_known_court_and_its_prefix() {
    let app = spawn_app().await;
    let mut admin = app.admin.clone();
    let account = |court_id: &str, login: &str| proto::CreateEcfAccountRequest {
        court_id: court_id.into(),
        login: login.into(),
        password: "Some-Ecf-Password1".into(),
        display_name: "Some Filer".into(),
    };

    let unknown = expect_err(
        admin
            .create_ecf_account(admin_request(account("zzz", "zzfiler")))
            .await,
    );
    let prefix = expect_err(
        admin
            .create_ecf_account(admin_request(account("cod", "ksfiler")))
            .await,
    );

    assert_reason(&unknown, Code::NotFound, "UNKNOWN_COURT");
    assert_reason(&prefix, Code::InvalidArgument, "ECF_LOGIN_PREFIX_MISMATCH");
    assert_eq!(violated_fields(&prefix), ["ecf_login"]);
}

#[tokio::test]
async fn a_short_new_password_is_refused() {
    let app = spawn_app().await;

    let status = expect_err(
        app.admin
            .clone()
            .create_pacer_account(admin_request(proto::CreatePacerAccountRequest {
                username: "shorty".into(),
                password: "short".into(),
                display_name: "Short Password".into(),
                upgraded: true,
            }))
            .await,
    );

    assert_eq!(violated_fields(&status), ["password"]);
}

/// Passwords given to the service (the demo's training accounts were made
/// so too) are stored as argon2id at the configured cost; only imported
/// accounts may hold another format, until their first sign-in.
#[tokio::test]
async fn stored_passwords_are_argon2id_hashes() {
    let app = spawn_app().await;
    app.create_pacer("newfiler", "New-Filer-Pacer-Pass1", "New Filer")
        .await;
    app.create_ecf("conewfiler", "New-Filer-Ecf-Pass01", "New Filer")
        .await;
    let given = [
        "hhumbert",
        "cquilty",
        "coattorneytwo",
        "newfiler",
        "conewfiler",
    ];
    let hashes: Vec<_> = app
        .db
        .pairs(
            "SELECT username, password_hash FROM pacer_accounts UNION ALL \
             SELECT login, password_hash FROM ecf_accounts",
        )
        .await
        .into_iter()
        .filter(|(account, _)| given.contains(&account.as_str()))
        .collect();

    assert_eq!(hashes.len(), given.len());
    for (account, hash) in hashes {
        let hash = hash.unwrap_or_default();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{account}: {hash}"
        );
    }
}
