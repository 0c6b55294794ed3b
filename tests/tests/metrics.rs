//! The operators' view of a running server: `/metrics` in Prometheus's text format (the
//! counts move by exactly what the traffic did; route labels are templates; the scrape
//! needs its token), request ids in the response and in JSON log lines, and admin
//! commands whose output through a pipe is only what they print.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rapport_client_core::model::Visit;
use rapport_tests::invariants::backend_name;
use rapport_tests::raw::{self, assert_rejected};
use rapport_tests::{Company, TestServer, call, login, server_bin};
use serde_json::json;

const TOKEN: &str = "scrape-secret-for-tests";

/// One sample: metric name and labels.
type Key = (String, BTreeMap<String, String>);

/// Parses the Prometheus text format: every sample line into its name, labels and value.
fn parse(text: &str) -> BTreeMap<Key, f64> {
    let mut samples = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample line: series value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => (
                name.to_owned(),
                parse_labels(rest.strip_suffix('}').expect("labels end with }")),
            ),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name {name}"
        );
        samples.insert((name, labels), value);
    }
    samples
}

/// `a="x",b="y\"z"` into its pairs, undoing the format's escapes.
fn parse_labels(s: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut chars = s.chars().peekable();
    while chars.peek().is_some() {
        let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
        assert_eq!(chars.next(), Some('"'), "a quoted label value in {s}");
        let mut value = String::new();
        loop {
            match chars.next().expect("an unterminated label value") {
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(c) => value.push(c),
                    None => panic!("a dangling escape in {s}"),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        if chars.peek() == Some(&',') {
            chars.next();
        }
        labels.insert(key.trim().to_owned(), value);
    }
    labels
}

fn scrape(url: &str) -> BTreeMap<Key, f64> {
    let a = call("GET", &format!("{url}/metrics"), Some(TOKEN), None);
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    parse(&String::from_utf8_lossy(&a.body))
}

/// The value of `name` with exactly `labels` (0 when the series is not there yet).
fn value(samples: &BTreeMap<Key, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    let labels: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples
        .get(&(name.to_owned(), labels))
        .copied()
        .unwrap_or(0.0)
}

fn visit(account: &str, purpose: &str) -> Visit {
    rapport_tests::visit_in_week(account, purpose)
}

#[test]
fn the_counts_move_by_what_the_traffic_did() {
    let server = TestServer::start_with(&["--metrics-token", TOKEN]);
    let backend = backend_name(&server);
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let before = scrape(&server.url);

    // Two accepted documents, and one refused: a visit on an account rep a is not on.
    let (id1, mut doc1, mut changes1) =
        raw::new_record(raw::actor(&rep), &visit(&co.account_a, "one"));
    // Edited twice before it is pushed: one document, three changes, so that counting
    // documents instead of changes shows.
    for purpose in ["one, edited", "one, edited again"] {
        let more =
            rapport_client_core::model::write_record(&mut doc1, &visit(&co.account_a, purpose))
                .expect("edit the visit");
        changes1.extend(raw::wire(more));
    }
    assert!(changes1.len() >= 3);
    let (id2, _, changes2) = raw::new_record(raw::actor(&rep), &visit(&co.account_shared, "two"));
    let (id3, _, changes3) = raw::new_record(raw::actor(&rep), &visit(&co.account_b, "three"));
    let accepted = changes1.len() + changes2.len();
    let refused = changes3.len();
    let token = rep.access_token.as_str();
    let resp = raw::sync_ok(
        &server,
        token,
        &raw::request(vec![
            raw::push_doc(&id1, "visit", changes1),
            raw::push_doc(&id2, "visit", changes2),
        ]),
    );
    assert!(
        resp.results
            .iter()
            .all(|r| r.outcome == rapport_client_core::protocol::Outcome::Accepted)
    );
    assert_rejected(
        &raw::push_one(&server, token, &id3, "visit", changes3),
        "forbidden",
    );
    // Two failed sign-ins: a wrong password and a user who does not exist.
    for user in ["a", "nobody"] {
        let a = call(
            "POST",
            &format!("{}/v1/auth/login", server.url),
            None,
            Some(&json!({"company": "acme", "username": user, "password": "wrong password"})),
        );
        assert_eq!(a.status, 401, "{backend}");
    }
    let after = scrape(&server.url);
    let delta = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };

    assert_eq!(
        delta("rapport_changes_accepted_total", &[]),
        accepted as f64,
        "{backend}"
    );
    assert_eq!(
        delta("rapport_changes_rejected_total", &[("code", "forbidden")]),
        refused as f64,
        "{backend}"
    );
    assert_eq!(
        delta("rapport_sign_ins_failed_total", &[]),
        2.0,
        "{backend}"
    );
    let sync_route = [("route", "/v1/sync"), ("method", "POST"), ("status", "200")];
    assert_eq!(
        delta("rapport_http_requests_total", &sync_route),
        2.0,
        "{backend}"
    );
    assert_eq!(
        delta("rapport_sync_duration_seconds_count", &[]),
        2.0,
        "{backend}"
    );
    assert_eq!(
        delta("rapport_sync_request_bytes_count", &[]),
        2.0,
        "{backend}"
    );
    let login_route = [
        ("route", "/v1/auth/login"),
        ("method", "POST"),
        ("status", "401"),
    ];
    assert_eq!(
        delta("rapport_http_requests_total", &login_route),
        2.0,
        "{backend}"
    );

    // Routes are templates: the assignments Company::setup made are counted under
    // one route, and no label anywhere holds an id.
    let assign = [
        ("route", "/v1/admin/accounts/{account}/team/{user}"),
        ("method", "PUT"),
        ("status", "204"),
    ];
    assert_eq!(
        value(&after, "rapport_http_requests_total", &assign),
        4.0,
        "{backend}"
    );
    for (name, labels) in after.keys() {
        for v in labels.values() {
            assert!(
                !v.contains(&co.account_a) && !v.contains(&co.tenant_id),
                "{name} has an id in a label: {v}"
            );
        }
    }
    // The gauges are there.
    assert!(
        value(&after, "rapport_db_pool_connections", &[("state", "idle")])
            + value(
                &after,
                "rapport_db_pool_connections",
                &[("state", "in_use")]
            )
            >= 1.0
    );
    assert!(value(&after, "rapport_sign_in_queue_places", &[]) >= 1.0);
}

#[test]
fn a_scrape_needs_the_token_and_without_one_there_is_no_metrics_page() {
    let server = TestServer::start_with(&["--metrics-token", TOKEN]);
    let url = format!("{}/metrics", server.url);
    assert_eq!(call("GET", &url, None, None).status, 401);
    assert_eq!(call("GET", &url, Some("not-the-token"), None).status, 401);
    assert_eq!(
        call("GET", &url, Some(&format!("{TOKEN}x")), None).status,
        401
    );
    assert_eq!(call("GET", &url, Some(TOKEN), None).status, 200);

    let closed = TestServer::start();
    let a = call("GET", &format!("{}/metrics", closed.url), Some(TOKEN), None);
    assert_eq!(a.status, 404, "no token configured: no /metrics");
    assert_eq!(a.error_code(), "not_found");
}

/// A server process of our own on `server`'s database, with its log (stderr) in lines.
struct Spawned {
    child: Child,
    url: String,
    metrics_url: Option<String>,
    log: mpsc::Receiver<String>,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(server: &TestServer, args: &[&str], env: &[(&str, &str)]) -> Spawned {
    let mut child = Command::new(server_bin())
        .args([
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &server.database_url,
        ])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rapport-server");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut metrics_url = None;
    let url = loop {
        let line = lines
            .next()
            .and_then(Result::ok)
            .expect("rapport-server exited before listening");
        if let Some(m) = line.strip_prefix("Metrics on ") {
            metrics_url = Some(m.trim().to_owned());
        }
        if let Some(u) = line.strip_prefix("Rapport listening on ") {
            break u.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Spawned {
        child,
        url,
        metrics_url,
        log,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// `GET url` with an `X-Request-Id`; the id the response carries.
fn request_id_of(url: &str, sent: Option<&str>) -> String {
    let mut r = agent().get(url);
    if let Some(id) = sent {
        r = r.header("X-Request-Id", id);
    }
    let resp = r.call().expect("HTTP request");
    resp.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("an X-Request-Id in the response")
        .to_owned()
}

#[test]
fn json_logs_carry_the_request_id_the_response_echoes() {
    let server = TestServer::start();
    let backend = backend_name(&server);
    let s = spawn(
        &server,
        &["--trust-request-id", "--metrics-listen", "127.0.0.1:0"],
        &[
            ("RAPPORT_LOG_FORMAT", "json"),
            ("RAPPORT_LOG", "info,tower_http=debug"),
        ],
    );
    let health = format!("{}/healthz", s.url);

    // A proxy's well-formed id is kept; a malformed one is replaced.
    assert_eq!(request_id_of(&health, Some("lb-7f3a.42")), "lb-7f3a.42");
    let replaced = request_id_of(&health, Some("two words"));
    assert_ne!(replaced, "two words");
    assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "{replaced}");
    let fresh = request_id_of(&health, None);
    assert!(uuid::Uuid::parse_str(&fresh).is_ok(), "{fresh}");

    // Every line is JSON, and the request's lines name its id.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut tagged = 0;
    while tagged < 2 && Instant::now() < deadline {
        let Ok(line) = s.log.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{backend}: a log line that is not JSON ({e}): {line}"));
        let spans = v["spans"].as_array().cloned().unwrap_or_default();
        if spans.iter().any(|s| s["request_id"] == fresh) {
            tagged += 1;
        }
    }
    assert!(
        tagged >= 2,
        "{backend}: the request's started and finished lines name {fresh}"
    );

    // The separate metrics listener serves /metrics (no token set: open there) and
    // nothing else.
    let metrics_url = s.metrics_url.clone().expect("a Metrics on line");
    let a = call("GET", &metrics_url, None, None);
    assert_eq!(a.status, 200);
    let samples = parse(&String::from_utf8_lossy(&a.body));
    let ok = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
    assert_eq!(
        value(&samples, "rapport_http_requests_total", &ok),
        3.0,
        "{backend}"
    );
    let other = metrics_url.replace("/metrics", "/v1/sync");
    assert_eq!(call("GET", &other, None, None).status, 404);

    // Without --trust-request-id a client's id is not taken.
    let untrusting = request_id_of(&format!("{}/healthz", server.url), Some("lb-7f3a.42"));
    assert_ne!(untrusting, "lb-7f3a.42");
}

#[test]
fn admin_commands_through_a_pipe_print_no_log_lines_or_colours() {
    let server = TestServer::start();
    Company::setup(&server, "acme");
    let fresh = tempfile::tempdir().expect("temp dir");
    let fresh_dir = fresh.path().to_str().expect("UTF-8");
    let runs: [(&[&str], bool); 3] = [
        // The server's database, and a fresh one whose migrations run now.
        (
            &[
                "--database-url",
                &server.database_url,
                "admin",
                "list",
                "--company",
                "acme",
            ],
            true,
        ),
        (
            &[
                "--data-dir",
                fresh_dir,
                "admin",
                "list",
                "--company",
                "acme",
            ],
            false,
        ),
        (
            &[
                "--database-url",
                &server.database_url,
                "admin",
                "list",
                "--company",
                "nosuch",
            ],
            false,
        ),
    ];
    for (args, succeeds) in runs {
        let out = Command::new(server_bin())
            .args(args)
            .env_remove("RAPPORT_LOG")
            .env_remove("RAPPORT_LOG_FORMAT")
            .output()
            .expect("run rapport-server admin");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.success(), succeeds, "{args:?}: {stdout}{stderr}");
        for text in [&stdout, &stderr] {
            assert!(!text.contains("INFO"), "{args:?}: {text}");
            assert!(
                !text.contains('\u{1b}'),
                "{args:?}: escape codes in {text:?}"
            );
        }
        if succeeds {
            assert!(stdout.contains("company acme"), "{stdout}");
        } else {
            // The error is still shown, on one line of its own.
            assert!(stderr.contains("rapport-server: "), "{args:?}: {stderr}");
        }
    }
}
