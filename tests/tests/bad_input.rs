//! Bad input of every kind: each is refused with a 4xx and the protocol's JSON error body
//! (or, inside a sync, a rejected document with a reason), the server stores nothing of
//! it, and it goes on serving ordinary syncs.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use rapport_client_core::model::{self, Account, Visit};
use rapport_client_core::protocol::{self, Change, Outcome, PushDoc, SyncRequest, SyncResponse};
use rapport_tests::raw::*;
use rapport_tests::{
    Answer, Company, Device, OPERATOR_TOKEN, PASSWORD, TestServer, call, in_week, login,
    post_bytes, visit_in_week,
};
use serde_json::{Value, json};

/// A visit document written field by field with Automerge alone (no schema check on the
/// way), as one change; `tweak` alters it before the commit.
fn raw_visit(actor: ActorId, account: &str, tweak: impl FnOnce(&mut AutoCommit)) -> Vec<Change> {
    let mut doc = AutoCommit::new().with_actor(actor);
    doc.put(ROOT, "account_id", account).expect("put");
    // A moment is one value: RFC 3339 with its offset.
    let at = in_week()
        .to_datetime()
        .expect("in range")
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    for field in ["occurred_at", "logged_at"] {
        doc.put(ROOT, field, at.as_str()).expect("put");
    }
    doc.put(ROOT, "duration_min", 45i64).expect("put");
    doc.put(ROOT, "purpose", "Quarterly review").expect("put");
    tweak(&mut doc);
    doc.commit();
    let changes = wire(doc.get_changes(&[]));
    assert_eq!(changes.len(), 1);
    changes
}

fn encode(req: &SyncRequest) -> Vec<u8> {
    postcard::to_stdvec(req).expect("encode")
}

fn post_sync(server: &TestServer, token: &str, content_type: &str, body: &[u8]) -> Answer {
    post_bytes(
        &format!("{}/v1/sync", server.url),
        Some(token),
        content_type,
        body,
    )
}

/// The answer is `status` with a JSON error body `{"error":{"code","message"}}`.
#[track_caller]
fn assert_json_error(what: &str, a: &Answer, status: u16, code: Option<&str>) {
    let text = String::from_utf8_lossy(&a.body);
    assert_eq!(a.status, status, "{what}: {text}");
    let body: Value = serde_json::from_slice(&a.body)
        .unwrap_or_else(|e| panic!("{what}: the error body is not JSON ({e}): {text:?}"));
    let got = body["error"]["code"].as_str();
    assert!(
        got.is_some_and(|c| !c.is_empty()),
        "{what}: no error code in {text}"
    );
    if let Some(code) = code {
        assert_eq!(got, Some(code), "{what}: {text}");
    }
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: no error message in {text}"
    );
}

/// A refused request left the server as it was, and the server is fine.
#[track_caller]
fn assert_unchanged(what: &str, server: &TestServer, before: &[i64]) {
    assert_eq!(
        server.fingerprint(),
        before,
        "{what} changed what the server stores"
    );
    assert!(server.is_healthy(), "the server is unwell after {what}");
}

/// The server still serves an ordinary device: a visit logged and synced is accepted.
#[track_caller]
fn assert_serves_a_normal_sync(server: &TestServer, co: &Company) {
    assert!(server.is_healthy());
    let device = Device::new(&server.url, &co.slug, "b");
    device.sync().expect("first sync");
    device
        .create(&visit_in_week(&co.account_b, "after the bad input"))
        .expect("log");
    let report = device.sync().expect("sync");
    assert_eq!(
        (report.accepted, report.rejected, report.waiting),
        (1, 0, 0),
        "{report:?}"
    );
}

/// Bytes that look like nothing (a fixed xorshift stream, so failures replay).
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[3]
        })
        .collect()
}

#[test]
fn malformed_sync_bodies_are_refused_and_change_nothing() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let token = &rep.access_token;
    // A request that would store a visit, were it delivered intact.
    let (id, _, changes) = new_record(
        actor(&rep),
        &visit_in_week(&co.account_a, "Quarterly review"),
    );
    let valid = request(vec![push_doc(&id, "visit", changes)]);
    let body = encode(&valid);
    let before = server.fingerprint();

    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("garbage".into(), noise(300, 7)),
        ("garbage of one byte".into(), vec![0xff]),
        ("empty body".into(), vec![]),
        (
            "JSON in the sync body".into(),
            serde_json::to_vec(&json!({"version": 1})).expect("json"),
        ),
    ];
    for n in [1, 3, body.len() / 3, body.len() / 2, body.len() - 1] {
        cases.push((
            format!("request truncated to {n} of {} bytes", body.len()),
            body[..n].to_vec(),
        ));
    }
    for (what, bytes) in &cases {
        let a = post_sync(&server, token, protocol::SYNC_CONTENT_TYPE, bytes);
        assert_json_error(what, &a, 400, Some("invalid_body"));
        assert_unchanged(what, &server, &before);
    }

    for content_type in ["application/json", "application/octet-stream", "text/plain"] {
        let what = format!("content type {content_type}");
        let a = post_sync(&server, token, content_type, &body);
        assert_json_error(&what, &a, 415, Some("unsupported_media_type"));
        assert_unchanged(&what, &server, &before);
    }

    for version in [0, protocol::PROTOCOL_VERSION + 1, u32::MAX] {
        let what = format!("protocol version {version}");
        let a = post_sync(
            &server,
            token,
            protocol::SYNC_CONTENT_TYPE,
            &encode(&SyncRequest {
                version,
                ..valid.clone()
            }),
        );
        assert_json_error(&what, &a, 400, Some("invalid_body"));
        assert_unchanged(&what, &server, &before);
    }

    // Without a token, whatever the body.
    let a = post_bytes(
        &format!("{}/v1/sync", server.url),
        None,
        protocol::SYNC_CONTENT_TYPE,
        &noise(64, 3),
    );
    assert_json_error("garbage without a token", &a, 401, Some("unauthorized"));
    assert_unchanged("garbage without a token", &server, &before);

    // Control: the intact request stores the visit.
    let resp = sync_ok(&server, token, &valid);
    assert_eq!(resp.results[0].outcome, Outcome::Accepted);
    assert_eq!(server.count("SELECT COUNT(*) FROM visits"), before[4] + 1);
    assert_serves_a_normal_sync(&server, &co);
}

#[test]
fn a_refused_cursor_stores_nothing_of_the_push() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let (id, _, changes) = new_record(
        actor(&rep),
        &visit_in_week(&co.account_a, "Quarterly review"),
    );
    let before = server.fingerprint();
    // A cursor no sequence reaches: the server may treat it as any cursor from the future
    // (and answer), or refuse the request; if it refuses, it must not have stored the push.
    let req = SyncRequest {
        cursor: u64::MAX,
        ..request(vec![push_doc(&id, "visit", changes)])
    };
    let a = post_sync(
        &server,
        &rep.access_token,
        protocol::SYNC_CONTENT_TYPE,
        &encode(&req),
    );
    if a.status == 200 {
        let resp: SyncResponse = postcard::from_bytes(&a.body).expect("a sync response");
        assert_eq!(resp.results[0].outcome, Outcome::Accepted);
    } else {
        assert_json_error("cursor u64::MAX", &a, 400, Some("invalid_body"));
        assert_unchanged("a refused sync request (cursor u64::MAX)", &server, &before);
    }
    assert_serves_a_normal_sync(&server, &co);
}

#[test]
fn an_oversized_body_is_refused_with_a_json_error() {
    let server = TestServer::start_with(&["--max-body-bytes", "4096"]);
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let big = Visit {
        notes: "x".repeat(6000),
        ..visit_in_week(&co.account_a, "Quarterly review")
    };
    let mut doc = model::new_document(actor(&rep));
    model::write_record(&mut doc, &big).expect("write");
    // Sent uncompressed, as a device may.
    let changes = vec![Change(doc.get_changes(&[])[0].raw_bytes().to_vec())];
    let id = model::new_id();
    let body = encode(&request(vec![push_doc(&id, "visit", changes)]));
    assert!(body.len() > 4096, "{} bytes", body.len());
    let before = server.fingerprint();

    let oversized_sync = post_sync(
        &server,
        &rep.access_token,
        protocol::SYNC_CONTENT_TYPE,
        &body,
    );
    assert_eq!(
        oversized_sync.status,
        413,
        "{}",
        String::from_utf8_lossy(&oversized_sync.body)
    );
    assert_unchanged("an oversized sync", &server, &before);

    let login_body = serde_json::to_vec(&json!({
        "company": "acme", "username": "a", "password": "p".repeat(6000),
    }))
    .expect("json");
    let a = post_bytes(
        &format!("{}/v1/auth/login", server.url),
        None,
        "application/json",
        &login_body,
    );
    assert_json_error("an oversized login", &a, 413, Some("too_large"));
    assert_unchanged("an oversized login", &server, &before);

    // Small requests still go through.
    assert_serves_a_normal_sync(&server, &co);

    // Every error answers with the protocol's JSON body, the sync endpoint's too.
    assert_json_error("an oversized sync", &oversized_sync, 413, Some("too_large"));
}

#[test]
fn requests_with_invalid_documents_are_refused_whole() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let (id, _, changes) = new_record(
        actor(&rep),
        &visit_in_week(&co.account_a, "Quarterly review"),
    );
    let good = push_doc(&id, "visit", changes.clone());
    let before = server.fingerprint();

    let cases: Vec<(&str, Vec<PushDoc>)> = vec![
        (
            "an unknown kind",
            vec![push_doc(&model::new_id(), "spaceship", changes.clone())],
        ),
        (
            "a kind in capitals",
            vec![push_doc(&model::new_id(), "Visit", changes.clone())],
        ),
        (
            "an empty kind",
            vec![push_doc(&model::new_id(), "", changes.clone())],
        ),
        (
            "a doc id that is not a UUID",
            vec![push_doc("visit-1", "visit", changes.clone())],
        ),
        (
            "an empty doc id",
            vec![push_doc("", "visit", changes.clone())],
        ),
        ("the same document twice", vec![good.clone(), good.clone()]),
        (
            "a good document then one of an unknown kind",
            vec![
                good.clone(),
                push_doc(&model::new_id(), "spaceship", changes.clone()),
            ],
        ),
        (
            "a good document then one with a bad id",
            vec![
                good.clone(),
                push_doc("not-a-uuid", "visit", changes.clone()),
            ],
        ),
    ];
    for (what, docs) in cases {
        let a = post_sync(
            &server,
            &rep.access_token,
            protocol::SYNC_CONTENT_TYPE,
            &encode(&request(docs)),
        );
        assert_json_error(what, &a, 422, Some("invalid_input"));
        assert_unchanged(what, &server, &before);
    }
    assert_eq!(
        server.count(&format!("SELECT COUNT(*) FROM documents WHERE id = '{id}'")),
        0
    );

    // Control: the good document alone is stored.
    assert_eq!(
        push_one(&server, &rep.access_token, &id, "visit", changes),
        Outcome::Accepted
    );
    assert_serves_a_normal_sync(&server, &co);
}

#[test]
fn corrupt_changes_are_rejected_with_nothing_stored() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let token = &rep.access_token;
    let (_, mut doc, _) = new_record(
        actor(&rep),
        &visit_in_week(&co.account_a, "Quarterly review"),
    );
    // The change uncompressed, so that every byte counts (in the deflated form the
    // encoding sends by default, the last byte holds padding bits a flip may not change).
    let valid = doc.get_changes(&[])[0].raw_bytes().to_vec();
    assert!(model::parse_change(&valid).is_ok());
    let before = server.fingerprint();

    let flipped = |i: usize| {
        let mut bytes = valid.clone();
        bytes[i] ^= 0x40;
        Change(bytes)
    };
    let corrupt: Vec<(String, Vec<Change>)> = vec![
        ("random bytes".into(), vec![Change(noise(200, 11))]),
        ("one zero byte".into(), vec![Change(vec![0])]),
        ("no bytes".into(), vec![Change(vec![])]),
        (
            "a truncated change".into(),
            vec![Change(valid[..valid.len() - 3].to_vec())],
        ),
        ("a flipped checksum byte".into(), vec![flipped(5)]),
        ("the chunk type flipped".into(), vec![flipped(8)]),
        (
            format!("byte {} flipped", valid.len() / 2),
            vec![flipped(valid.len() / 2)],
        ),
        (
            "the last byte flipped".into(),
            vec![flipped(valid.len() - 1)],
        ),
        (
            "a valid change then a corrupt one".into(),
            vec![Change(valid.clone()), Change(noise(100, 5))],
        ),
    ];
    for (what, changes) in corrupt {
        let id = model::new_id();
        let reason = assert_rejected(
            &push_one(&server, token, &id, "visit", changes),
            "corrupt_change",
        );
        assert!(!reason.is_empty(), "{what}");
        assert_unchanged(&what, &server, &before);
    }

    // A change whose dependency the server never received.
    let heads = doc.get_heads();
    let mut record: Visit = model::read_record(&doc).expect("read");
    record.duration_min = 90;
    model::write_record(&mut doc, &record).expect("write");
    let second = wire(doc.get_changes(&heads));
    assert_eq!(second.len(), 1);
    let reason = assert_rejected(
        &push_one(&server, token, &model::new_id(), "visit", second.clone()),
        "missing_dependencies",
    );
    assert!(!reason.is_empty());
    assert_unchanged("a change missing its dependency", &server, &before);
    // A new document with no changes at all.
    assert_rejected(
        &push_one(&server, token, &model::new_id(), "visit", vec![]),
        "empty",
    );
    assert_unchanged("an empty new document", &server, &before);

    // In one request, the corrupt document is rejected and the good one stored.
    let bad_id = model::new_id();
    let good_id = model::new_id();
    let resp = sync_ok(
        &server,
        token,
        &request(vec![
            push_doc(
                &bad_id,
                "visit",
                vec![Change(valid.clone()), flipped(valid.len() / 2)],
            ),
            push_doc(&good_id, "visit", vec![Change(valid.clone())]),
        ]),
    );
    assert_rejected(&resp.results[0].outcome, "corrupt_change");
    assert_eq!(resp.results[1].outcome, Outcome::Accepted);
    for table in [
        "changes WHERE doc_id",
        "documents WHERE id",
        "visits WHERE id",
    ] {
        assert_eq!(
            server.count(&format!("SELECT COUNT(*) FROM {table} = '{bad_id}'")),
            0
        );
        assert_eq!(
            server.count(&format!("SELECT COUNT(*) FROM {table} = '{good_id}'")),
            1
        );
    }
    // Once the dependency is there, the second change is accepted.
    assert_eq!(
        push_one(&server, token, &good_id, "visit", second),
        Outcome::Accepted
    );
    assert_eq!(
        server.count(&format!(
            "SELECT CAST(duration_min AS BIGINT) FROM visits WHERE id = '{good_id}'"
        )),
        90
    );
    assert_serves_a_normal_sync(&server, &co);
}

#[test]
fn documents_that_fail_the_schema_are_rejected_and_not_projected() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let token = &rep.access_token;
    let before = server.fingerprint();
    let visits = server.count("SELECT COUNT(*) FROM visits");

    let cases: Vec<(&str, &str, Vec<Change>, &str)> = vec![
        (
            "a visit without purpose",
            "visit",
            raw_visit(actor(&rep), &co.account_a, |d| {
                d.delete(ROOT, "purpose").expect("delete")
            }),
            "purpose",
        ),
        (
            "a visit whose duration is a string",
            "visit",
            raw_visit(actor(&rep), &co.account_a, |d| {
                d.put(ROOT, "duration_min", "45").expect("put");
            }),
            "duration_min",
        ),
        (
            "a visit of negative duration",
            "visit",
            raw_visit(actor(&rep), &co.account_a, |d| {
                d.put(ROOT, "duration_min", -5i64).expect("put");
            }),
            "duration_min",
        ),
        (
            "a visit with an empty purpose",
            "visit",
            raw_visit(actor(&rep), &co.account_a, |d| {
                d.put(ROOT, "purpose", "   ").expect("put");
            }),
            "purpose",
        ),
        (
            "a visit whose account is not a record id",
            "visit",
            raw_visit(actor(&rep), &co.account_a, |d| {
                d.put(ROOT, "account_id", "Huadong Steel").expect("put");
            }),
            "account_id",
        ),
        (
            "a contact whose account is not a record id",
            "contact",
            {
                let mut doc = AutoCommit::new().with_actor(actor(&rep));
                doc.put(ROOT, "account_id", "not-a-uuid").expect("put");
                doc.put(ROOT, "name", "Liu Yang").expect("put");
                doc.commit();
                wire(doc.get_changes(&[]))
            },
            "account_id",
        ),
    ];
    // Reasons that do not name the offending field, reported at the end.
    let mut unnamed = Vec::new();
    for (what, kind, changes, field) in cases {
        let reason = assert_rejected(
            &push_one(&server, token, &model::new_id(), kind, changes),
            "invalid_document",
        );
        if !reason.contains(field) {
            unnamed.push(format!("{what}: {reason:?} does not name {field}"));
        }
        assert_unchanged(what, &server, &before);
        assert_eq!(
            server.count("SELECT COUNT(*) FROM visits"),
            visits,
            "{what}"
        );
    }
    // A valid visit pushed as a contact does not read as one.
    let changes = raw_visit(actor(&rep), &co.account_a, |_| {});
    assert_rejected(
        &push_one(&server, token, &model::new_id(), "contact", changes.clone()),
        "invalid_document",
    );
    assert_unchanged("a visit pushed as a contact", &server, &before);

    // Control: the same raw visit, untouched, is a valid record.
    let id = model::new_id();
    assert_eq!(
        push_one(&server, token, &id, "visit", changes.clone()),
        Outcome::Accepted
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM visits"), visits + 1);

    // An edit that breaks a stored record is rejected whole; the record stays as it was.
    let mut doc_as_rep = AutoCommit::load(&changes[0].0)
        .expect("load the change")
        .with_actor(actor(&rep));
    let heads = doc_as_rep.get_heads();
    doc_as_rep.delete(ROOT, "purpose").expect("delete");
    doc_as_rep.commit();
    let breaking = wire(doc_as_rep.get_changes(&heads));
    let before = server.fingerprint();
    let reason = assert_rejected(
        &push_one(&server, token, &id, "visit", breaking),
        "invalid_document",
    );
    if !reason.contains("purpose") {
        unnamed.push(format!(
            "an edit deleting purpose: {reason:?} does not name purpose"
        ));
    }
    assert_unchanged("an edit that breaks a record", &server, &before);
    assert_eq!(
        server.text(&format!("SELECT purpose FROM visits WHERE id = '{id}'")),
        "Quarterly review"
    );
    assert_serves_a_normal_sync(&server, &co);

    // An app points at the field: every reason names it.
    assert!(
        unnamed.is_empty(),
        "reasons without their field:\n{}",
        unnamed.join("\n")
    );
}

#[test]
fn a_rep_cannot_create_an_account() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let before = server.fingerprint();
    let account = Account {
        name: "Rogue Trading".into(),
        industry: None,
        city: Some("Suzhou".into()),
        location: None,
        deleted: false,
        ..Default::default()
    };
    let (id, _, changes) = new_record(actor(&rep), &account);
    assert_rejected(
        &push_one(&server, &rep.access_token, &id, "account", changes),
        "forbidden",
    );
    assert_unchanged("a rep's new account", &server, &before);

    // Through the device library too: the device may keep it, the server does not.
    let device = Device::new(&server.url, "acme", "a");
    device.sync().expect("sync");
    device.create(&account).expect("create offline");
    let report = device.sync().expect("sync");
    assert_eq!(report.rejected, 1, "{report:?}");
    assert_unchanged("a rep's new account", &server, &before);
    assert_eq!(
        server.count("SELECT COUNT(*) FROM accounts WHERE name = 'Rogue Trading'"),
        0
    );
    assert_serves_a_normal_sync(&server, &co);
}

/// A raw body to a JSON endpoint: what it is, path, content type, token, body, and the
/// status expected.
type RawCase<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, &'a [u8], u16);

/// Raw bodies to the JSON endpoints that are not JSON, not whole, or not sent as JSON.
fn raw_json_cases(admin_token: &str) -> Vec<RawCase<'_>> {
    vec![
        (
            "login: malformed JSON",
            "/v1/auth/login",
            "application/json",
            None,
            b"{\"company\": \"acme\",",
            400,
        ),
        (
            "login: not JSON at all",
            "/v1/auth/login",
            "application/json",
            None,
            b"company=acme&username=a",
            400,
        ),
        (
            "login: empty body",
            "/v1/auth/login",
            "application/json",
            None,
            b"",
            400,
        ),
        (
            "login: a form",
            "/v1/auth/login",
            "application/x-www-form-urlencoded",
            None,
            b"company=acme",
            415,
        ),
        (
            "login: text",
            "/v1/auth/login",
            "text/plain",
            None,
            b"{}",
            415,
        ),
        (
            "refresh: malformed JSON",
            "/v1/auth/refresh",
            "application/json",
            None,
            b"[[[",
            400,
        ),
        (
            "admin: malformed JSON",
            "/v1/admin/accounts",
            "application/json",
            Some(admin_token),
            b"{\"name\": }",
            400,
        ),
    ]
}

/// Well-formed JSON of the wrong shape: what it is, method, path, token and body.
type ShapedCase<'a> = (&'static str, &'static str, String, Option<&'a str>, Value);

/// Bodies of the wrong shape to the endpoints of signing in and of refreshing a session.
fn sign_in_shaped_cases() -> Vec<ShapedCase<'static>> {
    vec![
        (
            "login: missing fields",
            "POST",
            "/v1/auth/login".into(),
            None,
            json!({"company": "acme"}),
        ),
        (
            "login: wrong types",
            "POST",
            "/v1/auth/login".into(),
            None,
            json!({"company": "acme", "username": 7, "password": ["x"]}),
        ),
        (
            "login: an array",
            "POST",
            "/v1/auth/login".into(),
            None,
            json!(["acme"]),
        ),
        (
            "refresh: missing token",
            "POST",
            "/v1/auth/refresh".into(),
            None,
            json!({}),
        ),
        (
            "refresh: a number",
            "POST",
            "/v1/auth/refresh".into(),
            None,
            json!({"refresh_token": 42}),
        ),
    ]
}

/// Bodies of the wrong shape to the admin's and the operator's endpoints.
fn admin_shaped_cases<'a>(admin: Option<&'a str>, rep_id: &str) -> Vec<ShapedCase<'a>> {
    vec![
        (
            "account: name a number",
            "POST",
            "/v1/admin/accounts".into(),
            admin,
            json!({"name": 42}),
        ),
        (
            "account: latitude a word",
            "POST",
            "/v1/admin/accounts".into(),
            admin,
            json!({"name": "Northwind", "lat": "north", "lon": 121.0}),
        ),
        (
            "account: only a latitude",
            "POST",
            "/v1/admin/accounts".into(),
            admin,
            json!({"name": "Northwind", "lat": 31.2}),
        ),
        (
            "account: empty name",
            "POST",
            "/v1/admin/accounts".into(),
            admin,
            json!({"name": "  "}),
        ),
        (
            "team: name null",
            "POST",
            "/v1/admin/teams".into(),
            admin,
            json!({"name": null}),
        ),
        (
            "user: unknown role",
            "POST",
            "/v1/admin/users".into(),
            admin,
            json!({"username": "z", "password": PASSWORD, "role": "superuser"}),
        ),
        (
            "user: username a list",
            "POST",
            "/v1/admin/users".into(),
            admin,
            json!({"username": ["z"], "password": PASSWORD, "role": "rep"}),
        ),
        (
            "user: short password",
            "POST",
            "/v1/admin/users".into(),
            admin,
            json!({"username": "z", "password": "short", "role": "rep"}),
        ),
        (
            "user update: active a string",
            "PATCH",
            format!("/v1/admin/users/{rep_id}"),
            admin,
            json!({"active": "no"}),
        ),
        (
            "user update: team a number",
            "PATCH",
            format!("/v1/admin/users/{rep_id}"),
            admin,
            json!({"team_id": 3}),
        ),
        (
            "company: slug a number",
            "POST",
            "/v1/admin/companies".into(),
            Some(OPERATOR_TOKEN),
            json!({"slug": 5, "name": "Five", "admin_username": "admin", "admin_password": PASSWORD}),
        ),
        (
            "company: unknown time zone",
            "POST",
            "/v1/admin/companies".into(),
            Some(OPERATOR_TOKEN),
            json!({
                "slug": "five", "name": "Five", "time_zone": "Mars/Olympus",
                "admin_username": "admin", "admin_password": PASSWORD,
            }),
        ),
    ]
}

#[test]
fn malformed_json_is_refused_with_json_errors() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let url = &server.url;
    let before = server.fingerprint();
    let tables = [
        "tenants",
        "teams",
        "users",
        "account_teams",
        "refresh_tokens",
        "devices",
    ];
    let counts = |s: &TestServer| -> Vec<i64> {
        tables
            .iter()
            .map(|t| s.count(&format!("SELECT COUNT(*) FROM {t}")))
            .collect()
    };
    let counts_before = counts(&server);

    // Raw bodies to the JSON endpoints.
    let raw = raw_json_cases(&co.admin_token);
    for (what, path, content_type, token, body, status) in raw {
        let a = post_bytes(&format!("{url}{path}"), token, content_type, body);
        assert_json_error(what, &a, status, None);
        assert_unchanged(what, &server, &before);
    }

    // Well-formed JSON of the wrong shape.
    let admin = Some(co.admin_token.as_str());
    let rep_id = co.user_id("a").to_owned();
    let mut shaped = sign_in_shaped_cases();
    shaped.extend(admin_shaped_cases(admin, &rep_id));
    for (what, method, path, token, body) in &shaped {
        let a = call(method, &format!("{url}{path}"), *token, Some(body));
        assert!(
            (400..500).contains(&a.status),
            "{what}: {} {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        );
        assert_json_error(what, &a, a.status, None);
        assert_unchanged(what, &server, &before);
    }

    // Query strings and paths.
    let manager = login(url, "acme", "manager");
    for week in ["garbage", "2026-W99", "2026-W00"] {
        let what = format!("report week {week}");
        let a = call(
            "GET",
            &format!("{url}/v1/reports/visits/weekly?week={week}"),
            Some(&manager.access_token),
            None,
        );
        assert_json_error(&what, &a, 422, Some("invalid_input"));
    }
    let a = call("GET", &format!("{url}/v1/no/such/endpoint"), None, None);
    assert_json_error("an unknown endpoint", &a, 404, Some("not_found"));

    assert_unchanged("malformed JSON", &server, &before);
    let mut expected = counts_before;
    // Signing the manager in above made a device and a refresh token; nothing else changed.
    expected[4] += 1;
    expected[5] += 1;
    assert_eq!(counts(&server), expected, "{tables:?}");
    // The rep is still a working rep.
    let a = call(
        "GET",
        &format!("{url}/v1/admin/users"),
        Some(&co.admin_token),
        None,
    );
    let users = a.json();
    let rep_view = users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == rep_id.as_str())
        .expect("the rep")
        .clone();
    assert_eq!(rep_view["active"], true);
    assert_eq!(rep_view["team_id"], co.team_id.as_str());
    assert_serves_a_normal_sync(&server, &co);
}

#[test]
fn a_team_named_by_name_is_resolved_or_refused_never_a_server_error() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let url = &server.url;
    let users = server.count("SELECT COUNT(*) FROM users");
    // The admin endpoints look teams up by id or name; given a name, they must either
    // store the team it names or refuse with a 4xx, not fail inside.
    let created = call(
        "POST",
        &format!("{url}/v1/admin/users"),
        Some(&co.admin_token),
        Some(&json!({
            "username": "m2", "password": PASSWORD, "role": "manager",
            "team_id": "Key accounts East",
        })),
    );
    let updated = call(
        "PATCH",
        &format!("{url}/v1/admin/users/{}", co.user_id("a")),
        Some(&co.admin_token),
        Some(&json!({"team_id": "Key accounts East"})),
    );
    assert!(server.is_healthy());
    if created.status != 201 {
        assert_eq!(server.count("SELECT COUNT(*) FROM users"), users);
    }
    assert_eq!(
        server.text(&format!(
            "SELECT team_id FROM users WHERE id = '{}'",
            co.user_id("a")
        )),
        co.team_id,
        "the rep's team is still the team's id"
    );
    assert_serves_a_normal_sync(&server, &co);

    let mut wrong = Vec::new();
    for (what, a, ok) in [("create", &created, 201), ("update", &updated, 200)] {
        let resolved = a.status == ok && a.json()["team_id"] == co.team_id.as_str();
        let refused = (400..500).contains(&a.status)
            && serde_json::from_slice::<Value>(&a.body)
                .is_ok_and(|b| b["error"]["code"].is_string());
        if !(resolved || refused) {
            wrong.push(format!(
                "{what} a user naming the team: {} {}",
                a.status,
                String::from_utf8_lossy(&a.body)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
