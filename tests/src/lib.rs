//! The harness of Rapport's black-box tests: a real `rapport-server` process on port 0,
//! real HTTP, real devices (`rapport-client-core` stores in temporary directories).
//!
//! The backend comes from `RAPPORT_TEST_DATABASE`: unset or `sqlite` gives each server
//! its own SQLite file; a `postgres://` URL (of a database the tests may connect to, to
//! create others) gives each server its own freshly created PostgreSQL database, dropped
//! when the server is.
//!
//! The server binary is the one cargo builds for the workspace
//! (`target/<profile>/rapport-server`), or `RAPPORT_SERVER_BIN`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rapport_client_core::Client;
use rapport_client_core::protocol::{self, Session, SyncRequest, SyncResponse};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

pub mod fault_proxy;
pub mod invariants;
pub mod web;
pub use fault_proxy::{Fault, FaultProxy, FaultStats};

pub const OPERATOR_TOKEN: &str = "test-operator-token";
pub const PASSWORD: &str = "correct horse battery";

/// Where the server's database lives for one test.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres { admin_url: String },
}

impl Backend {
    pub fn from_env() -> Backend {
        match std::env::var("RAPPORT_TEST_DATABASE") {
            Ok(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Backend::Postgres { admin_url: url }
            }
            _ => Backend::Sqlite,
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Visits per rep name in `week`, from the server's weekly report, as `token` reads it.
pub fn weekly_visits(
    server: &TestServer,
    token: &str,
    week: &str,
) -> std::collections::BTreeMap<String, u64> {
    let a = call(
        "GET",
        &format!("{}/v1/reports/visits/weekly?week={week}", server.url),
        Some(token),
        None,
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.json()["reps"]
        .as_array()
        .expect("reps")
        .iter()
        .map(|r| {
            (
                r["username"].as_str().expect("username").to_owned(),
                r["visits"].as_u64().expect("visits"),
            )
        })
        .collect()
}

/// A time in ISO week 2026-W40 (Tuesday 29 September 2026, 10:00 in Shanghai), the week
/// the tests' reports ask for.
pub fn in_week() -> rapport_client_core::model::LocalTime {
    let at = chrono::DateTime::parse_from_rfc3339("2026-09-29T10:00:00+08:00").expect("time");
    rapport_client_core::model::LocalTime::from_datetime(&at)
}

/// A 45-minute visit on `account` in that week, logged at once.
pub fn visit_in_week(account: &str, purpose: &str) -> rapport_client_core::model::Visit {
    rapport_client_core::model::Visit {
        account_id: account.to_owned(),
        occurred_at: in_week(),
        logged_at: in_week(),
        duration_min: 45,
        purpose: purpose.to_owned(),
        ..Default::default()
    }
}

/// The workspace's `rapport-server` binary.
pub fn server_bin() -> PathBuf {
    if let Ok(p) = std::env::var("RAPPORT_SERVER_BIN") {
        return PathBuf::from(p);
    }
    // Test executables live in target/<profile>/deps/.
    let exe = std::env::current_exe().expect("current exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary in target/<profile>/deps");
    let bin = profile_dir.join(format!("rapport-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it first (cargo build -p rapport-server)",
        bin.display()
    );
    bin
}

/// Starts `rapport-server` and waits until it is healthy; returns the process and its URL.
fn spawn_server(listen: &str, database_url: &str, extra: &[String]) -> (Child, String) {
    let mut child = Command::new(server_bin())
        .arg("--listen")
        .arg(listen)
        .arg("--database-url")
        .arg(database_url)
        .arg("--operator-token")
        .arg(OPERATOR_TOKEN)
        .args(extra)
        .env("RAPPORT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start rapport-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("Rapport listening on ") {
                    break url.trim().to_owned();
                }
            }
            _ => panic!("rapport-server exited before listening"),
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    wait_healthy(&url);
    (child, url)
}

/// Another server process on a [`TestServer`]'s database.
pub struct Peer {
    child: Child,
    pub url: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running server with its own database.
pub struct TestServer {
    child: Option<Child>,
    pub url: String,
    pub database_url: String,
    data_dir: tempfile::TempDir,
    pg: Option<(String, String)>,
    extra_args: Vec<String>,
    listen: String,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(&[])
    }

    /// Starts a server with extra command-line flags.
    pub fn start_with(extra: &[&str]) -> TestServer {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (database_url, pg) = match Backend::from_env() {
            Backend::Sqlite => (
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.path().join("rapport.db").display()
                ),
                None,
            ),
            Backend::Postgres { admin_url } => {
                let name = format!("rapport_t_{}", uuid::Uuid::new_v4().simple());
                runtime().block_on(async {
                    let db = Database::connect(&admin_url)
                        .await
                        .expect("connect to PostgreSQL");
                    db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                        .await
                        .expect("create test database");
                });
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(b, _)| b);
                (format!("{base}/{name}"), Some((admin_url.clone(), name)))
            }
        };
        let mut server = TestServer {
            child: None,
            url: String::new(),
            database_url,
            data_dir,
            pg,
            extra_args: extra.iter().map(|s| (*s).to_owned()).collect(),
            listen: "127.0.0.1:0".into(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let (child, url) = spawn_server(&self.listen, &self.database_url, &self.extra_args);
        self.listen = url.trim_start_matches("http://").to_owned();
        self.url = url;
        self.child = Some(child);
    }

    /// A second server process on the same database (another port), as behind a load
    /// balancer. It stops when dropped; the database stays with this server.
    pub fn peer(&self) -> Peer {
        let (child, url) = spawn_server("127.0.0.1:0", &self.database_url, &self.extra_args);
        Peer { child, url }
    }

    /// Kills the server with SIGKILL (no chance to finish anything).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM (a graceful stop) and waits up to `deadline` for the process to exit;
    /// returns how long it took, or `None` if it was still running at the deadline (it is
    /// then killed).
    pub fn terminate(&mut self, deadline: Duration) -> Option<Duration> {
        let mut child = self.child.take()?;
        let started = Instant::now();
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        while started.elapsed() < deadline {
            if child.try_wait().expect("wait for the server").is_some() {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the server process is running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().is_ok_and(|s| s.is_none()))
    }

    /// Starts the server again on the same address and database.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Runs `rapport-server admin …` against this server's database.
    pub fn admin_cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(server_bin())
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("admin")
            .args(args)
            .env("RAPPORT_LOG", "warn")
            .output()
            .expect("run rapport-server admin")
    }

    /// Runs one SQL query that returns a single value, on the server's database.
    pub fn query_one<T: sea_orm::TryGetable>(&self, sql: &str) -> T {
        let url = self.database_url.clone();
        let sql = sql.to_owned();
        runtime().block_on(async move {
            let db = Database::connect(&url).await.expect("connect");
            let backend = db.get_database_backend();
            let row = db
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .expect("query")
                .expect("a row");
            row.try_get_by_index::<T>(0)
                .expect("a value of the expected type")
        })
    }

    /// Runs one SQL query that returns a single integer, on the server's database.
    pub fn count(&self, sql: &str) -> i64 {
        self.query_one(sql)
    }

    /// A fingerprint of everything the server stores, to assert that a refused request
    /// changed nothing.
    pub fn fingerprint(&self) -> Vec<i64> {
        [
            "SELECT COUNT(*) FROM changes",
            "SELECT COUNT(*) FROM documents",
            "SELECT CAST(COALESCE(MAX(updated_seq), 0) AS BIGINT) FROM documents",
            "SELECT CAST(COALESCE(SUM(seq), 0) AS BIGINT) FROM tenants",
            "SELECT COUNT(*) FROM visits",
            "SELECT COUNT(*) FROM contacts",
            "SELECT COUNT(*) FROM accounts",
        ]
        .iter()
        .map(|q| self.count(q))
        .collect()
    }

    pub fn backend(&self) -> DbBackend {
        if self.pg.is_some() {
            DbBackend::Postgres
        } else {
            DbBackend::Sqlite
        }
    }

    pub fn is_healthy(&self) -> bool {
        ureq::get(format!("{}/healthz", self.url))
            .call()
            .is_ok_and(|r| r.status() == 200)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
        if let Some((admin_url, name)) = self.pg.take() {
            runtime().block_on(async {
                if let Ok(db) = Database::connect(&admin_url).await {
                    let _ = db
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        }
    }
}

fn wait_healthy(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ureq::get(format!("{url}/healthz"))
            .call()
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server at {url} never became healthy");
}

/// An HTTP answer: status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The `error.code` of a JSON error body.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", String::from_utf8_lossy(&self.body)))
            .to_owned()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn answer(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut resp = resp.expect("HTTP request");
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .expect("read body");
    Answer { status, body }
}

/// A raw HTTP call with an optional bearer token and JSON body.
pub fn call(method: &str, url: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
    let agent = agent();
    let auth = token.map(|t| format!("Bearer {t}"));
    match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            answer(r.call())
        }
        ("DELETE", _) => {
            let mut r = agent.delete(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            answer(r.call())
        }
        (m, b) => {
            let mut r = match m {
                "POST" => agent.post(url),
                "PUT" => agent.put(url),
                "PATCH" => agent.patch(url),
                other => panic!("method {other}"),
            };
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            match b {
                Some(b) => answer(r.send_json(b)),
                None => answer(r.send_empty()),
            }
        }
    }
}

/// Posts raw bytes with a content type.
pub fn post_bytes(url: &str, token: Option<&str>, content_type: &str, body: &[u8]) -> Answer {
    let mut r = agent().post(url).content_type(content_type);
    if let Some(t) = token {
        r = r.header("Authorization", format!("Bearer {t}"));
    }
    answer(r.send(body))
}

/// One sync round trip with a hand-made request.
pub fn raw_sync(url: &str, token: &str, request: &SyncRequest) -> Result<SyncResponse, Answer> {
    let body = postcard::to_stdvec(request).expect("encode");
    let a = post_bytes(
        &format!("{url}/v1/sync"),
        Some(token),
        protocol::SYNC_CONTENT_TYPE,
        &body,
    );
    if a.status != 200 {
        return Err(a);
    }
    Ok(postcard::from_bytes(&a.body).expect("decode sync response"))
}

/// Signs in over HTTP, as a device would, returning the session.
pub fn login(url: &str, company: &str, user: &str) -> Session {
    let a = call(
        "POST",
        &format!("{url}/v1/auth/login"),
        None,
        Some(&json!({"company": company, "username": user, "password": PASSWORD})),
    );
    assert_eq!(
        a.status,
        200,
        "login {user}@{company}: {}",
        String::from_utf8_lossy(&a.body)
    );
    serde_json::from_slice(&a.body).expect("session")
}

/// A company set up through the admin HTTP API: one team with a manager and two reps,
/// and three accounts — one for each rep and one both serve.
#[derive(Debug, Clone)]
pub struct Company {
    pub slug: String,
    pub tenant_id: String,
    pub admin_token: String,
    pub team_id: String,
    /// user ids by user name
    pub users: Vec<(String, String)>,
    /// account of rep a only
    pub account_a: String,
    /// account of rep b only
    pub account_b: String,
    /// account served by both reps
    pub account_shared: String,
}

impl Company {
    /// Creates a company with only its admin (`admin`, [`PASSWORD`]); its id.
    pub fn create_bare(server: &TestServer, slug: &str) -> String {
        let created = call(
            "POST",
            &format!("{}/v1/admin/companies", server.url),
            Some(OPERATOR_TOKEN),
            Some(&json!({
                "slug": slug, "name": format!("{slug} Ltd"), "time_zone": "Asia/Shanghai",
                "admin_username": "admin", "admin_password": PASSWORD,
            })),
        );
        assert_eq!(
            created.status,
            201,
            "{}",
            String::from_utf8_lossy(&created.body)
        );
        created.json()["id"].as_str().expect("id").to_owned()
    }

    pub fn setup(server: &TestServer, slug: &str) -> Company {
        let url = &server.url;
        let tenant_id = Company::create_bare(server, slug);
        let admin_token = login(url, slug, "admin").access_token;
        let post = |path: &str, body: Value| {
            let a = call(
                "POST",
                &format!("{url}{path}"),
                Some(&admin_token),
                Some(&body),
            );
            assert_eq!(
                a.status,
                201,
                "{path}: {}",
                String::from_utf8_lossy(&a.body)
            );
            a.json()["id"].as_str().expect("id").to_owned()
        };
        let team_id = post("/v1/admin/teams", json!({"name": "Key accounts East"}));
        let mut users = Vec::new();
        for (name, role) in [("manager", "manager"), ("a", "rep"), ("b", "rep")] {
            let id = post(
                "/v1/admin/users",
                json!({"username": name, "password": PASSWORD, "role": role, "team_id": team_id}),
            );
            users.push((name.to_owned(), id));
        }
        let account_a = post(
            "/v1/admin/accounts",
            json!({"name": "Huadong Steel", "city": "Shanghai"}),
        );
        let account_b = post("/v1/admin/accounts", json!({"name": "Jiangnan Chemical"}));
        let account_shared = post("/v1/admin/accounts", json!({"name": "Haorun Foods"}));
        let company = Company {
            slug: slug.to_owned(),
            tenant_id,
            admin_token,
            team_id,
            users,
            account_a,
            account_b,
            account_shared,
        };
        for (account, user) in [
            (&company.account_a, "a"),
            (&company.account_b, "b"),
            (&company.account_shared, "a"),
            (&company.account_shared, "b"),
        ] {
            company.assign(server, account, user);
        }
        company
    }

    pub fn user_id(&self, name: &str) -> &str {
        &self
            .users
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no user {name}"))
            .1
    }

    pub fn assign(&self, server: &TestServer, account: &str, user: &str) {
        let a = call(
            "PUT",
            &format!(
                "{}/v1/admin/accounts/{account}/team/{}",
                server.url,
                self.user_id(user)
            ),
            Some(&self.admin_token),
            None,
        );
        assert_eq!(a.status, 204, "{}", String::from_utf8_lossy(&a.body));
    }
}

/// A device: a client-core store in its own directory, signed in.
pub struct Device {
    pub client: Client,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Device {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Device {
    /// A new device signed in as `user` of `company` at `url`.
    pub fn new(url: &str, company: &str, user: &str) -> Device {
        let dir = tempfile::tempdir().expect("temp dir");
        let client = Client::open(dir.path()).expect("open store");
        client.login(url, company, user, PASSWORD).expect("login");
        Device { client, _dir: dir }
    }

    pub fn path(&self) -> &Path {
        self._dir.path()
    }
}

impl TestServer {
    /// The first column of every row a query returns, as text.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        let url = self.database_url.clone();
        let sql = sql.to_owned();
        runtime().block_on(async move {
            let db = Database::connect(&url).await.expect("connect");
            let backend = db.get_database_backend();
            db.query_all_raw(Statement::from_string(backend, sql))
                .await
                .expect("query")
                .iter()
                .map(|row| row.try_get_by_index::<String>(0).expect("a text column"))
                .collect()
        })
    }

    /// Runs one SQL query that returns a single text value, on the server's database.
    pub fn text(&self, sql: &str) -> String {
        self.query_one(sql)
    }

    /// The raw bytes of the key the server signs access tokens with (stored base64 in
    /// `server_keys`), to craft tokens in tests.
    pub fn jwt_secret(&self) -> Vec<u8> {
        use base64::Engine;
        let stored = self.text("SELECT secret FROM server_keys WHERE id = 'jwt-hs256'");
        base64::engine::general_purpose::STANDARD
            .decode(stored.trim())
            .expect("the stored secret is base64")
    }
}

/// The workspace's `rapport` CLI binary (built beside the server).
pub fn cli_bin() -> PathBuf {
    let server = server_bin();
    let bin = server.with_file_name(format!("rapport{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it first (cargo build -p rapport-cli)",
        bin.display()
    );
    bin
}

/// Hand-made sync traffic: documents built with Automerge directly and pushed raw, to test
/// what the server accepts and refuses.
pub mod raw {
    use automerge::{ActorId, AutoCommit};
    use rapport_client_core::model::{self, Record};
    use rapport_client_core::protocol::{
        self, Change, Outcome, PushDoc, Session, SyncRequest, SyncResponse,
    };

    use super::{TestServer, raw_sync};

    /// The Automerge actor a signed-in device must write with.
    pub fn actor(session: &Session) -> ActorId {
        ActorId::try_from(session.actor_id.as_str()).expect("a hex actor id")
    }

    /// Changes as they travel.
    pub fn wire(changes: Vec<automerge::Change>) -> Vec<Change> {
        changes
            .into_iter()
            .map(|mut c| Change(c.bytes().into_owned()))
            .collect()
    }

    /// A new record document written by `actor`: a fresh id, the document and its changes.
    pub fn new_record<R: Record>(actor: ActorId, record: &R) -> (String, AutoCommit, Vec<Change>) {
        let mut doc = model::new_document(actor);
        let changes = model::write_record(&mut doc, record).expect("write record");
        (model::new_id(), doc, wire(changes))
    }

    pub fn push_doc(doc_id: &str, kind: &str, changes: Vec<Change>) -> PushDoc {
        PushDoc {
            doc_id: doc_id.to_owned(),
            kind: kind.to_owned(),
            changes,
        }
    }

    /// A sync request from cursor 0 pushing `push`.
    pub fn request(push: Vec<PushDoc>) -> SyncRequest {
        SyncRequest {
            version: protocol::PROTOCOL_VERSION,
            cursor: 0,
            rules_version: 0,
            push,
        }
    }

    /// A sync round trip that must succeed at the HTTP level.
    pub fn sync_ok(server: &TestServer, token: &str, req: &SyncRequest) -> SyncResponse {
        raw_sync(&server.url, token, req).unwrap_or_else(|a| {
            panic!(
                "sync answered {}: {}",
                a.status,
                String::from_utf8_lossy(&a.body)
            )
        })
    }

    /// Pushes one document and returns what the server did with it.
    pub fn push_one(
        server: &TestServer,
        token: &str,
        doc_id: &str,
        kind: &str,
        changes: Vec<Change>,
    ) -> Outcome {
        let resp = sync_ok(
            server,
            token,
            &request(vec![push_doc(doc_id, kind, changes)]),
        );
        assert_eq!(resp.results.len(), 1, "{resp:?}");
        assert_eq!(resp.results[0].doc_id, doc_id);
        resp.results[0].outcome.clone()
    }

    /// The reason of a rejection with `code`; panics on anything else.
    #[track_caller]
    pub fn assert_rejected(outcome: &Outcome, code: &str) -> String {
        match outcome {
            Outcome::Rejected { code: c, reason } => {
                assert_eq!(c, code, "rejected for another reason: {reason}");
                reason.clone()
            }
            Outcome::Accepted => panic!("accepted; expected a rejection with {code}"),
        }
    }
}

/// A form body, `application/x-www-form-urlencoded`.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The CSRF cookie the dashboard's sign-in form sets (`rapport_login_csrf`), from the
/// form's answer.
pub fn login_csrf_cookie<B>(form: &ureq::http::Response<B>) -> String {
    form.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|h| h.to_str().ok())
        .find_map(|c| c.strip_prefix("rapport_login_csrf="))
        .and_then(|c| c.split(';').next())
        .expect("a login CSRF cookie")
        .to_owned()
}
