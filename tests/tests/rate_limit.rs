//! Rate limits: one user's flood is refused with 429, `Retry-After` and the usual JSON
//! error while the other users of the company are served at the same moment; password
//! guessing on one user name is slowed the same way, without locking out the others.
//! The server runs with low limits here (the defaults are far above what the rest of the
//! test suite, or a rep's phone, ever asks).

use std::time::{Duration, Instant};

use rapport_client_core::model::{LocalTime, Visit};
use rapport_client_core::protocol::{self, Outcome};
use rapport_tests::raw::*;
use rapport_tests::{Company, PASSWORD, TestServer, login, post_bytes, raw_sync};
use serde_json::{Value, json};

/// Requests a minute per user, and the burst allowed at once.
const PER_MINUTE: u32 = 60;
const BURST: u32 = 20;
/// Sign-in attempts a minute per address, company and user name.
const SIGN_INS: u32 = 5;

/// An answer with the headers the tests look at.
#[derive(Debug)]
struct Reply {
    status: u16,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

fn reply(resp: ureq::http::Response<ureq::Body>) -> Reply {
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let body = resp.into_body().read_to_vec().expect("read body");
    Reply {
        status,
        retry_after,
        body,
    }
}

fn get(server: &TestServer, path: &str, token: &str) -> Reply {
    reply(
        agent()
            .get(format!("{}{path}", server.url))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("request"),
    )
}

fn sign_in(server: &TestServer, user: &str, password: &str) -> Reply {
    reply(
        agent()
            .post(format!("{}/v1/auth/login", server.url))
            .send_json(json!({"company": "acme", "username": user, "password": password}))
            .expect("request"),
    )
}

/// Asserts a 429 in the server's error shape and returns its `Retry-After`, in seconds.
#[track_caller]
fn assert_limited(r: &Reply) -> u64 {
    assert_eq!(r.status, 429, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let secs: u64 = r
        .retry_after
        .as_deref()
        .expect("a Retry-After header")
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=60).contains(&secs), "Retry-After: {secs}");
    secs
}

fn start() -> TestServer {
    TestServer::start_with(&[
        "--rate-limit-per-minute",
        &PER_MINUTE.to_string(),
        "--rate-limit-burst",
        &BURST.to_string(),
        "--login-rate-limit-per-minute",
        &SIGN_INS.to_string(),
    ])
}

/// A dashboard session cookie for `session`'s user, signed as the server signs them.
fn dashboard_session(
    server: &TestServer,
    session: &rapport_client_core::protocol::Session,
) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": session.user_id, "iss": "rapport", "aud": "rapport-dashboard",
        "exp": now + 600, "iat": now, "tid": session.tenant_id, "csrf": "a-csrf-token",
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("jwt-hs256".into());
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&server.jwt_secret()),
    )
    .expect("sign")
}

fn visit(account: &str) -> Visit {
    let at = chrono::DateTime::parse_from_rfc3339("2026-09-29T10:00:00+08:00").expect("time");
    Visit {
        account_id: account.to_owned(),
        occurred_at: LocalTime::from_datetime(&at),
        logged_at: LocalTime::from_datetime(&at),
        duration_min: 30,
        purpose: "Flood".into(),
        ..Default::default()
    }
}

#[test]
fn a_flooding_user_is_refused_while_the_others_are_served() {
    let server = start();
    let co = Company::setup(&server, "acme");
    let a = login(&server.url, "acme", "a");
    let a_tablet = login(&server.url, "acme", "a");
    let b = login(&server.url, "acme", "b");
    let scorecard = "/v1/reports/scorecard?period=2026-W40";

    // A floods: the burst is served, then 429s.
    let started = Instant::now();
    let mut served = 0;
    let first_refusal = loop {
        let r = get(&server, scorecard, &a.access_token);
        if r.status == 200 {
            served += 1;
            assert!(served <= 3 * BURST, "never limited after {served} requests");
            continue;
        }
        break r;
    };
    let flood_secs = started.elapsed().as_secs_f64();
    let wait = assert_limited(&first_refusal);
    // The burst, plus what refilled at one a second while the flood ran.
    let refill = (flood_secs * f64::from(PER_MINUTE) / 60.0).ceil() as u32 + 1;
    assert!(
        (BURST..=BURST + refill).contains(&served),
        "{served} served in {flood_secs:.1}s"
    );

    // At the same moment: B is served, on every face; A's other device is not (the limit
    // is the user's), and a push from A is refused without touching anything.
    let before = server.fingerprint();
    assert_eq!(get(&server, scorecard, &b.access_token).status, 200);
    assert!(raw_sync(&server.url, &b.access_token, &request(vec![])).is_ok());
    assert_limited(&get(&server, scorecard, &a_tablet.access_token));
    let (id, _, changes) = new_record(actor(&a), &visit(&co.account_a));
    let body = postcard::to_stdvec(&request(vec![push_doc(&id, "visit", changes.clone())]))
        .expect("encode");
    let refused = post_bytes(
        &format!("{}/v1/sync", server.url),
        Some(&a.access_token),
        protocol::SYNC_CONTENT_TYPE,
        &body,
    );
    assert_eq!(refused.status, 429);
    assert_eq!(refused.error_code(), "rate_limited");
    assert_eq!(
        server.fingerprint(),
        before,
        "a refused push changed something"
    );
    // Refused requests do not extend the wait: after Retry-After, A is served again (one
    // request's worth at this rate), and the push goes through.
    std::thread::sleep(Duration::from_secs(wait) + Duration::from_millis(200));
    assert_eq!(
        push_one(&server, &a.access_token, &id, "visit", changes),
        Outcome::Accepted
    );
    // The dashboard counts against the same allowance: A's pages wait too, B's do not.
    let page = |session: &rapport_client_core::protocol::Session| {
        reply(
            agent()
                .get(format!("{}/dashboard/reps/{}", server.url, session.user_id))
                .header(
                    "Cookie",
                    format!("rapport_session={}", dashboard_session(&server, session)),
                )
                .call()
                .expect("dashboard page"),
        )
    };
    let mut pages = 0;
    let limited_page = loop {
        let r = page(&a);
        if r.status != 200 {
            break r;
        }
        pages += 1;
        assert!(pages <= 3 * BURST, "the dashboard was never limited");
    };
    assert_eq!(limited_page.status, 429);
    assert!(limited_page.retry_after.is_some());
    assert_eq!(page(&b).status, 200);
    println!(
        "rate limit: {served} of A's requests served in {flood_secs:.2}s before the first 429 \
         (burst {BURST}, {PER_MINUTE}/min), Retry-After {wait}s; B served meanwhile"
    );
}

#[test]
fn password_guessing_is_slowed_per_user_name_without_locking_out_the_others() {
    let server = start();
    Company::setup(&server, "acme");
    let mut refused = 0;
    for _ in 0..SIGN_INS {
        let r = sign_in(&server, "manager", "a wrong guess");
        assert_eq!(r.status, 401, "{}", String::from_utf8_lossy(&r.body));
        refused += 1;
    }
    let r = sign_in(&server, "manager", "another wrong guess");
    let wait = assert_limited(&r);
    // Even the right password waits now: the limit is checked before the password.
    assert_limited(&sign_in(&server, "manager", PASSWORD));
    // The dashboard's sign-in form counts against the same allowance.
    let form = agent()
        .get(format!("{}/dashboard/login", server.url))
        .call()
        .expect("login form");
    let cookie = rapport_tests::login_csrf_cookie(&form);
    let page = reply(
        agent()
            .post(format!("{}/dashboard/login", server.url))
            .header("Cookie", format!("rapport_login_csrf={cookie}"))
            .content_type("application/x-www-form-urlencoded")
            .send(format!(
                "company=acme&username=manager&password=x&csrf={cookie}"
            ))
            .expect("dashboard sign-in"),
    );
    assert_eq!(page.status, 429);
    assert!(page.retry_after.is_some());
    // Other users of the company sign in meanwhile.
    for user in ["a", "b", "admin"] {
        let r = sign_in(&server, user, PASSWORD);
        assert_eq!(
            r.status,
            200,
            "{user}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // After the wait, the right password works.
    std::thread::sleep(Duration::from_secs(wait) + Duration::from_millis(200));
    let r = sign_in(&server, "manager", PASSWORD);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    println!(
        "sign-in limit: {refused} wrong passwords answered 401, then 429 with Retry-After \
         {wait}s; other users signed in meanwhile"
    );
}

#[test]
fn the_limit_can_be_turned_off() {
    // A burst of 5 would refuse the sixth request, were the limit on.
    let server =
        TestServer::start_with(&["--rate-limit-per-minute", "0", "--rate-limit-burst", "5"]);
    Company::setup(&server, "acme");
    let a = login(&server.url, "acme", "a");
    for n in 0..50 {
        let r = get(&server, "/v1/reports/scorecard", &a.access_token);
        assert_eq!(r.status, 200, "request {n}");
    }
}
