//! A small W3C WebDriver client over hyper, enough to drive headless
//! Chromium through chromedriver: navigate, find, type, click, press keys,
//! read cookies, run a script, take a screenshot.
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Keys as WebDriver names them.
pub const TAB: &str = "\u{E004}";
/// The Enter key.
pub const ENTER: &str = "\u{E007}";

/// The browser's own tools: where they are, if installed.
pub struct Tools {
    pub chromedriver: String,
    pub chromium: String,
}

impl Tools {
    /// The installed tools, from `PACER_LINK_CHROMEDRIVER` / `PACER_LINK_CHROMIUM`
    /// or Debian's paths.
    pub fn find() -> Option<Self> {
        let pick = |env: &str, default: &str| {
            let path = std::env::var(env).unwrap_or_else(|_| default.to_owned());
            std::path::Path::new(&path).exists().then_some(path)
        };
        Some(Self {
            chromedriver: pick("PACER_LINK_CHROMEDRIVER", "/usr/bin/chromedriver")?,
            chromium: pick("PACER_LINK_CHROMIUM", "/usr/bin/chromium")?,
        })
    }
}

/// One chromedriver process with one headless browser session.
pub struct Driver {
    child: Child,
    addr: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

/// A found element.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Driver {
    /// Starts chromedriver on a free loopback port and opens a session.
    pub async fn start(tools: &Tools) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let profile = tempfile::tempdir().unwrap();
        let mut driver = Self {
            child,
            addr,
            session: String::new(),
            _profile: profile,
        };
        let started = Instant::now();
        loop {
            if let Ok(status) = driver.call("GET", "/status", None).await
                && status["ready"] == json!(true)
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": tools.chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1000,900",
                    format!("--user-data-dir={}", driver._profile.path().display()),
                ],
            },
        }}});
        let created = driver
            .call("POST", "/session", Some(capabilities))
            .await
            .expect("open a browser session");
        driver.session = created["sessionId"].as_str().unwrap().to_owned();
        driver
            .session_call(
                "POST",
                "/timeouts",
                json!({"script": 30_000, "pageLoad": 30_000}),
            )
            .await;
        driver
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        if let Some(error) = value["value"].get("error") {
            return Err(format!("{error}: {}", value["value"]["message"]));
        }
        Ok(value["value"].clone())
    }

    async fn session_call(&self, method: &str, path: &str, body: Value) -> Value {
        let body = (method == "POST").then_some(body);
        self.call(method, &format!("/session/{}{path}", self.session), body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.session_call("POST", "/url", json!({"url": url})).await;
    }

    /// The current address.
    pub async fn url(&self) -> String {
        self.session_call("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The page's HTML as the browser holds it.
    pub async fn source(&self) -> String {
        self.session_call("GET", "/source", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn try_find(&self, using: &str, value: &str) -> Option<Element> {
        let path = format!("/session/{}/element", self.session);
        let found = self
            .call("POST", &path, Some(json!({"using": using, "value": value})))
            .await
            .ok()?;
        Some(Element(found[ELEMENT].as_str()?.to_owned()))
    }

    /// The element matching a CSS selector.
    pub async fn css(&self, selector: &str) -> Element {
        match self.try_find("css selector", selector).await {
            Some(found) => found,
            None => panic!("no element {selector:?} on {}", self.where_now().await),
        }
    }

    /// Whether an element matches a CSS selector.
    pub async fn has(&self, selector: &str) -> bool {
        self.try_find("css selector", selector).await.is_some()
    }

    /// The input whose label begins with `label`, as a filer finds it.
    pub async fn field(&self, label: &str) -> Element {
        let xpath =
            format!("//input[@id=//label[starts-with(normalize-space(.), '{label}')]/@for]");
        self.try_find("xpath", &xpath)
            .await
            .unwrap_or_else(|| panic!("no field labelled {label:?}"))
    }

    /// The link whose text is exactly `text`.
    pub async fn link(&self, text: &str) -> Element {
        self.try_find("link text", text)
            .await
            .unwrap_or_else(|| panic!("no link {text:?}"))
    }

    /// The button whose text is `text`.
    pub async fn button(&self, text: &str) -> Element {
        self.try_find("xpath", &format!("//button[normalize-space(.)='{text}']"))
            .await
            .unwrap_or_else(|| panic!("no button {text:?}"))
    }

    /// Types into an element.
    pub async fn type_into(&self, element: &Element, text: &str) {
        self.session_call(
            "POST",
            &format!("/element/{}/value", element.0),
            json!({"text": text}),
        )
        .await;
    }

    /// Clears an input.
    pub async fn clear(&self, element: &Element) {
        self.session_call("POST", &format!("/element/{}/clear", element.0), json!({}))
            .await;
    }

    /// Clicks an element.
    pub async fn click(&self, element: &Element) {
        self.session_call("POST", &format!("/element/{}/click", element.0), json!({}))
            .await;
    }

    /// An element's visible text.
    pub async fn text(&self, element: &Element) -> String {
        self.session_call("GET", &format!("/element/{}/text", element.0), Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// An element's DOM property, e.g. `value`.
    pub async fn property(&self, element: &Element, name: &str) -> Value {
        self.session_call(
            "GET",
            &format!("/element/{}/property/{name}", element.0),
            Value::Null,
        )
        .await
    }

    /// The whole page's visible text.
    pub async fn page_text(&self) -> String {
        let body = self.css("body").await;
        self.text(&body).await
    }

    /// Presses and releases `key` on whatever has the focus.
    pub async fn press(&self, key: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key},
        ]}]});
        self.session_call("POST", "/actions", actions).await;
    }

    /// The focused element's id attribute and text, for keyboard checks.
    pub async fn focused(&self) -> (String, String) {
        let active = self
            .session_call("GET", "/element/active", Value::Null)
            .await;
        let element = Element(active[ELEMENT].as_str().unwrap().to_owned());
        let id = self.property(&element, "id").await;
        (
            id.as_str().unwrap_or_default().to_owned(),
            self.text(&element).await,
        )
    }

    /// The browser's cookies for the current page.
    pub async fn cookies(&self) -> Vec<Value> {
        self.session_call("GET", "/cookie", Value::Null)
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Runs an asynchronous script; it answers by calling its last argument.
    pub async fn run_async(&self, script: &str) -> Value {
        self.session_call(
            "POST",
            "/execute/async",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Marks the current document, so that `next_page` can tell when the
    /// browser has replaced it.
    pub async fn mark_page(&self) {
        self.session_call(
            "POST",
            "/execute/sync",
            json!({"script": "window.__pacerLinkOld = true;", "args": []}),
        )
        .await;
    }

    /// Waits until the marked document has been replaced by a loaded one: a
    /// click or a key that submits a form returns before the next page is
    /// there, and a lookup in between would read the old page.
    pub async fn next_page(&self) {
        let script = json!({
            "script": "return window.__pacerLinkOld !== true && document.readyState === 'complete';",
            "args": []
        });
        for _ in 0..200 {
            // Mid-navigation the call may fail: that is "not yet".
            let path = format!("/session/{}/execute/sync", self.session);
            if self.call("POST", &path, Some(script.clone())).await == Ok(json!(true)) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("no new page after 5 s on {}", self.where_now().await);
    }

    /// A PNG of the window.
    pub async fn screenshot(&self) -> Vec<u8> {
        let encoded = self.session_call("GET", "/screenshot", Value::Null).await;
        Base64::decode_vec(encoded.as_str().unwrap()).unwrap()
    }

    /// Where the browser is and what it shows, for a failure's message.
    async fn where_now(&self) -> String {
        format!("{}:\n{}", self.url().await, self.source().await)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Ending the session closes the browser; killing chromedriver alone
        // would leave it running. Blocking I/O, since Drop cannot await.
        if !self.session.is_empty()
            && let Ok(mut stream) = std::net::TcpStream::connect(self.addr)
        {
            use std::io::{Read, Write};
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                stream,
                "DELETE /session/{} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session, self.addr
            );
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
