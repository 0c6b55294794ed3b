//! The web dashboard as a browser sees it, for the dashboard's and the admin console's
//! tests: plain HTTP with a cookie jar ([`Web`], redirects not followed, so statuses and
//! `Set-Cookie` flags are visible), and a real headless Chromium through chromedriver's
//! W3C WebDriver HTTP API ([`Browser`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The demo company's password.
pub const DEMO_PASSWORD: &str = "rapport-demo";

/// Chromium and chromedriver, or `None` when they are missing and the browser part of a
/// test may be skipped (it says so); with `RAPPORT_REQUIRE_BROWSER=1` (CI) missing ones
/// fail the test.
pub fn browser_or_skip(what: &str) -> Option<(PathBuf, PathBuf)> {
    match browser_binaries() {
        Ok(found) => Some(found),
        Err(missing) => {
            assert!(
                std::env::var("RAPPORT_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "RAPPORT_REQUIRE_BROWSER=1 but {missing} is missing: install the Debian \
                 packages chromium and chromium-driver"
            );
            say(&format!(
                "SKIPPED: {what} ({missing} not found; install chromium and \
                 chromium-driver to run it)."
            ));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// Plain HTTP with a cookie jar

/// An answer as a browser sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }

    /// The `Set-Cookie` line for `name`, if the answer sets it.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The value of a hidden form field.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} in {}", self.body));
        let rest = &self.body[at + marker.len()..];
        rest[..rest.find('"').expect("closing quote")].to_owned()
    }
}

/// A browser-like HTTP client: keeps cookies, follows nothing.
pub struct Web {
    base: String,
    agent: ureq::Agent,
    pub cookies: BTreeMap<String, String>,
    /// Extra request headers (e.g. `Accept-Language`, `X-Forwarded-Proto`).
    pub extra: Vec<(String, String)>,
}

impl Web {
    pub fn new(base: &str) -> Web {
        Web {
            base: base.to_owned(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(Duration::from_secs(60)))
                .build()
                .into(),
            cookies: BTreeMap::new(),
            extra: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, resp: ureq::http::Response<ureq::Body>) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().read_to_string().expect("read body");
        for line in headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let pair = line.split(';').next().unwrap_or("");
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn get(&mut self, path: &str) -> Reply {
        let mut r = self.agent.get(format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            r = r.header("Cookie", self.cookie_header());
        }
        for (k, v) in &self.extra {
            r = r.header(k, v);
        }
        let resp = r.call().expect("GET");
        self.keep(resp)
    }

    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_body(
            path,
            "application/x-www-form-urlencoded",
            crate::form_encode(fields).into_bytes(),
        )
    }

    /// A `multipart/form-data` POST, as a form with file inputs sends it: each part a
    /// field name, a file name for a file, and its bytes.
    pub fn post_multipart(&mut self, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Reply {
        let boundary = "rapport-test-boundary-7d1e0c";
        let mut body = Vec::new();
        for (name, file, bytes) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let disposition = match file {
                Some(f) => format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                ),
                None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
            };
            body.extend_from_slice(disposition.as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.post_body(
            path,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
    }

    fn post_body(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .content_type(content_type);
        if !self.cookies.is_empty() {
            r = r.header("Cookie", self.cookie_header());
        }
        for (k, v) in &self.extra {
            r = r.header(k, v);
        }
        let resp = r.send(&body[..]).expect("POST");
        self.keep(resp)
    }

    /// Signs in through the form, as a browser would; returns the answer to the POST.
    pub fn sign_in(&mut self, company: &str, user: &str, password: &str) -> Reply {
        let form = self.get("/dashboard/login");
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.hidden("csrf");
        self.post(
            "/dashboard/login",
            &[
                ("company", company),
                ("username", user),
                ("password", password),
                ("csrf", &csrf),
            ],
        )
    }

    /// Signs in and checks it worked.
    pub fn signed_in(base: &str, company: &str, user: &str, password: &str) -> Web {
        let mut web = Web::new(base);
        let r = web.sign_in(company, user, password);
        assert_eq!(r.status, 303, "sign-in of {user}: {}", r.body);
        assert!(web.cookies.contains_key("rapport_session"));
        web
    }

    /// The CSRF token of the session (from the sign-out form of a page).
    pub fn session_csrf(&mut self, page: &str) -> String {
        let r = self.get(page);
        assert_eq!(r.status, 200, "{}", r.body);
        r.hidden("csrf")
    }
}

// ---------------------------------------------------------------------------------------
// A real browser

/// Prints past the test harness's capture, so a skip is seen in a passing run.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("output");
    std::fs::create_dir_all(&dir).expect("create tests/output");
    dir
}

/// Chromium and chromedriver, if installed.
pub fn browser_binaries() -> Result<(PathBuf, PathBuf), String> {
    let chromium = std::env::var_os("RAPPORT_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let driver = std::env::var_os("RAPPORT_CHROMEDRIVER")
        .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
    let missing: Vec<String> = [&chromium, &driver]
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        Ok((chromium, driver))
    } else {
        Err(missing.join(" and "))
    }
}

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver on a free port, stopped when dropped.
pub struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    pub fn start(binary: &Path) -> Chromedriver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = ureq::get(format!("{}/status", driver.url))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == json!(true));
            if ready {
                return driver;
            }
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver session: a headless Chromium with its own profile.
pub struct Browser {
    driver: String,
    session: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub fn open(driver: &Chromedriver, chromium: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--hide-scrollbars", "--lang=en-US",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        }}});
        let v: Value = agent
            .post(format!("{}/session", driver.url))
            .send_json(&caps)
            .expect("new session")
            .body_mut()
            .read_json()
            .expect("session JSON");
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_owned();
        Browser {
            driver: driver.url.clone(),
            session,
            agent,
            _profile: profile,
        }
    }

    /// One WebDriver command; its `value`.
    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.driver, self.session);
        let resp = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .send_json(body.unwrap_or_else(|| json!({}))),
        };
        let v: Value = resp
            .expect("WebDriver request")
            .body_mut()
            .read_json()
            .expect("WebDriver JSON");
        assert!(
            v["value"].get("error").is_none(),
            "{method} {path}: {}",
            v["value"]
        );
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn find_all(&self, css: &str) -> Vec<String> {
        self.cmd(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
    }

    pub fn find(&self, css: &str) -> String {
        self.find_all(css)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element {css} on {}", self.url()))
    }

    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        self.cmd("GET", &format!("/element/{el}/text"), None)
            .as_str()
            .unwrap_or("")
            .trim()
            .to_owned()
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.cmd("POST", &format!("/element/{el}/click"), None);
    }

    pub fn script(&self, js: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
    }

    pub fn window(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.cmd("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64 PNG"))
            .expect("PNG bytes");
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
        let path = output_dir().join(name);
        std::fs::write(&path, bytes).expect("write screenshot");
        path
    }

    /// Waits until the address ends with `suffix`.
    pub fn wait_for_path(&self, suffix: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.url().ends_with(suffix) {
            assert!(
                Instant::now() < deadline,
                "expected …{suffix}, at {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Signs in through the dashboard's form.
    pub fn sign_in_as(&self, base: &str, company: &str, user: &str, password: &str) {
        self.goto(&format!("{base}/dashboard/login"));
        self.type_into("[data-testid=company]", company);
        self.type_into("[data-testid=username]", user);
        self.type_into("[data-testid=password]", password);
        self.click("[data-testid=sign-in]");
    }

    /// Signs in to the demo company.
    pub fn sign_in(&self, base: &str, user: &str) {
        self.sign_in_as(base, "demo", user, DEMO_PASSWORD);
    }

    /// Whether the page is no wider than the window (tables scroll inside themselves).
    pub fn fits_width(&self) -> bool {
        self.script("return document.documentElement.scrollWidth <= window.innerWidth;")
            == json!(true)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .agent
            .delete(format!("{}/session/{}", self.driver, self.session))
            .call();
    }
}
