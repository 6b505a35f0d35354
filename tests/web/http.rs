//! The front-end over plain HTTP: the security a browser cannot show, and
//! what reaches the service.
use std::sync::Arc;
use std::time::Duration;

use pacer_link::identity::{CallerPolicy, CallerSettings};
use pacer_link::linking::LINKED_MESSAGE;
use pacer_link::store::Backend;
use pacer_link::web::{CONTENT_SECURITY_POLICY, COOKIE, ClientAddress, ProxyRange};

use super::client::{Answer, Client};
use super::{has_token_shape, spawn_web};
use crate::support::{TestApp, demo, spawn_app, spawn_app_with};

fn assert_hardened(answer: &Answer) {
    assert_eq!(answer.header("cache-control"), "no-store");
    assert_eq!(
        answer.header("content-security-policy"),
        CONTENT_SECURITY_POLICY
    );
    assert_eq!(answer.header("x-content-type-options"), "nosniff");
    assert_eq!(answer.header("referrer-policy"), "no-referrer");
    assert!(
        !has_token_shape(&answer.body) && !has_token_shape(answer.header("location")),
        "something shaped like a flow token left the server: {answer:?}"
    );
}

async fn sign_in(client: &mut Client) -> Answer {
    let form = client.get("/link").await;
    client
        .post(
            "/link",
            &[
                ("csrf", &form.csrf()),
                ("username", demo::PACER_USERNAME),
                ("password", demo::PACER_PASSWORD),
                ("client_code", ""),
            ],
        )
        .await
}

#[tokio::test]
async fn the_seed_flow_over_http_keeps_the_token_on_the_server_and_hardens_every_answer() {
    let app = spawn_app(Backend::Postgres).await;
    let web = spawn_web(&format!("http://{}", app.addr), ClientAddress::Peer).await;
    let mut client = Client::new(web.addr);

    let splash = client.get("/").await;
    let form = client.get("/link").await;
    let set_cookie = form.header("set-cookie").to_owned();
    let visitor_cookie = client.cookie.clone();
    let signed_in = client
        .post(
            "/link",
            &[
                ("csrf", &form.csrf()),
                ("username", demo::PACER_USERNAME),
                ("password", demo::PACER_PASSWORD),
                ("client_code", "case-42"),
            ],
        )
        .await;
    let rotated_cookie = client.cookie.clone();
    let ecf_form = client.get("/link/ecf").await;
    let verified = client
        .post(
            "/link/ecf",
            &[
                ("csrf", &ecf_form.csrf()),
                ("ecf_login", demo::ECF_LOGIN),
                ("ecf_password", demo::ECF_PASSWORD),
            ],
        )
        .await;
    let preview = client.get("/link/verify").await;
    let confirmed = client
        .post("/link/verify", &[("csrf", &preview.csrf())])
        .await;
    let done = client.get("/link/done").await;
    let login = client.get("/login").await;
    let retired = client
        .post(
            "/login",
            &[
                ("csrf", &login.csrf()),
                ("username", demo::ECF_LOGIN),
                ("password", demo::ECF_PASSWORD),
            ],
        )
        .await;
    let welcomed = client
        .post(
            "/login",
            &[
                ("csrf", &login.csrf()),
                ("username", demo::PACER_USERNAME),
                ("password", demo::PACER_PASSWORD),
            ],
        )
        .await;
    let greeting = client.get("/login/welcome").await;
    let css = client.get("/static/site.css").await;

    for answer in [
        &splash, &form, &signed_in, &ecf_form, &verified, &preview, &confirmed, &done, &login,
        &retired, &welcomed, &greeting, &css,
    ] {
        assert_hardened(answer);
    }
    assert!(
        splash
            .body
            .contains("Click here to link a CM/ECF account to your PACER account.")
    );
    assert!(
        form.body
            .contains("U.S. District Court, District of Colorado (train) Login")
    );
    assert!(
        set_cookie.starts_with(&format!("{COOKIE}=")),
        "{set_cookie}"
    );
    for flag in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(set_cookie.contains(flag), "{set_cookie} lacks {flag}");
    }
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
    assert_eq!(
        (signed_in.status, signed_in.header("location")),
        (303, "/link/ecf")
    );
    // The sign-in moves the flow to a new session id and CSRF token.
    assert!(visitor_cookie.is_some() && rotated_cookie.is_some());
    assert_ne!(
        visitor_cookie, rotated_cookie,
        "the session id was not renewed"
    );
    assert_ne!(
        form.csrf(),
        ecf_form.csrf(),
        "the CSRF token was not renewed"
    );
    assert!(ecf_form.body.contains("begins with \u{201c}co\u{201d}"));
    assert_eq!(
        (verified.status, verified.header("location")),
        (303, "/link/verify")
    );
    assert!(preview.body.contains("ColoradoTest AttorneyTwo"));
    assert!(preview.body.contains("Humbert Humbert"));
    assert!(
        preview
            .body
            .contains("will be replaced by your PACER credentials")
    );
    assert_eq!(
        (confirmed.status, confirmed.header("location")),
        (303, "/link/done")
    );
    assert!(done.body.contains(LINKED_MESSAGE));
    assert_eq!(retired.status, 422);
    assert!(retired.body.contains("incorrect"));
    assert!(
        retired
            .body
            .contains(&format!("value=\"{}\"", demo::ECF_LOGIN))
    );
    assert!(
        !retired.body.contains(demo::ECF_PASSWORD),
        "a password was echoed"
    );
    // The greeting comes after a redirect, so a reload never posts the password again.
    assert_eq!(
        (welcomed.status, welcomed.header("location")),
        (303, "/login/welcome")
    );
    assert_eq!(greeting.status, 200);
    assert!(greeting.body.contains("Welcome, ColoradoTest AttorneyTwo"));
    assert!(css.header("content-type").starts_with("text/css"));
    let status = app.status_of_demo().await;
    assert!(status, "the link was not made");
}

#[tokio::test]
async fn a_post_without_the_sessions_csrf_token_is_refused_and_does_nothing() {
    let app = spawn_app(Backend::Postgres).await;
    let web = spawn_web(&format!("http://{}", app.addr), ClientAddress::Peer).await;
    let mut client = Client::new(web.addr);
    let form = client.get("/link").await;
    let credentials = [
        ("username", demo::PACER_USERNAME),
        ("password", demo::PACER_PASSWORD),
    ];

    let missing = client.post("/link", &credentials).await;
    let mut wrong_token = credentials.to_vec();
    let forged = "0".repeat(64);
    wrong_token.push(("csrf", &forged));
    let wrong = client.post("/link", &wrong_token).await;
    let mut stranger = Client::new(web.addr);
    let mut other_session = credentials.to_vec();
    let csrf = form.csrf();
    other_session.push(("csrf", &csrf));
    let cookieless = stranger.post("/link", &other_session).await;

    assert_eq!(missing.status, 403, "{}", missing.body);
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    assert_eq!(cookieless.status, 403, "{}", cookieless.body);
    let twice = client
        .post("/link", &[("csrf", &csrf), ("csrf", &csrf)])
        .await;
    assert_eq!(twice.status, 400, "{}", twice.body);
    assert!(
        twice.body.contains("This form cannot be read"),
        "{}",
        twice.body
    );
    let trail = app.audit_trail().await;
    assert!(
        trail.iter().all(|e| e.rpc != "AuthenticatePacer"),
        "a refused form reached the service: {trail:?}"
    );
}

#[tokio::test]
async fn the_session_ends_with_its_flow() {
    let app = spawn_app_with(Backend::Postgres, |s| s.flow_ttl = Duration::from_secs(2)).await;
    let web = spawn_web(&format!("http://{}", app.addr), ClientAddress::Peer).await;
    let mut client = Client::new(web.addr);
    let signed_in = sign_in(&mut client).await;
    assert_eq!(signed_in.status, 303);

    let during = client.get("/link/ecf").await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let after = client.get("/link/ecf").await;

    assert!(during.body.contains("CM/ECF login:"), "{}", during.body);
    assert!(
        after.body.contains("Your session expired"),
        "{}",
        after.body
    );
    assert!(
        after.header("set-cookie").starts_with(COOKIE),
        "a new session is issued"
    );
}

#[tokio::test]
async fn the_browsers_address_reaches_the_service_as_the_end_user_address() {
    // The front-end is the policy's front-end caller (anonymous here, as
    // there is no mTLS in this test), so the service requires the address.
    let policy = r#"
[[caller]]
id = "anonymous"
allow = ["court.identity.v1.AccountLinkService/*",
         "court.identity.v1.FilerAuthService/*",
         "court.identity.v1.AccountAdminService/*"]
front_end = true
"#;
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.callers = CallerSettings {
            policy: Some(Arc::new(CallerPolicy::parse(policy).unwrap())),
            trust_xfcc: false,
        };
    })
    .await;
    let web = spawn_web(
        &format!("http://{}", app.addr),
        ClientAddress::ForwardedBy([ProxyRange::parse("127.0.0.1").unwrap()].into()),
    )
    .await;
    let mut client = Client::new(web.addr);
    client.forwarded_for = Some("10.1.2.3, 198.51.100.23".into());

    let signed_in = sign_in(&mut client).await;

    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let trail = app.audit_trail().await;
    let attempt = trail
        .iter()
        .find(|e| e.rpc == "AuthenticatePacer")
        .expect("the sign-in is audited");
    assert_eq!(attempt.end_user_address, "198.51.100.23");
}

#[tokio::test]
async fn an_unreachable_service_is_said_plainly_without_details() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let web = spawn_web(&format!("http://127.0.0.1:{port}"), ClientAddress::Peer).await;
    let mut client = Client::new(web.addr);

    let splash = client.get("/").await;
    let form = client.get("/link").await;

    for answer in [&splash, &form] {
        assert_eq!(answer.status, 503);
        assert!(answer.body.contains("The service is unavailable right now"));
        for detail in ["tcp", "refused", "transport", "grpc", &port.to_string()] {
            assert!(
                !answer.body.to_lowercase().contains(detail),
                "{}",
                answer.body
            );
        }
        assert_hardened(answer);
    }
}

impl TestApp {
    /// Whether the demo's CM/ECF account is linked.
    async fn status_of_demo(&self) -> bool {
        self.status
            .clone()
            .get_link_status(pacer_link::proto::GetLinkStatusRequest {
                court_id: demo::COURT_ID.into(),
                subject: Some(
                    pacer_link::proto::get_link_status_request::Subject::EcfLogin(
                        demo::ECF_LOGIN.into(),
                    ),
                ),
            })
            .await
            .unwrap()
            .into_inner()
            .linked
    }
}

#[tokio::test]
async fn a_flood_of_visitors_does_not_push_out_a_filers_flow() {
    let app = spawn_app(Backend::Postgres).await;
    let web = spawn_web(&format!("http://{}", app.addr), ClientAddress::Peer).await;
    let mut filer = Client::new(web.addr);
    let signed_in = sign_in(&mut filer).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);

    // Twice the table's size in cookieless visits, each starting a session.
    for _ in 0..2000 {
        let mut visitor = Client::new(web.addr);
        assert_eq!(visitor.get("/link").await.status, 200);
    }

    let ecf_form = filer.get("/link/ecf").await;
    assert!(
        ecf_form.body.contains("CM/ECF login:"),
        "the filer's flow was lost: {}",
        ecf_form.body
    );
}
