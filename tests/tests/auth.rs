//! Authorisation end to end: every endpoint decides from the server's own tables (tenant,
//! account teams, authors, devices, users), never from what a request or a document
//! claims. Each refusal is paired with a positive control, so a refusal means something.

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rapport_client_core::model::{self, Contact, LocalTime, Record, Visit};
use rapport_client_core::protocol::{self, Change, Outcome, Session};
use rapport_tests::raw::*;
use rapport_tests::{
    Answer, Company, Device, OPERATOR_TOKEN, PASSWORD, TestServer, call, login, post_bytes,
};
use serde_json::{Value, json};

/// ISO week 2026-W40 runs Monday 28 September to Sunday 4 October (Shanghai).
const WEEK: &str = "2026-W40";

fn in_week() -> LocalTime {
    let at = chrono::DateTime::parse_from_rfc3339("2026-09-29T10:00:00+08:00").expect("time");
    LocalTime::from_datetime(&at)
}

fn visit(account: &str, purpose: &str) -> Visit {
    Visit {
        account_id: account.to_owned(),
        occurred_at: in_week(),
        logged_at: in_week(),
        duration_min: 45,
        purpose: purpose.to_owned(),
        notes: String::new(),
        contacts_met: vec![],
        check_in: None,
        deleted: false,
        ..Default::default()
    }
}

fn contact(account: &str, name: &str) -> Contact {
    Contact {
        account_id: account.to_owned(),
        name: name.to_owned(),
        title: None,
        phone: None,
        notes: None,
        deleted: false,
        ..Default::default()
    }
}

fn ids<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> BTreeSet<String> {
    items.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

// ----- raw pushes -----

/// Edits a copy of `doc` as `actor`, returning the copy and the changes the edit made.
fn edit_as<R: Record>(
    doc: &mut AutoCommit,
    actor: ActorId,
    edit: impl FnOnce(&mut R),
) -> (AutoCommit, Vec<Change>) {
    let mut copy = doc.fork().with_actor(actor);
    let mut record: R = model::read_record(&copy).expect("read record");
    edit(&mut record);
    let changes = model::write_record(&mut copy, &record).expect("write record");
    assert!(!changes.is_empty(), "the edit changed nothing");
    (copy, wire(changes))
}

/// The ids of the documents a pull from the start gives `token`.
fn pulled_ids(server: &TestServer, token: &str) -> BTreeSet<String> {
    let resp = sync_ok(server, token, &request(vec![]));
    assert!(!resp.has_more);
    resp.docs.into_iter().map(|d| d.doc_id).collect()
}

// ----- HTTP helpers -----

#[track_caller]
fn assert_error(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.error_code(), code);
    let message = a.json()["error"]["message"].as_str().map(str::to_owned);
    assert!(
        message.is_some_and(|m| !m.is_empty()),
        "no error message: {}",
        String::from_utf8_lossy(&a.body)
    );
}

#[track_caller]
fn assert_status(a: &Answer, status: u16) {
    assert_eq!(a.status, status, "{}", String::from_utf8_lossy(&a.body));
}

fn weekly(server: &TestServer, token: Option<&str>, team: Option<&str>) -> Answer {
    let team = team.map_or_else(String::new, |t| format!("&team={t}"));
    call(
        "GET",
        &format!("{}/v1/reports/visits/weekly?week={WEEK}{team}", server.url),
        token,
        None,
    )
}

/// A pull-only sync round trip, answered raw.
fn empty_sync(server: &TestServer, token: Option<&str>) -> Answer {
    let body = postcard::to_stdvec(&request(vec![])).expect("encode");
    post_bytes(
        &format!("{}/v1/sync", server.url),
        token,
        protocol::SYNC_CONTENT_TYPE,
        &body,
    )
}

fn table_count(server: &TestServer, table: &str) -> i64 {
    server.count(&format!("SELECT COUNT(*) FROM {table}"))
}

// ----- tokens -----

fn sign(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret))
        .expect("sign token")
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with `alg: none` and no signature.
fn unsigned(claims: &Value) -> String {
    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64(claims.to_string().as_bytes());
    format!("{header}.{payload}.")
}

/// The claims the server issues for `session`, valid for ten more minutes.
fn claims_of(session: &Session) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": session.user_id,
        "iss": "rapport",
        "aud": protocol::TOKEN_AUDIENCE,
        "exp": now + 600,
        "iat": now,
        "tid": session.tenant_id,
        "did": session.device_id,
    })
}

fn with(claims: &Value, changes: &[(&str, Value)]) -> Value {
    let mut c = claims.clone();
    for (k, v) in changes {
        c[*k] = v.clone();
    }
    c
}

fn without(claims: &Value, key: &str) -> Value {
    let mut c = claims.clone();
    c.as_object_mut().expect("an object").remove(key);
    c
}

// ----- tests -----

#[test]
fn a_rep_pulls_only_the_accounts_they_serve() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let a = Device::new(&server.url, "acme", "a");
    let b = Device::new(&server.url, "acme", "b");
    let a_visit = a
        .create(&visit(&co.account_a, "Quarterly review"))
        .expect("log");
    let a_contact = a
        .create(&contact(&co.account_a, "Liu Yang"))
        .expect("contact");
    let shared_visit = a
        .create(&visit(&co.account_shared, "Tasting"))
        .expect("log");
    let shared_contact = a
        .create(&contact(&co.account_shared, "Zhou Min"))
        .expect("contact");
    let b_visit = b
        .create(&visit(&co.account_b, "Safety audit"))
        .expect("log");
    a.sync().expect("sync");
    b.sync().expect("sync");
    a.sync().expect("sync");
    for d in [&a, &b] {
        assert_eq!(d.status().expect("status").store.waiting, 0);
    }

    let on_a = ids(a.document_ids().expect("ids"));
    let on_b = ids(b.document_ids().expect("ids"));
    assert_eq!(
        on_a,
        ids([
            &co.account_a,
            &co.account_shared,
            &a_visit,
            &a_contact,
            &shared_visit,
            &shared_contact
        ])
    );
    assert_eq!(
        on_b,
        ids([
            &co.account_b,
            &co.account_shared,
            &b_visit,
            &shared_visit,
            &shared_contact
        ]),
        "B holds none of account A's documents, and all of the shared account's"
    );
    for id in [&co.account_shared, &shared_visit, &shared_contact] {
        assert_eq!(
            a.heads(id).expect("heads"),
            b.heads(id).expect("heads"),
            "{id}"
        );
    }
    assert!(b.get::<Visit>(&a_visit).is_err());

    // Not the device filtering: the server itself never sends them. A pull from the very
    // start with B's own token gives exactly what B's device holds.
    let b_session = login(&server.url, "acme", "b");
    assert_eq!(pulled_ids(&server, &b_session.access_token), on_b);
    let a_session = login(&server.url, "acme", "a");
    assert_eq!(pulled_ids(&server, &a_session.access_token), on_a);
}

#[test]
fn a_rep_cannot_write_to_another_reps_account() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let a = login(&server.url, "acme", "a");
    let b = login(&server.url, "acme", "b");

    // A logs a visit through the raw path: the control that the pushes below are well formed.
    let (visit_id, mut a_doc, a_changes) =
        new_record(actor(&a), &visit(&co.account_a, "Quarterly review"));
    assert_eq!(
        push_one(
            &server,
            &a.access_token,
            &visit_id,
            "visit",
            a_changes.clone()
        ),
        Outcome::Accepted
    );
    let before = server.fingerprint();

    // B edits A's visit with B's own actor, building on A's history.
    let (_, b_edit) = edit_as::<Visit>(&mut a_doc, actor(&b), |v| v.purpose = "hijacked".into());
    let reason = assert_rejected(
        &push_one(&server, &b.access_token, &visit_id, "visit", b_edit.clone()),
        "forbidden",
    );
    assert!(!reason.is_empty());
    // Sending A's history along does not help.
    let mut with_history = a_changes.clone();
    with_history.extend(b_edit);
    assert_rejected(
        &push_one(&server, &b.access_token, &visit_id, "visit", with_history),
        "forbidden",
    );
    // Nor does moving it to B's own account in the same edit.
    let (_, b_move) = edit_as::<Visit>(&mut a_doc, actor(&b), |v| {
        v.account_id = co.account_b.clone();
    });
    assert_rejected(
        &push_one(&server, &b.access_token, &visit_id, "visit", b_move),
        "forbidden",
    );
    // B creates new records on A's account.
    let (id, _, changes) = new_record(actor(&b), &visit(&co.account_a, "on A's account"));
    assert_rejected(
        &push_one(&server, &b.access_token, &id, "visit", changes),
        "forbidden",
    );
    let (id, _, changes) = new_record(actor(&b), &contact(&co.account_a, "Wang Lei"));
    assert_rejected(
        &push_one(&server, &b.access_token, &id, "contact", changes),
        "forbidden",
    );
    assert_eq!(
        server.fingerprint(),
        before,
        "a refused push changed something"
    );
    assert_eq!(
        server.text(&format!(
            "SELECT purpose FROM visits WHERE id = '{visit_id}'"
        )),
        "Quarterly review"
    );

    // Controls: B may create on B's account, and edit A's records on the account they share.
    let (id, _, changes) = new_record(actor(&b), &visit(&co.account_b, "on B's account"));
    assert_eq!(
        push_one(&server, &b.access_token, &id, "visit", changes),
        Outcome::Accepted
    );
    let (shared_id, mut shared_doc, changes) =
        new_record(actor(&a), &visit(&co.account_shared, "joint visit"));
    assert_eq!(
        push_one(&server, &a.access_token, &shared_id, "visit", changes),
        Outcome::Accepted
    );
    let (_, b_edit) = edit_as::<Visit>(&mut shared_doc, actor(&b), |v| {
        v.notes = "B was there too".into()
    });
    assert_eq!(
        push_one(&server, &b.access_token, &shared_id, "visit", b_edit),
        Outcome::Accepted
    );
    assert_ne!(server.fingerprint(), before);
}

#[test]
fn changes_carry_the_pushing_devices_actor_and_records_keep_their_account() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let a_phone = login(&server.url, "acme", "a");
    let a_tablet = login(&server.url, "acme", "a");
    let b = login(&server.url, "acme", "b");
    assert_ne!(a_phone.device_id, a_tablet.device_id);
    assert_ne!(a_phone.actor_id, a_tablet.actor_id);
    let before = server.fingerprint();

    // A's phone's actor under B's token, on B's own account.
    let (id, _, changes) = new_record(actor(&a_phone), &visit(&co.account_b, "spoofed"));
    assert_rejected(
        &push_one(&server, &b.access_token, &id, "visit", changes),
        "foreign_actor",
    );
    // A's phone's actor under A's tablet's token.
    let (id, _, changes) = new_record(actor(&a_phone), &visit(&co.account_a, "spoofed"));
    assert_rejected(
        &push_one(&server, &a_tablet.access_token, &id, "visit", changes),
        "foreign_actor",
    );
    // One change of its own and one of another device: the document is refused whole.
    let (id, mut doc, mut changes) = new_record(actor(&a_tablet), &visit(&co.account_a, "mixed"));
    let (_, phone_edit) = edit_as::<Visit>(&mut doc, actor(&a_phone), |v| v.duration_min = 90);
    changes.extend(phone_edit);
    assert_rejected(
        &push_one(&server, &a_tablet.access_token, &id, "visit", changes),
        "foreign_actor",
    );
    assert_eq!(
        server.fingerprint(),
        before,
        "a refused push changed something"
    );

    // Controls: each device writes with its own actor.
    let (id, mut doc, changes) =
        new_record(actor(&a_tablet), &visit(&co.account_a, "from the tablet"));
    assert_eq!(
        push_one(&server, &a_tablet.access_token, &id, "visit", changes),
        Outcome::Accepted
    );
    let (mut doc, phone_edit) = edit_as::<Visit>(&mut doc, actor(&a_phone), |v| {
        v.notes = "from the phone".into()
    });
    assert_eq!(
        push_one(&server, &a_phone.access_token, &id, "visit", phone_edit),
        Outcome::Accepted
    );

    // The document claims another account than the one it was created on.
    let before = server.fingerprint();
    for target in [&co.account_shared, &co.account_b] {
        let mut moved = doc.fork().with_actor(actor(&a_phone));
        let heads = moved.get_heads();
        moved
            .put(ROOT, "account_id", target.as_str())
            .expect("put account_id");
        moved.commit();
        let edit = wire(moved.get_changes(&heads));
        assert_eq!(edit.len(), 1);
        assert_rejected(
            &push_one(&server, &a_phone.access_token, &id, "visit", edit),
            "account_changed",
        );
    }
    assert_eq!(
        server.fingerprint(),
        before,
        "a refused push changed something"
    );
    assert_eq!(
        server.text(&format!("SELECT account_id FROM visits WHERE id = '{id}'")),
        co.account_a
    );
    assert_eq!(
        server.text(&format!(
            "SELECT account_id FROM documents WHERE id = '{id}'"
        )),
        co.account_a
    );
    // The record still takes ordinary edits.
    let (_, edit) = edit_as::<Visit>(&mut doc, actor(&a_phone), |v| v.duration_min = 30);
    assert_eq!(
        push_one(&server, &a_phone.access_token, &id, "visit", edit),
        Outcome::Accepted
    );
}

#[test]
fn a_second_company_sees_nothing_of_the_first() {
    let server = TestServer::start();
    let acme = Company::setup(&server, "acme");
    let other = Company::setup(&server, "other");

    // Acme's rep A logs work on every kind of record A may write.
    let acme_a = Device::new(&server.url, "acme", "a");
    let acme_visit = acme_a
        .create(&visit(&acme.account_a, "Quarterly review"))
        .expect("log");
    acme_a
        .create(&contact(&acme.account_a, "Liu Yang"))
        .expect("contact");
    acme_a
        .create(&visit(&acme.account_shared, "Tasting"))
        .expect("log");
    acme_a
        .create(&contact(&acme.account_shared, "Zhou Min"))
        .expect("contact");
    acme_a.sync().expect("sync");
    let mut acme_docs = ids(acme_a.document_ids().expect("ids"));
    acme_docs.insert(acme.account_b.clone());
    assert_eq!(acme_docs.len(), 7);

    // Other's reps receive their own accounts and nothing else.
    for (rep, own) in [("a", &other.account_a), ("b", &other.account_b)] {
        let expected = ids([own, &other.account_shared]);
        let device = Device::new(&server.url, "other", rep);
        device.sync().expect("sync");
        assert_eq!(ids(device.document_ids().expect("ids")), expected, "{rep}");
        let session = login(&server.url, "other", rep);
        let pulled = pulled_ids(&server, &session.access_token);
        assert_eq!(pulled, expected, "{rep}");
        assert!(pulled.is_disjoint(&acme_docs));
    }

    // Other's admin lists only other's accounts, users and teams.
    let list = |path: &str| {
        let a = call(
            "GET",
            &format!("{}{path}", server.url),
            Some(&other.admin_token),
            None,
        );
        assert_status(&a, 200);
        a.json()
            .as_array()
            .expect("a list")
            .iter()
            .map(|x| x["id"].as_str().expect("id").to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        list("/v1/admin/accounts"),
        ids([&other.account_a, &other.account_b, &other.account_shared])
    );
    let other_admin = login(&server.url, "other", "admin").user_id;
    let mut other_users = ids(other.users.iter().map(|(_, id)| id));
    other_users.insert(other_admin);
    assert_eq!(list("/v1/admin/users"), other_users);
    assert_eq!(list("/v1/admin/teams"), ids([&other.team_id]));

    // Each manager's report lists only their own reps; acme's counts acme's visits.
    let report = |co: &Company| {
        let manager = login(&server.url, &co.slug, "manager");
        let a = weekly(&server, Some(&manager.access_token), None);
        assert_status(&a, 200);
        let body = a.json();
        let reps: BTreeSet<String> = body["reps"]
            .as_array()
            .expect("reps")
            .iter()
            .map(|r| r["user_id"].as_str().expect("user id").to_owned())
            .collect();
        (reps, body["total"].as_u64().expect("total"))
    };
    assert_eq!(
        report(&other),
        (ids([other.user_id("a"), other.user_id("b")]), 0)
    );
    assert_eq!(
        report(&acme),
        (ids([acme.user_id("a"), acme.user_id("b")]), 2)
    );

    // Other's admin cannot reach acme's team, users or accounts; what exists in acme is
    // answered like what exists nowhere.
    let nowhere = uuid::Uuid::new_v4().to_string();
    let before = server.fingerprint();
    let memberships = table_count(&server, "account_teams");
    for team in [&acme.team_id, &nowhere] {
        let a = call(
            "GET",
            &format!(
                "{}/v1/reports/visits/weekly?week={WEEK}&team={team}",
                server.url
            ),
            Some(&other.admin_token),
            None,
        );
        assert_error(&a, 404, "not_found");
    }
    for user in [acme.user_id("a"), nowhere.as_str()] {
        let a = call(
            "PATCH",
            &format!("{}/v1/admin/users/{user}", server.url),
            Some(&other.admin_token),
            Some(&json!({"active": false})),
        );
        assert_error(&a, 404, "not_found");
    }
    let a = call(
        "PUT",
        &format!(
            "{}/v1/admin/accounts/{}/team/{}",
            server.url,
            acme.account_a,
            other.user_id("a")
        ),
        Some(&other.admin_token),
        None,
    );
    assert_error(&a, 404, "not_found");
    assert_eq!(table_count(&server, "account_teams"), memberships);
    login(&server.url, "acme", "a"); // still active

    // Other's rep pushes to an acme document id: refused exactly as an id that exists
    // nowhere, so the answer does not reveal that the document exists.
    let rep = login(&server.url, "other", "a");
    let (_, _, changes) = new_record(actor(&rep), &visit(&acme.account_a, "intrusion"));
    let to_existing = push_one(
        &server,
        &rep.access_token,
        &acme_visit,
        "visit",
        changes.clone(),
    );
    let to_nowhere = push_one(
        &server,
        &rep.access_token,
        &model::new_id(),
        "visit",
        changes,
    );
    assert_rejected(&to_existing, "forbidden");
    assert_rejected(&to_nowhere, "forbidden");
    assert_eq!(
        server.fingerprint(),
        before,
        "a refused request changed something"
    );
    assert_eq!(
        server.text(&format!(
            "SELECT purpose FROM visits WHERE id = '{acme_visit}'"
        )),
        "Quarterly review"
    );
    assert_eq!(
        to_existing, to_nowhere,
        "a push to another company's document must be answered like one to a nonexistent id"
    );
}

#[test]
fn weekly_report_is_for_managers_of_their_own_team() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let manager = login(&server.url, "acme", "manager");
    let created = call(
        "POST",
        &format!("{}/v1/admin/teams", server.url),
        Some(&co.admin_token),
        Some(&json!({"name": "Key accounts West"})),
    );
    assert_status(&created, 201);
    let west = created.json()["id"].as_str().expect("id").to_owned();

    assert_error(
        &weekly(&server, Some(&rep.access_token), None),
        403,
        "forbidden",
    );
    assert_error(
        &weekly(&server, Some(&rep.access_token), Some(&co.team_id)),
        403,
        "forbidden",
    );
    // A manager sees their own team, named or not, and no other.
    for team in [None, Some(co.team_id.as_str())] {
        let a = weekly(&server, Some(&manager.access_token), team);
        assert_status(&a, 200);
        assert_eq!(a.json()["team_id"], co.team_id.as_str());
    }
    assert_error(
        &weekly(&server, Some(&manager.access_token), Some(&west)),
        403,
        "forbidden",
    );
    // An admin names the team.
    assert_error(
        &weekly(&server, Some(&co.admin_token), None),
        422,
        "invalid_input",
    );
    let a = weekly(&server, Some(&co.admin_token), Some(&west));
    assert_status(&a, 200);
    assert_eq!(a.json()["team_id"], west.as_str());
    assert_eq!(a.json()["reps"], json!([]));
    // Nobody signed in.
    assert_error(&weekly(&server, None, None), 401, "unauthorized");
    assert_error(
        &weekly(&server, None, Some(&co.team_id)),
        401,
        "unauthorized",
    );
}

#[test]
fn admin_endpoints_are_for_admins_and_companies_for_the_operator() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let manager = login(&server.url, "acme", "manager");
    let url = &server.url;
    let before = server.fingerprint();
    let tables = ["tenants", "teams", "users", "account_teams"];
    let counts: Vec<i64> = tables.iter().map(|t| table_count(&server, t)).collect();

    let b_id = co.user_id("b").to_owned();
    let attempts: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/v1/admin/accounts".into(), None),
        (
            "POST",
            "/v1/admin/accounts".into(),
            Some(json!({"name": "Rogue Ltd"})),
        ),
        ("GET", "/v1/admin/teams".into(), None),
        (
            "POST",
            "/v1/admin/teams".into(),
            Some(json!({"name": "Rogue team"})),
        ),
        ("GET", "/v1/admin/users".into(), None),
        (
            "POST",
            "/v1/admin/users".into(),
            Some(json!({"username": "rogue", "password": PASSWORD, "role": "admin"})),
        ),
        (
            "PATCH",
            format!("/v1/admin/users/{b_id}"),
            Some(json!({"active": false, "password": "new password 123"})),
        ),
        (
            "PUT",
            format!(
                "/v1/admin/accounts/{}/team/{}",
                co.account_b,
                co.user_id("a")
            ),
            None,
        ),
        (
            "DELETE",
            format!("/v1/admin/accounts/{}/team/{b_id}", co.account_b),
            None,
        ),
    ];
    for token in [&rep.access_token, &manager.access_token] {
        for (method, path, body) in &attempts {
            let a = call(method, &format!("{url}{path}"), Some(token), body.as_ref());
            assert_eq!(
                a.status,
                403,
                "{method} {path}: {}",
                String::from_utf8_lossy(&a.body)
            );
            assert_eq!(a.error_code(), "forbidden", "{method} {path}");
        }
    }

    // Creating a company takes the operator token, and nothing else.
    let company = json!({
        "slug": "rogue", "name": "Rogue Ltd", "admin_username": "admin",
        "admin_password": PASSWORD,
    });
    for token in [
        None,
        Some("wrong-operator-token"),
        Some(co.admin_token.as_str()),
        Some(rep.access_token.as_str()),
    ] {
        let a = call(
            "POST",
            &format!("{url}/v1/admin/companies"),
            token,
            Some(&company),
        );
        assert_error(&a, 401, "unauthorized");
    }

    assert_eq!(
        server.fingerprint(),
        before,
        "a refused request changed something"
    );
    let after: Vec<i64> = tables.iter().map(|t| table_count(&server, t)).collect();
    assert_eq!(after, counts, "{tables:?}");
    // B is still active with the old password, and A still does not receive B's account.
    login(url, "acme", "b");
    assert!(!pulled_ids(&server, &rep.access_token).contains(&co.account_b));

    // Controls: the admin and the operator may.
    let a = call(
        "POST",
        &format!("{url}/v1/admin/accounts"),
        Some(&co.admin_token),
        Some(&json!({"name": "Rightful Ltd"})),
    );
    assert_status(&a, 201);
    let a = call(
        "POST",
        &format!("{url}/v1/admin/companies"),
        Some(OPERATOR_TOKEN),
        Some(&company),
    );
    assert_status(&a, 201);
}

#[test]
fn forged_expired_and_revoked_tokens_are_refused() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let manager = login(&server.url, "acme", "manager");
    let rep_b = login(&server.url, "acme", "b");
    let secret = server.jwt_secret();
    assert!(secret.len() >= 32, "a {}-byte key", secret.len());
    let good = claims_of(&manager);

    // Positive controls: the issued token, and one crafted here with the real key.
    let crafted = sign(Algorithm::HS256, &secret, &good);
    for token in [&manager.access_token, &crafted] {
        assert_status(&weekly(&server, Some(token), None), 200);
        assert_status(&empty_sync(&server, Some(token)), 200);
    }

    let created = call(
        "POST",
        &format!("{}/v1/admin/companies", server.url),
        Some(OPERATOR_TOKEN),
        Some(&json!({
            "slug": "other", "name": "Other Ltd", "admin_username": "admin",
            "admin_password": PASSWORD,
        })),
    );
    assert_status(&created, 201);
    let other_tenant = created.json()["id"].as_str().expect("id").to_owned();
    let now = chrono::Utc::now().timestamp();
    let tampered = {
        // The real signature over other claims.
        let mut parts: Vec<String> = crafted.split('.').map(str::to_owned).collect();
        let claims = with(
            &good,
            &[
                ("sub", json!(rep_b.user_id)),
                ("did", json!(rep_b.device_id)),
            ],
        );
        parts[1] = b64(claims.to_string().as_bytes());
        parts.join(".")
    };
    let cases: Vec<(&str, String)> = vec![
        ("garbage", "not-a-token".into()),
        ("garbage segments", "aaaa.bbbb.cccc".into()),
        ("alg none", unsigned(&good)),
        (
            "another secret",
            sign(Algorithm::HS256, b"another secret of thirty-two b..", &good),
        ),
        (
            "HS512 with the real secret",
            sign(Algorithm::HS512, &secret, &good),
        ),
        ("tampered payload", tampered),
        (
            "expired an hour ago",
            sign(
                Algorithm::HS256,
                &secret,
                &with(
                    &good,
                    &[("exp", json!(now - 3600)), ("iat", json!(now - 4500))],
                ),
            ),
        ),
        (
            "wrong aud",
            sign(
                Algorithm::HS256,
                &secret,
                &with(&good, &[("aud", json!("rapport-admin"))]),
            ),
        ),
        (
            "wrong iss",
            sign(
                Algorithm::HS256,
                &secret,
                &with(&good, &[("iss", json!("evil"))]),
            ),
        ),
        (
            "no exp",
            sign(Algorithm::HS256, &secret, &without(&good, "exp")),
        ),
        (
            "no aud",
            sign(Algorithm::HS256, &secret, &without(&good, "aud")),
        ),
        (
            "no sub",
            sign(Algorithm::HS256, &secret, &without(&good, "sub")),
        ),
        (
            "another tenant",
            sign(
                Algorithm::HS256,
                &secret,
                &with(&good, &[("tid", json!(other_tenant))]),
            ),
        ),
        (
            "another user's device",
            sign(
                Algorithm::HS256,
                &secret,
                &with(&good, &[("did", json!(rep_b.device_id))]),
            ),
        ),
        (
            "an unknown user",
            sign(
                Algorithm::HS256,
                &secret,
                &with(&good, &[("sub", json!(uuid::Uuid::new_v4().to_string()))]),
            ),
        ),
    ];
    for (what, token) in &cases {
        for (endpoint, a) in [
            ("weekly", weekly(&server, Some(token), None)),
            ("sync", empty_sync(&server, Some(token))),
        ] {
            assert_eq!(
                a.status,
                401,
                "{what} on {endpoint}: {}",
                String::from_utf8_lossy(&a.body)
            );
            assert_eq!(a.error_code(), "unauthorized", "{what} on {endpoint}");
        }
    }
    assert_error(&weekly(&server, None, None), 401, "unauthorized");
    assert_error(&empty_sync(&server, None), 401, "unauthorized");

    // A user an admin deactivates is refused at once, whatever token they hold.
    let crafted_b = sign(Algorithm::HS256, &secret, &claims_of(&rep_b));
    for token in [&rep_b.access_token, &crafted_b] {
        assert_status(&empty_sync(&server, Some(token)), 200);
    }
    let a = call(
        "PATCH",
        &format!("{}/v1/admin/users/{}", server.url, co.user_id("b")),
        Some(&co.admin_token),
        Some(&json!({"active": false})),
    );
    assert_status(&a, 200);
    assert_eq!(a.json()["active"], false);
    for token in [&rep_b.access_token, &crafted_b] {
        assert_error(&empty_sync(&server, Some(token)), 401, "unauthorized");
        assert_error(&weekly(&server, Some(token), None), 401, "unauthorized");
    }
    let a = call(
        "POST",
        &format!("{}/v1/auth/refresh", server.url),
        None,
        Some(&json!({"refresh_token": rep_b.refresh_token})),
    );
    assert_error(&a, 401, "unauthorized");
    let a = call(
        "POST",
        &format!("{}/v1/auth/login", server.url),
        None,
        Some(&json!({"company": "acme", "username": "b", "password": PASSWORD})),
    );
    assert_error(&a, 401, "unauthorized");
    // The others are unaffected.
    assert_status(&weekly(&server, Some(&crafted), None), 200);
}

#[test]
fn refresh_tokens_rotate_and_a_reused_one_ends_the_family() {
    let server = TestServer::start();
    Company::setup(&server, "acme");
    let refresh = |token: &str| {
        call(
            "POST",
            &format!("{}/v1/auth/refresh", server.url),
            None,
            Some(&json!({"refresh_token": token})),
        )
    };
    let first = login(&server.url, "acme", "a");
    let a = refresh(&first.refresh_token);
    assert_status(&a, 200);
    let second: Session = serde_json::from_slice(&a.body).expect("a session");
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        (&second.user_id, &second.device_id, &second.actor_id),
        (&first.user_id, &first.device_id, &first.actor_id)
    );
    assert_status(&empty_sync(&server, Some(&second.access_token)), 200);

    // The rotated token comes back: refused, and the whole family with it.
    assert_error(&refresh(&first.refresh_token), 401, "unauthorized");
    assert_error(&refresh(&second.refresh_token), 401, "unauthorized");
    assert_error(&refresh("not-a-refresh-token"), 401, "unauthorized");
    // Another sign-in is another family, unaffected.
    let other = login(&server.url, "acme", "a");
    let a = refresh(&other.refresh_token);
    assert_status(&a, 200);

    // Wrong password, unknown user, unknown company: refused alike.
    let attempts = [
        json!({"company": "acme", "username": "a", "password": "wrong password"}),
        json!({"company": "acme", "username": "nobody", "password": PASSWORD}),
        json!({"company": "nowhere", "username": "a", "password": PASSWORD}),
    ];
    let answers: Vec<Answer> = attempts
        .iter()
        .map(|body| {
            call(
                "POST",
                &format!("{}/v1/auth/login", server.url),
                None,
                Some(body),
            )
        })
        .collect();
    for a in &answers {
        assert_error(a, 401, "unauthorized");
    }
    let messages: BTreeSet<String> = answers
        .iter()
        .map(|a| {
            a.json()["error"]["message"]
                .as_str()
                .expect("message")
                .to_owned()
        })
        .collect();
    assert_eq!(messages.len(), 1, "different messages: {messages:?}");
}

#[test]
fn a_rep_cannot_delete_an_account() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let device = Device::new(&server.url, "acme", "a");
    device.sync().expect("sync");
    // Accounts belong to the admin: a rep reads them and logs work against them. Deleting
    // one would hide it from the admin and stop everyone logging visits on it.
    device
        .remove::<model::Account>(&co.account_a)
        .expect("the device lets the rep try");
    let before = server.fingerprint();
    let report = device.sync().expect("sync");
    let stored_deleted = server.count(&format!(
        "SELECT COUNT(*) FROM accounts WHERE id = '{}' AND deleted = {}",
        co.account_a,
        if server.backend() == sea_orm::DbBackend::Postgres {
            "TRUE"
        } else {
            "1"
        }
    ));
    let listed = call(
        "GET",
        &format!("{}/v1/admin/accounts", server.url),
        Some(&co.admin_token),
        None,
    )
    .json()
    .as_array()
    .expect("accounts")
    .iter()
    .any(|a| a["id"] == co.account_a.as_str());
    assert_eq!(
        (report.rejected, stored_deleted, listed),
        (1, 0, true),
        "a rep's tombstone of account {} was accepted ({report:?})",
        co.account_a
    );
    assert_eq!(server.fingerprint(), before);
}
