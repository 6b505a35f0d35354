//! Canary secrets through the real `pacer-link serve` process: passwords,
//! flow tokens, one-time codes and the TOTP secret are planted, whole flows
//! run, and then every log line (JSON, debug level), every exported span,
//! every error answer, every audit row and the database file itself are
//! searched for them. Expected hits: zero.
use std::process::Stdio;

use pacer_link::{
    mfa,
    proto::{
        self, account_admin_service_client::AccountAdminServiceClient,
        account_link_service_client::AccountLinkServiceClient,
        filer_auth_service_client::FilerAuthServiceClient,
    },
};
use prost::Message;
use tonic::{Request, Response, Status};

use crate::support::otlp::Receiver;
use crate::support::process::{connect, serve_command};

const ADMIN_TOKEN: &str = "canary-admin-token-000000000000";
const TOTP_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const PACER_PASSWORD: &str = "Canary-Pacer-Pw-7f3a91";
const ECF_PASSWORD: &str = "Canary-Ecf-Pw-2b8c47";
const WRONG_PASSWORD: &str = "Canary-Wrong-Pw-5d1e03";
const TOTP_SECRET: &[u8] = b"canary-totp-secret-42";

fn admin<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    request
}

/// Everything an answer shows a caller: code, message and details.
fn answer_bytes<T>(result: &Result<Response<T>, Status>) -> Vec<u8> {
    match result {
        Ok(_) => Vec::new(),
        Err(status) => [status.message().as_bytes(), status.details()].concat(),
    }
}

fn code_at(step_offset: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    String::from_utf8(mfa::code_at(TOTP_SECRET, mfa::step_at(now) + step_offset).to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_appear_in_no_log_trace_answer_audit_row_or_table() {
    let (receiver, otlp_endpoint) = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut command, addr) = serve_command(dir.path());
    let db_path = dir.path().join("db");
    let mut server = command
        .env("PACER_LINK_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("PACER_LINK_TOTP_KEY", TOTP_KEY)
        .env("PACER_LINK_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp_endpoint)
        .env("PACER_LINK_SHUTDOWN_GRACE_SECS", "5")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained as it is written, so a full pipe never blocks the server.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(server.stdout.take().unwrap()));
    let stderr = drain(Box::new(server.stderr.take().unwrap()));
    let channel = connect(&addr).await;
    let mut admin_client = AccountAdminServiceClient::new(channel.clone());
    let mut link = AccountLinkServiceClient::new(channel.clone());
    let mut filer = FilerAuthServiceClient::new(channel.clone());
    let mut answers = Vec::new();

    admin_client
        .create_pacer_account(admin(proto::CreatePacerAccountRequest {
            username: "canary-filer".into(),
            password: PACER_PASSWORD.into(),
            display_name: "Canary Filer".into(),
            upgraded: true,
        }))
        .await
        .unwrap();
    admin_client
        .create_ecf_account(admin(proto::CreateEcfAccountRequest {
            court_id: "cod".into(),
            login: "cocanary".into(),
            password: ECF_PASSWORD.into(),
            display_name: "Canary Filer".into(),
        }))
        .await
        .unwrap();
    admin_client
        .enroll_totp(admin(proto::EnrollTotpRequest {
            request_id: String::new(),
            username: "canary-filer".into(),
            secret_base32: mfa::base32_encode(TOTP_SECRET),
            remove: false,
        }))
        .await
        .unwrap();
    let sign_in = |password: &str, otp: String| proto::AuthenticatePacerRequest {
        court_id: "cod".into(),
        username: "canary-filer".into(),
        password: password.into(),
        otp_code: otp,
        ..Default::default()
    };
    let current = code_at(0);
    // A wrong code: the current one with its last digit changed.
    let wrong_code = format!(
        "{}{}",
        &current[..5],
        (current.as_bytes()[5] - b'0' + 1) % 10
    );
    for request in [
        sign_in(WRONG_PASSWORD, String::new()),
        sign_in(PACER_PASSWORD, String::new()),
        sign_in(PACER_PASSWORD, wrong_code.clone()),
    ] {
        let result = link.authenticate_pacer(request).await;
        assert!(result.is_err());
        answers.extend(answer_bytes(&result));
    }
    let started = link
        .authenticate_pacer(sign_in(PACER_PASSWORD, current.clone()))
        .await
        .unwrap()
        .into_inner();
    let replayed = link
        .authenticate_pacer(sign_in(PACER_PASSWORD, current.clone()))
        .await;
    answers.extend(answer_bytes(&replayed));
    let token = started.flow_token.clone();
    for password in [WRONG_PASSWORD, ECF_PASSWORD] {
        let result = link
            .verify_ecf(proto::VerifyEcfRequest {
                flow_token: token.clone(),
                ecf_login: "cocanary".into(),
                ecf_password: password.into(),
            })
            .await;
        answers.extend(answer_bytes(&result));
    }
    link.preview_link(proto::PreviewLinkRequest {
        flow_token: token.clone(),
    })
    .await
    .unwrap();
    link.confirm_link(proto::ConfirmLinkRequest {
        flow_token: token.clone(),
    })
    .await
    .unwrap();
    let malformed = link
        .confirm_link(proto::ConfirmLinkRequest {
            flow_token: format!("{token}!"),
        })
        .await;
    answers.extend(answer_bytes(&malformed));
    let next_code = code_at(1);
    let filer_sign_in = filer
        .authenticate_filer(proto::AuthenticateFilerRequest {
            court_id: "cod".into(),
            username: "canary-filer".into(),
            password: PACER_PASSWORD.into(),
            otp_code: next_code.clone(),
        })
        .await;
    assert!(filer_sign_in.is_ok(), "{filer_sign_in:?}");
    let ecf_old_password = link
        .authenticate_pacer(proto::AuthenticatePacerRequest {
            court_id: "cod".into(),
            username: "cocanary".into(),
            password: ECF_PASSWORD.into(),
            ..Default::default()
        })
        .await;
    answers.extend(answer_bytes(&ecf_old_password));
    let audit = admin_client
        .list_audit_events(admin(proto::ListAuditEventsRequest {
            page_size: 1000,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        audit.events.len() >= 14,
        "{} audit rows",
        audit.events.len()
    );

    // SIGTERM, then everything the process wrote.
    unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || server.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    let logs = [stdout.join().unwrap(), stderr.join().unwrap()].concat();
    let spans = receiver.bytes();
    let database = std::fs::read(&db_path).unwrap();
    let wal = std::fs::read(dir.path().join("db-wal")).unwrap_or_default();

    assert!(logs.len() > 1000, "the logs were captured");
    assert!(spans.len() > 1000, "the spans were exported");
    let places: [(&str, &[u8]); 5] = [
        ("logs", &logs),
        ("traces", &spans),
        ("answers", &answers),
        ("audit rows", &audit.encode_to_vec()),
        ("database", &[database, wal].concat()),
    ];
    let quoted = |code: &str| format!("\"{code}\"");
    let canaries = [
        PACER_PASSWORD.to_owned(),
        ECF_PASSWORD.to_owned(),
        WRONG_PASSWORD.to_owned(),
        token.clone(),
        mfa::base32_encode(TOTP_SECRET),
        String::from_utf8_lossy(TOTP_SECRET).into_owned(),
        ADMIN_TOKEN.to_owned(),
        // Codes are six digits, which ids and times contain by chance: a leak
        // would show them as a quoted value.
        quoted(&current),
        quoted(&wrong_code),
        quoted(&next_code),
    ];
    let mut hits = Vec::new();
    for (place, bytes) in places {
        for canary in &canaries {
            if bytes.windows(canary.len()).any(|w| w == canary.as_bytes()) {
                hits.push(format!("{canary:?} in {place}"));
            }
        }
    }
    assert!(hits.is_empty(), "secrets leaked: {hits:?}");
}
