//! The court's screens in headless Chromium, driven through chromedriver:
//! the seed's six steps on the demo data, every error the filer can meet,
//! the cookie and what the browser ever holds, keyboard use, and axe-core's
//! accessibility rules on every screen.
//!
//! Needs Debian's `chromium` and `chromium-driver` and axe-core
//! (`npm ci --prefix tests/browser`); `.ci/run` installs all three and sets
//! PACER_LINK_BROWSER_TESTS=required, so there a missing tool fails the
//! test. Elsewhere the test says it was skipped. PACER_LINK_SCREENS_DIR=docs/screens
//! refreshes the README's screenshots.
use std::path::PathBuf;
use std::time::Duration;

use pacer_link::store::Backend;
use pacer_link::throttle::ThrottleSettings;
use pacer_link::web::{COOKIE, ClientAddress};

use super::webdriver::{Driver, ENTER, TAB, Tools};
use super::{TestWeb, has_token_shape, spawn_web};
use crate::support::{demo, heavy_test, spawn_app, spawn_app_with};

const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/browser/node_modules/axe-core/axe.min.js"
);

/// Chromium, chromedriver and axe-core, or why the test cannot run.
fn prerequisites() -> Option<(Tools, String)> {
    let required = std::env::var("PACER_LINK_BROWSER_TESTS").as_deref() == Ok("required");
    match (Tools::find(), std::fs::read_to_string(AXE)) {
        (Some(tools), Ok(axe)) => Some((tools, axe)),
        (tools, axe) => {
            let why = format!(
                "browser test needs /usr/bin/chromium and /usr/bin/chromedriver (found: {}) \
                 and axe-core from `npm ci --prefix tests/browser` (found: {})",
                tools.is_some(),
                axe.is_ok()
            );
            assert!(!required, "{why}");
            eprintln!("SKIPPED: {why}");
            None
        }
    }
}

/// A browser on the front-end, with what each screen is checked against.
struct Screens {
    driver: Driver,
    web: TestWeb,
    axe: String,
    shots: PathBuf,
    _temp: tempfile::TempDir,
}

impl Screens {
    async fn open(tools: &Tools, axe: String, web: TestWeb) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let shots = std::env::var("PACER_LINK_SCREENS_DIR")
            .map(|dir| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir))
            .unwrap_or_else(|_| temp.path().to_owned());
        std::fs::create_dir_all(&shots).unwrap();
        Self {
            driver: Driver::start(tools).await,
            web,
            axe,
            shots,
            _temp: temp,
        }
    }

    async fn goto(&self, path: &str) {
        self.driver.goto(&self.web.url(path)).await;
    }

    /// What every screen must hold to: no serious or critical axe-core
    /// violation, nothing shaped like a flow token in the page, its address
    /// or a cookie, and only the hardened session cookie.
    async fn check(&self, screen: &str) {
        let source = self.driver.source().await;
        let url = self.driver.url().await;
        assert!(
            !has_token_shape(&source),
            "{screen}: token-shaped text in the page"
        );
        assert!(
            !has_token_shape(&url),
            "{screen}: token-shaped text in {url}"
        );
        for cookie in self.driver.cookies().await {
            assert_eq!(
                cookie["name"], COOKIE,
                "{screen}: unexpected cookie {cookie}"
            );
            assert_eq!(cookie["httpOnly"], true, "{screen}: {cookie}");
            assert_eq!(cookie["secure"], true, "{screen}: {cookie}");
            assert_eq!(cookie["sameSite"], "Strict", "{screen}: {cookie}");
            assert_eq!(cookie["path"], "/", "{screen}: {cookie}");
            assert!(!has_token_shape(cookie["value"].as_str().unwrap()));
        }
        let script = format!(
            "{}\n;const done = arguments[arguments.length - 1];\
             axe.run(document).then(r => done(r.violations\
               .filter(v => v.impact === 'serious' || v.impact === 'critical')\
               .map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))\
             .catch(e => done(['axe failed: ' + e]));",
            self.axe
        );
        let violations = self.driver.run_async(&script).await;
        assert_eq!(violations, serde_json::json!([]), "{screen}: accessibility");
    }

    /// Checks the screen and keeps a screenshot of it.
    async fn shot(&self, name: &str) {
        self.check(name).await;
        let png = self.driver.screenshot().await;
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: not a PNG");
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    async fn text(&self) -> String {
        self.driver.page_text().await
    }

    async fn alert(&self) -> String {
        let alert = self.driver.css("[role=alert]").await;
        self.driver.text(&alert).await
    }

    async fn value(&self, label: &str) -> String {
        let field = self.driver.field(label).await;
        let value = self.driver.property(&field, "value").await;
        value.as_str().unwrap_or_default().to_owned()
    }

    async fn fill(&self, label: &str, text: &str) {
        let field = self.driver.field(label).await;
        self.driver.clear(&field).await;
        self.driver.type_into(&field, text).await;
    }

    async fn press_button(&self, text: &str) {
        let button = self.driver.button(text).await;
        self.driver.mark_page().await;
        self.driver.click(&button).await;
        self.driver.next_page().await;
    }

    async fn pacer_login(&self, username: &str, password: &str) {
        self.goto("/link").await;
        self.fill("Username", username).await;
        self.fill("Password", password).await;
        self.press_button("Login").await;
    }
}

#[tokio::test]
async fn a_filer_links_through_the_courts_screens_in_a_real_browser() {
    let Some((tools, axe)) = prerequisites() else {
        return;
    };
    let _heavy = heavy_test().await;
    let app = spawn_app(Backend::Postgres).await;
    let web = spawn_web(&format!("http://{}", app.addr), ClientAddress::Peer).await;
    let s = Screens::open(&tools, axe, web).await;
    let d = &s.driver;

    // Step 1: the splash page, and its link reached from the keyboard.
    s.goto("/").await;
    assert!(
        s.text()
            .await
            .contains("The U.S. District Court, District of Colorado, welcomes you to CM/ECF.")
    );
    s.shot("1-splash").await;
    let link_text = "Click here to link a CM/ECF account to your PACER account.";
    for _ in 0..5 {
        d.press(TAB).await;
        if d.focused().await.1 == link_text {
            break;
        }
    }
    assert_eq!(
        d.focused().await.1,
        link_text,
        "the link is not reachable by Tab"
    );
    d.mark_page().await;
    d.press(ENTER).await;
    d.next_page().await;
    assert!(d.url().await.ends_with("/link"), "{}", d.url().await);

    // Step 2: the PACER login, filled and sent from the keyboard.
    let text = s.text().await;
    assert!(text.contains("U.S. District Court, District of Colorado (train) Login"));
    assert!(text.contains("* Required Information"));
    assert!(text.contains("This is a restricted government website for official PACER use only."));
    d.press(TAB).await;
    assert_eq!(
        d.focused().await.0,
        "username",
        "Tab does not reach the username first"
    );
    s.fill("Username", demo::PACER_USERNAME).await;
    s.fill("Password", demo::PACER_PASSWORD).await;
    s.fill("Client Code", "case-2021").await;
    let password = d.field("Password").await;
    assert_eq!(
        d.property(&password, "autocomplete").await,
        "current-password"
    );
    s.shot("2-pacer-login").await;
    d.mark_page().await;
    d.type_into(&password, ENTER).await;
    d.next_page().await;

    // Step 3: the CM/ECF login.
    assert!(d.url().await.ends_with("/link/ecf"), "{}", s.text().await);
    let text = s.text().await;
    assert!(text.contains("Link a CM/ECF account to my PACER account"));
    assert!(text.contains("This utility links your PACER account with your e-filer account"));
    assert!(text.contains("Your ECF login name begins with \u{201c}co\u{201d}"));
    s.fill("CM/ECF login:", demo::ECF_LOGIN).await;
    s.fill("CM/ECF password:", demo::ECF_PASSWORD).await;
    s.shot("3-ecf-login").await;
    s.press_button("Submit").await;

    // Step 4: both names, the replacement notice, and the mismatch warning.
    let text = s.text().await;
    assert!(
        text.contains("Do you want to link these accounts?"),
        "{text}"
    );
    assert!(
        text.contains("CM/ECF\nColoradoTest AttorneyTwo")
            || text.contains("ColoradoTest AttorneyTwo")
    );
    assert!(text.contains("Humbert Humbert"));
    assert!(text.contains(
        "After you submit this screen, your old e-filing credentials for the CM/ECF account \
         will be replaced by your PACER credentials."
    ));
    assert!(
        d.has(".warning").await,
        "the names differ: the warning must show"
    );
    d.link("Go back").await;
    s.shot("4-verify").await;
    s.press_button("Submit").await;

    // Step 5: the confirmation.
    assert!(
        s.text()
            .await
            .contains("Your PACER account has been linked to your CM/ECF account")
    );
    s.shot("5-linked").await;
    let login = d.link("Log in to CM/ECF").await;
    d.mark_page().await;
    d.click(&login).await;
    d.next_page().await;

    // Step 6: the retired CM/ECF password is refused; PACER's is accepted.
    s.fill("Username", demo::ECF_LOGIN).await;
    s.fill("Password", demo::ECF_PASSWORD).await;
    s.press_button("Login").await;
    assert!(s.alert().await.contains("incorrect"));
    assert_eq!(s.value("Username").await, demo::ECF_LOGIN);
    assert_eq!(s.value("Password").await, "", "a password was echoed back");
    s.fill("Username", demo::PACER_USERNAME).await;
    s.fill("Password", demo::PACER_PASSWORD).await;
    s.shot("6-cmecf-login").await;
    s.press_button("Login").await;
    assert!(s.text().await.contains("Welcome, ColoradoTest AttorneyTwo"));
    s.shot("7-signed-in").await;
}

#[tokio::test]
async fn every_error_has_its_own_plain_message_in_a_real_browser() {
    let Some((tools, axe)) = prerequisites() else {
        return;
    };
    let _heavy = heavy_test().await;
    // A source may try ten times at once, then once a minute: the loop below
    // reaches that limit; the account's own lockout looks like a wrong
    // password, by design, so it is not what the filer is told.
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.throttle = ThrottleSettings {
            per_minute: 1,
            burst: 10,
            max_sources: 1000,
        };
    })
    .await;
    app.enroll_totp("legacypbkdf2").await.unwrap();
    let token = app.demo_flow().await;
    app.confirm(&token).await.unwrap();
    let web = spawn_web(&format!("http://{}", app.addr), ClientAddress::Peer).await;
    let s = Screens::open(&tools, axe, web).await;
    let d = &s.driver;
    let mut seen = Vec::new();

    // Wrong credentials: the username stays, the password does not.
    s.pacer_login("legacysha512", "Not-The-Password-1").await;
    seen.push(s.alert().await);
    assert!(
        seen.last()
            .unwrap()
            .contains("username or password is incorrect")
    );
    assert_eq!(s.value("Username").await, "legacysha512");
    assert_eq!(s.value("Password").await, "");
    s.check("wrong credentials").await;

    // Not upgraded, with what to do.
    s.pacer_login(demo::LEGACY_PACER_USERNAME, demo::LEGACY_PACER_PASSWORD)
        .await;
    seen.push(s.alert().await);
    assert!(seen.last().unwrap().contains("has not been upgraded"));
    assert!(seen.last().unwrap().contains("Manage My Account"));
    s.check("not upgraded").await;

    // Already linked.
    s.pacer_login(demo::PACER_USERNAME, demo::PACER_PASSWORD)
        .await;
    seen.push(s.alert().await);
    assert!(seen.last().unwrap().contains("already linked"));

    // A second factor: the passcode field appears, and a good code goes on.
    s.pacer_login("legacypbkdf2", "Legacy-pbkdf2-2021!").await;
    seen.push(s.alert().await);
    assert!(seen.last().unwrap().contains("one-time passcode"));
    assert_eq!(s.value("Username").await, "legacypbkdf2");
    s.shot("error-passcode").await;
    s.fill("Password", "Legacy-pbkdf2-2021!").await;
    s.fill("One-time passcode", &app.totp_code(0)).await;
    s.press_button("Login").await;
    assert!(d.url().await.ends_with("/link/ecf"), "{}", s.text().await);

    // A login without the court's prefix.
    s.fill("CM/ECF login:", "nyfiler").await;
    s.fill("CM/ECF password:", "Legacy-pbkdf2-2021!").await;
    s.press_button("Submit").await;
    seen.push(s.alert().await);
    assert!(
        seen.last()
            .unwrap()
            .contains("begins with \u{201c}co\u{201d}")
    );
    assert_eq!(s.value("CM/ECF login:").await, "nyfiler");
    assert_eq!(s.value("CM/ECF password:").await, "");
    s.shot("error-prefix").await;

    // The flow expires at the service: the filer starts again.
    app.clock.advance(Duration::from_secs(11 * 60));
    s.fill("CM/ECF login:", "colegacypbkdf2").await;
    s.fill("CM/ECF password:", "Legacy-pbkdf2-2021!").await;
    s.press_button("Submit").await;
    seen.push(s.alert().await);
    assert!(seen.last().unwrap().contains("Your session expired"));
    assert!(
        s.text().await.contains("(train) Login"),
        "the filer starts again"
    );
    s.check("expired").await;

    // Too many attempts, with when to retry.
    let mut throttled = String::new();
    for _ in 0..15 {
        s.pacer_login("legacybcrypt", "Not-The-Password-1").await;
        throttled = s.alert().await;
        if throttled.contains("Too many attempts") {
            break;
        }
    }
    assert!(throttled.contains("try again in"), "{throttled}");
    seen.push(throttled);
    s.shot("error-too-many").await;

    // The service unavailable.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = spawn_web(&format!("http://127.0.0.1:{port}"), ClientAddress::Peer).await;
    d.goto(&down.url("/link")).await;
    seen.push(s.alert().await);
    assert!(seen.last().unwrap().contains("unavailable"));
    s.check("unavailable").await;

    // Each message is its own, and none shows an internal detail.
    let distinct: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "{seen:#?}");
    for message in &seen {
        for internal in ["_", "status", "grpc", "code:", "Status"] {
            assert!(
                !message.contains(internal),
                "{message:?} shows {internal:?}"
            );
        }
    }
}
