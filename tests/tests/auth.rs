//! Authorisation end to end: every endpoint decides from the server's own tables (tenant,
//! account teams, authors, devices, users), never from what a request or a document
//! claims. Each refusal is paired with a positive control, so a refusal means something.

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT, ReadDoc};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rapport_client_core::model::{self, Contact, Record, Visit};
use rapport_client_core::protocol::{self, Change, Outcome, Session};
use rapport_tests::raw::*;
use rapport_tests::{
    Answer, Company, Device, OPERATOR_TOKEN, PASSWORD, TestServer, call, in_week, login,
    post_bytes, visit_in_week,
};
use serde_json::{Value, json};

/// ISO week 2026-W40 runs Monday 28 September to Sunday 4 October (Shanghai).
const WEEK: &str = "2026-W40";

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

/// `POST /v1/auth/refresh` with a refresh token, answered raw.
fn refresh(server: &TestServer, token: &str) -> Answer {
    call(
        "POST",
        &format!("{}/v1/auth/refresh", server.url),
        None,
        Some(&json!({"refresh_token": token})),
    )
}

fn table_count(server: &TestServer, table: &str) -> i64 {
    server.count(&format!("SELECT COUNT(*) FROM {table}"))
}

// ----- tokens -----

/// The key id the server names in the header of every token it signs.
const KID: &str = "jwt-hs256";

fn sign(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(KID.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).expect("sign token")
}

/// The header of the tokens the server issues.
fn good_header() -> Value {
    json!({"alg": "HS256", "typ": "JWT", "kid": KID})
}

/// A token with any header and claims, signed HS256 with `secret` over exactly those
/// bytes: the signature is right, so only the server's checks of the content can refuse it.
fn forge(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let message = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
    .expect("sign");
    format!("{message}.{signature}")
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
        .create(&visit_in_week(&co.account_a, "Quarterly review"))
        .expect("log");
    let a_contact = a
        .create(&contact(&co.account_a, "Liu Yang"))
        .expect("contact");
    let shared_visit = a
        .create(&visit_in_week(&co.account_shared, "Tasting"))
        .expect("log");
    let shared_contact = a
        .create(&contact(&co.account_shared, "Zhou Min"))
        .expect("contact");
    let b_visit = b
        .create(&visit_in_week(&co.account_b, "Safety audit"))
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
        new_record(actor(&a), &visit_in_week(&co.account_a, "Quarterly review"));
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
    let (id, _, changes) = new_record(actor(&b), &visit_in_week(&co.account_a, "on A's account"));
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

    // Controls: B may create on B's account, and edit A's shared records (a contact) on
    // the account they share — but not A's visit there, which is A's alone.
    let (id, _, changes) = new_record(actor(&b), &visit_in_week(&co.account_b, "on B's account"));
    assert_eq!(
        push_one(&server, &b.access_token, &id, "visit", changes),
        Outcome::Accepted
    );
    let (shared_id, mut shared_doc, changes) =
        new_record(actor(&a), &visit_in_week(&co.account_shared, "joint visit"));
    assert_eq!(
        push_one(&server, &a.access_token, &shared_id, "visit", changes),
        Outcome::Accepted
    );
    let (_, b_edit) = edit_as::<Visit>(&mut shared_doc, actor(&b), |v| {
        v.notes = "B was there too".into()
    });
    assert_rejected(
        &push_one(&server, &b.access_token, &shared_id, "visit", b_edit),
        "not_author",
    );
    let (contact_id, mut contact_doc, changes) =
        new_record(actor(&a), &contact(&co.account_shared, "Zhou Min"));
    assert_eq!(
        push_one(&server, &a.access_token, &contact_id, "contact", changes),
        Outcome::Accepted
    );
    let (_, b_edit) = edit_as::<Contact>(&mut contact_doc, actor(&b), |c| {
        c.title = Some("Purchasing director".into())
    });
    assert_eq!(
        push_one(&server, &b.access_token, &contact_id, "contact", b_edit),
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
    let (id, _, changes) = new_record(actor(&a_phone), &visit_in_week(&co.account_b, "spoofed"));
    assert_rejected(
        &push_one(&server, &b.access_token, &id, "visit", changes),
        "foreign_actor",
    );
    // A's phone's actor under A's tablet's token.
    let (id, _, changes) = new_record(actor(&a_phone), &visit_in_week(&co.account_a, "spoofed"));
    assert_rejected(
        &push_one(&server, &a_tablet.access_token, &id, "visit", changes),
        "foreign_actor",
    );
    // One change of its own and one of another device: the document is refused whole.
    let (id, mut doc, mut changes) =
        new_record(actor(&a_tablet), &visit_in_week(&co.account_a, "mixed"));
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
    let (id, mut doc, changes) = new_record(
        actor(&a_tablet),
        &visit_in_week(&co.account_a, "from the tablet"),
    );
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

/// Acme's rep A logs work on every kind of record A may write. Returns the id of A's
/// visit to account A and the ids of every acme document.
fn acme_logs_work(server: &TestServer, acme: &Company) -> (String, BTreeSet<String>) {
    let acme_a = Device::new(&server.url, "acme", "a");
    let acme_visit = acme_a
        .create(&visit_in_week(&acme.account_a, "Quarterly review"))
        .expect("log");
    acme_a
        .create(&contact(&acme.account_a, "Liu Yang"))
        .expect("contact");
    acme_a
        .create(&visit_in_week(&acme.account_shared, "Tasting"))
        .expect("log");
    acme_a
        .create(&contact(&acme.account_shared, "Zhou Min"))
        .expect("contact");
    acme_a.sync().expect("sync");
    let mut acme_docs = ids(acme_a.document_ids().expect("ids"));
    acme_docs.insert(acme.account_b.clone());
    assert_eq!(acme_docs.len(), 7);
    (acme_visit, acme_docs)
}

/// Other's admin lists only other's accounts, users and teams.
fn the_admin_lists_only_their_company(server: &TestServer, other: &Company) {
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
}

/// The reps `co`'s manager's weekly report lists, and its total of visits.
fn managers_report(server: &TestServer, co: &Company) -> (BTreeSet<String>, u64) {
    let manager = login(&server.url, &co.slug, "manager");
    let a = weekly(server, Some(&manager.access_token), None);
    assert_status(&a, 200);
    let body = a.json();
    let reps: BTreeSet<String> = body["reps"]
        .as_array()
        .expect("reps")
        .iter()
        .map(|r| r["user_id"].as_str().expect("user id").to_owned())
        .collect();
    (reps, body["total"].as_u64().expect("total"))
}

/// Other's admin cannot reach acme's team, users or accounts; what exists in acme is
/// answered like what exists nowhere.
fn the_admin_cannot_reach_the_other_company(server: &TestServer, acme: &Company, other: &Company) {
    let nowhere = uuid::Uuid::new_v4().to_string();
    let memberships = table_count(server, "account_teams");
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
    assert_eq!(table_count(server, "account_teams"), memberships);
    login(&server.url, "acme", "a"); // still active
}

/// Other's rep pushes to an acme document id: refused exactly as an id that exists
/// nowhere, so the answer does not reveal that the document exists.
fn a_push_across_companies_is_answered_like_nowhere(
    server: &TestServer,
    acme: &Company,
    acme_visit: &str,
) {
    let rep = login(&server.url, "other", "a");
    let (_, _, changes) = new_record(actor(&rep), &visit_in_week(&acme.account_a, "intrusion"));
    let to_existing = push_one(
        server,
        &rep.access_token,
        acme_visit,
        "visit",
        changes.clone(),
    );
    let to_nowhere = push_one(
        server,
        &rep.access_token,
        &model::new_id(),
        "visit",
        changes,
    );
    assert_rejected(&to_existing, "forbidden");
    assert_rejected(&to_nowhere, "forbidden");
    assert_eq!(
        to_existing, to_nowhere,
        "a push to another company's document must be answered like one to a nonexistent id"
    );
}

#[test]
fn a_second_company_sees_nothing_of_the_first() {
    let server = TestServer::start();
    let acme = Company::setup(&server, "acme");
    let other = Company::setup(&server, "other");
    let (acme_visit, acme_docs) = acme_logs_work(&server, &acme);

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

    the_admin_lists_only_their_company(&server, &other);
    // Each manager's report lists only their own reps; acme's counts acme's visits.
    assert_eq!(
        managers_report(&server, &other),
        (ids([other.user_id("a"), other.user_id("b")]), 0)
    );
    assert_eq!(
        managers_report(&server, &acme),
        (ids([acme.user_id("a"), acme.user_id("b")]), 2)
    );

    let before = server.fingerprint();
    the_admin_cannot_reach_the_other_company(&server, &acme, &other);
    a_push_across_companies_is_answered_like_nowhere(&server, &acme, &acme_visit);
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

/// Tokens for the manager's `good` claims, each broken one way: not a token, another
/// key or algorithm, a signature over other claims, expired, the wrong audience or
/// issuer, a claim missing, or naming another tenant, device or user.
fn broken_tokens(
    good: &Value,
    secret: &[u8],
    crafted: &str,
    rep_b: &Session,
    other_tenant: &str,
) -> Vec<(&'static str, String)> {
    let now = chrono::Utc::now().timestamp();
    let tampered = {
        // The real signature over other claims.
        let mut parts: Vec<String> = crafted.split('.').map(str::to_owned).collect();
        let claims = with(
            good,
            &[
                ("sub", json!(rep_b.user_id)),
                ("did", json!(rep_b.device_id)),
            ],
        );
        parts[1] = b64(claims.to_string().as_bytes());
        parts.join(".")
    };
    let signed_with =
        |changes: &[(&str, Value)]| sign(Algorithm::HS256, secret, &with(good, changes));
    let signed_without = |key: &str| sign(Algorithm::HS256, secret, &without(good, key));
    vec![
        ("garbage", "not-a-token".into()),
        ("garbage segments", "aaaa.bbbb.cccc".into()),
        ("alg none", unsigned(good)),
        (
            "another secret",
            sign(Algorithm::HS256, b"another secret of thirty-two b..", good),
        ),
        (
            "HS512 with the real secret",
            sign(Algorithm::HS512, secret, good),
        ),
        ("tampered payload", tampered),
        (
            "expired an hour ago",
            signed_with(&[("exp", json!(now - 3600)), ("iat", json!(now - 4500))]),
        ),
        ("wrong aud", signed_with(&[("aud", json!("rapport-admin"))])),
        ("wrong iss", signed_with(&[("iss", json!("evil"))])),
        ("no exp", signed_without("exp")),
        ("no aud", signed_without("aud")),
        ("no sub", signed_without("sub")),
        (
            "another tenant",
            signed_with(&[("tid", json!(other_tenant))]),
        ),
        (
            "another user's device",
            signed_with(&[("did", json!(rep_b.device_id))]),
        ),
        (
            "an unknown user",
            signed_with(&[("sub", json!(uuid::Uuid::new_v4().to_string()))]),
        ),
    ]
}

/// A user an admin deactivates is refused at once, whatever token they hold, and can
/// neither refresh nor sign in again.
fn a_deactivated_user_is_refused_at_once(
    server: &TestServer,
    co: &Company,
    rep_b: &Session,
    secret: &[u8],
) {
    let crafted_b = sign(Algorithm::HS256, secret, &claims_of(rep_b));
    for token in [&rep_b.access_token, &crafted_b] {
        assert_status(&empty_sync(server, Some(token)), 200);
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
        assert_error(&empty_sync(server, Some(token)), 401, "unauthorized");
        assert_error(&weekly(server, Some(token), None), 401, "unauthorized");
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

    let other_tenant = Company::create_bare(&server, "other");
    let cases = broken_tokens(&good, &secret, &crafted, &rep_b, &other_tenant);
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

    a_deactivated_user_is_refused_at_once(&server, &co, &rep_b, &secret);
    // The others are unaffected.
    assert_status(&weekly(&server, Some(&crafted), None), 200);
}

#[test]
fn refresh_tokens_rotate_and_a_reused_one_ends_the_family() {
    let server = TestServer::start();
    Company::setup(&server, "acme");
    let first = login(&server.url, "acme", "a");
    let a = refresh(&server, &first.refresh_token);
    assert_status(&a, 200);
    let second: Session = serde_json::from_slice(&a.body).expect("a session");
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        (&second.user_id, &second.device_id, &second.actor_id),
        (&first.user_id, &first.device_id, &first.actor_id)
    );
    assert_status(&empty_sync(&server, Some(&second.access_token)), 200);
    let a = refresh(&server, &second.refresh_token);
    assert_status(&a, 200);
    let third: Session = serde_json::from_slice(&a.body).expect("a session");

    // A token rotated before the latest rotation comes back: someone holds a copy. It is
    // refused, and the whole family with it.
    assert_error(&refresh(&server, &first.refresh_token), 401, "unauthorized");
    assert_error(&refresh(&server, &third.refresh_token), 401, "unauthorized");
    assert_error(
        &refresh(&server, "not-a-refresh-token"),
        401,
        "unauthorized",
    );
    // Another sign-in is another family, unaffected.
    let other = login(&server.url, "acme", "a");
    let a = refresh(&server, &other.refresh_token);
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
fn a_refresh_whose_answer_was_lost_can_be_retried_once() {
    let server = TestServer::start();
    Company::setup(&server, "acme");
    let first = login(&server.url, "acme", "a");
    // The server rotates the token, but the answer never reaches the phone (a tunnel).
    assert_status(&refresh(&server, &first.refresh_token), 200);
    // The phone retries with the token it still holds, moments later: a new session,
    // not a signed-out rep.
    let a = refresh(&server, &first.refresh_token);
    assert_status(&a, 200);
    let retried: Session = serde_json::from_slice(&a.body).expect("a session");
    assert_status(&empty_sync(&server, Some(&retried.access_token)), 200);
    let a = refresh(&server, &retried.refresh_token);
    assert_status(&a, 200);
    let next: Session = serde_json::from_slice(&a.body).expect("a session");
    // Once a later rotation happened, the old token coming back is a copy: the family ends.
    assert_error(&refresh(&server, &first.refresh_token), 401, "unauthorized");
    assert_error(&refresh(&server, &next.refresh_token), 401, "unauthorized");
    assert_eq!(
        server.count(&format!(
            "SELECT COUNT(*) FROM refresh_tokens WHERE device_id = '{}' AND NOT revoked",
            first.device_id
        )),
        0,
        "every token of the family is revoked"
    );
}

#[test]
fn an_intercepted_successor_is_the_retrys_own_and_a_copy_used_later_ends_the_family() {
    let server = TestServer::start();
    Company::setup(&server, "acme");
    let first = login(&server.url, "acme", "a");
    // The answer of this rotation is intercepted instead of lost.
    let a = refresh(&server, &first.refresh_token);
    assert_status(&a, 200);
    let intercepted: Session = serde_json::from_slice(&a.body).expect("a session");
    // The phone's retry is answered with that same successor: a retry (or a concurrent
    // duplicate, which the server cannot tell from one) never forks the family, nor
    // retires a successor someone may be holding (sessions.rs has the race).
    let a = refresh(&server, &first.refresh_token);
    assert_status(&a, 200);
    let retried: Session = serde_json::from_slice(&a.body).expect("a session");
    assert_eq!(retried.refresh_token, intercepted.refresh_token);
    // The interceptor rotates it twice; the phone's copy then comes back: refused, and
    // the whole family with it, the interceptor's latest token included.
    let a = refresh(&server, &intercepted.refresh_token);
    assert_status(&a, 200);
    let stolen: Session = serde_json::from_slice(&a.body).expect("a session");
    let a = refresh(&server, &stolen.refresh_token);
    assert_status(&a, 200);
    let stolen: Session = serde_json::from_slice(&a.body).expect("a session");
    assert_error(
        &refresh(&server, &retried.refresh_token),
        401,
        "unauthorized",
    );
    assert_error(
        &refresh(&server, &stolen.refresh_token),
        401,
        "unauthorized",
    );
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

// ----- the token matrix -----

/// A dashboard page requested with `session` as its cookie; redirects are not followed.
/// Returns the status and the `Location` header.
fn dashboard_get(server: &TestServer, path: &str, session: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let resp = agent
        .get(format!("{}{path}", server.url))
        .header("Cookie", format!("rapport_session={session}"))
        .call()
        .expect("dashboard request");
    let location = resp
        .headers()
        .get("location")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (resp.status().as_u16(), location)
}

/// Which face of the server a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    /// Bearer tokens of `/v1/…`.
    Api,
    /// The dashboard's session cookie.
    Dashboard,
}

/// Forges tokens from `base` (valid claims for one face of the server), with the
/// server's header, signed with its real key unless a case says otherwise.
struct Forger<'a> {
    header: Value,
    base: &'a Value,
    secret: &'a [u8],
}

impl Forger<'_> {
    /// The server's header with `changes` made to it.
    fn header_with(&self, changes: &[(&str, Value)]) -> Value {
        with(&self.header, changes)
    }

    /// The base claims with `changes` made to them, signed.
    fn claims_with(&self, changes: &[(&str, Value)]) -> String {
        forge(&self.header, &with(self.base, changes), self.secret)
    }

    /// The base claims without `key`, signed.
    fn claims_without(&self, key: &str) -> String {
        forge(&self.header, &without(self.base, key), self.secret)
    }

    /// The base claims under `alg`, with `len` bytes of noise as the signature.
    fn random_signature(&self, alg: &str, len: usize) -> String {
        format!(
            "{}.{}.{}",
            b64(self
                .header_with(&[("alg", json!(alg))])
                .to_string()
                .as_bytes()),
            b64(self.base.to_string().as_bytes()),
            b64(&vec![7u8; len])
        )
    }

    /// The real signature over the base claims, with another user's claims in its place.
    fn tampered(&self, sibling: &Session) -> String {
        let genuine = forge(&self.header, self.base, self.secret);
        let mut parts: Vec<String> = genuine.split('.').map(str::to_owned).collect();
        let other = with(
            self.base,
            &[
                ("sub", json!(sibling.user_id)),
                ("did", json!(sibling.device_id)),
            ],
        );
        parts[1] = b64(other.to_string().as_bytes());
        parts.join(".")
    }

    /// Tokens that are not tokens, or whose header or signature is not the server's.
    fn signature_forgeries(&self, sibling: &Session) -> Vec<(&'static str, String)> {
        let (base, secret) = (self.base, self.secret);
        let unsigned_with_kid = format!(
            "{}.{}.",
            b64(self
                .header_with(&[("alg", json!("none"))])
                .to_string()
                .as_bytes()),
            b64(base.to_string().as_bytes())
        );
        let signed_under =
            |changes: &[(&str, Value)]| forge(&self.header_with(changes), base, secret);
        vec![
            ("garbage", "not-a-token".into()),
            ("garbage segments", "aaaa.bbbb.cccc".into()),
            ("alg none, no signature", unsigned_with_kid),
            ("alg none, without kid", unsigned(base)),
            (
                "another secret",
                forge(&self.header, base, b"another secret of thirty-two b.."),
            ),
            (
                "HS512 with the real secret",
                sign(Algorithm::HS512, secret, base),
            ),
            (
                "RS256 header, HMAC of the secret as signature",
                signed_under(&[("alg", json!("RS256"))]),
            ),
            (
                "ES256 header, HMAC of the secret as signature",
                signed_under(&[("alg", json!("ES256"))]),
            ),
            (
                "RS256 header, 256-byte signature",
                self.random_signature("RS256", 256),
            ),
            (
                "ES256 header, 64-byte signature",
                self.random_signature("ES256", 64),
            ),
            (
                "unknown kid",
                signed_under(&[("kid", json!("rotated-away"))]),
            ),
            ("no kid", forge(&without(&self.header, "kid"), base, secret)),
            ("kid null", signed_under(&[("kid", Value::Null)])),
            (
                "jku pointing elsewhere",
                signed_under(&[("jku", json!("https://keys.example.invalid/jwks.json"))]),
            ),
            (
                "embedded jwk",
                signed_under(&[("jwk", json!({"kty": "oct", "k": b64(secret)}))]),
            ),
            ("tampered payload", self.tampered(sibling)),
        ]
    }

    /// Properly signed tokens whose times are past, ahead, or of the wrong type.
    fn time_forgeries(&self) -> Vec<(&'static str, String)> {
        let now = chrono::Utc::now().timestamp();
        let exp = self.base["exp"].as_i64().expect("exp");
        vec![
            (
                "expired an hour ago",
                self.claims_with(&[("exp", json!(now - 3600)), ("iat", json!(now - 4500))]),
            ),
            (
                "expired 45 s ago (leeway 30 s)",
                self.claims_with(&[("exp", json!(now - 45)), ("iat", json!(now - 900))]),
            ),
            (
                "nbf two minutes ahead",
                self.claims_with(&[("nbf", json!(now + 120))]),
            ),
            (
                "exp a string",
                self.claims_with(&[("exp", json!(exp.to_string()))]),
            ),
            (
                "exp a float",
                self.claims_with(&[("exp", json!(exp as f64 + 0.5))]),
            ),
            ("exp null", self.claims_with(&[("exp", Value::Null)])),
            (
                "nbf a string",
                self.claims_with(&[("nbf", json!((now - 60).to_string()))]),
            ),
            (
                "nbf a float",
                self.claims_with(&[("nbf", json!((now - 60) as f64 + 0.5))]),
            ),
            ("nbf null", self.claims_with(&[("nbf", Value::Null)])),
            (
                "iat a string",
                self.claims_with(&[("iat", json!(now.to_string()))]),
            ),
            (
                "iat a float",
                self.claims_with(&[("iat", json!(now as f64 + 0.5))]),
            ),
            ("iat null", self.claims_with(&[("iat", Value::Null)])),
        ]
    }

    /// Properly signed tokens missing a claim, or naming someone or something else.
    fn claim_forgeries(
        &self,
        face: Face,
        sibling: &Session,
        other_tenant: &str,
    ) -> Vec<(&'static str, String)> {
        let other_audience = match face {
            Face::Api => "rapport-dashboard",
            Face::Dashboard => protocol::TOKEN_AUDIENCE,
        };
        let mut cases = vec![
            ("no iss", self.claims_without("iss")),
            ("no iat", self.claims_without("iat")),
            ("no exp", self.claims_without("exp")),
            ("no aud", self.claims_without("aud")),
            ("no sub", self.claims_without("sub")),
            ("no tid", self.claims_without("tid")),
            (
                "wrong aud",
                self.claims_with(&[("aud", json!("rapport-admin"))]),
            ),
            (
                "the other face's audience",
                self.claims_with(&[("aud", json!(other_audience))]),
            ),
            ("wrong iss", self.claims_with(&[("iss", json!("evil"))])),
            (
                "another tenant",
                self.claims_with(&[("tid", json!(other_tenant))]),
            ),
            (
                "an unknown user",
                self.claims_with(&[("sub", json!(uuid::Uuid::new_v4().to_string()))]),
            ),
        ];
        if face == Face::Api {
            cases.push((
                "another user's device",
                self.claims_with(&[("did", json!(sibling.device_id))]),
            ));
            cases.push(("no did", self.claims_without("did")));
        }
        cases
    }
}

/// Tokens that must all be refused: each starts from `base` (valid claims for `face`) and
/// breaks one thing. Most are signed with the server's real key, so only the server's
/// checks of the header and claims stand between them and a session.
fn forged_tokens(
    face: Face,
    base: &Value,
    secret: &[u8],
    sibling: &Session,
    other_tenant: &str,
) -> Vec<(&'static str, String)> {
    let forger = Forger {
        header: good_header(),
        base,
        secret,
    };
    let mut cases = forger.signature_forgeries(sibling);
    cases.extend(forger.time_forgeries());
    cases.extend(forger.claim_forgeries(face, sibling, other_tenant));
    cases
}

/// A request of one endpoint family, made with a token.
type Request<'a> = Box<dyn Fn(&str) -> Answer + 'a>;

/// Every family of bearer endpoints, with what an admin's valid token gets.
fn api_families<'a>(
    server: &'a TestServer,
    co: &'a Company,
) -> Vec<(&'static str, Request<'a>, u16)> {
    let url = &server.url;
    let a_id = co.user_id("a");
    vec![
        ("sync", Box::new(move |t| empty_sync(server, Some(t))), 200),
        (
            "reports: weekly",
            Box::new(move |t| {
                call(
                    "GET",
                    &format!(
                        "{url}/v1/reports/visits/weekly?week={WEEK}&team={}",
                        co.team_id
                    ),
                    Some(t),
                    None,
                )
            }),
            200,
        ),
        (
            "reports: scorecard",
            Box::new(move |t| {
                call(
                    "GET",
                    &format!("{url}/v1/reports/scorecard?rep={a_id}&period={WEEK}"),
                    Some(t),
                    None,
                )
            }),
            200,
        ),
        (
            "admin: users",
            Box::new(move |t| call("GET", &format!("{url}/v1/admin/users"), Some(t), None)),
            200,
        ),
        (
            "admin: devices",
            Box::new(move |t| {
                call(
                    "GET",
                    &format!("{url}/v1/admin/users/{a_id}/devices"),
                    Some(t),
                    None,
                )
            }),
            200,
        ),
        (
            "admin: assign (a write)",
            Box::new(move |t| {
                call(
                    "PUT",
                    &format!("{url}/v1/admin/accounts/{}/team/{a_id}", co.account_a),
                    Some(t),
                    None,
                )
            }),
            204,
        ),
    ]
}

/// Positive controls: tokens crafted from `base` with the real key and header, and the
/// edges of the leeway (expired 15 s ago; not before 15 s from now).
fn accepted_tokens(base: &Value, secret: &[u8], now: i64) -> Vec<(&'static str, String)> {
    let crafted = |changes: &[(&str, Value)]| forge(&good_header(), &with(base, changes), secret);
    vec![
        ("crafted", forge(&good_header(), base, secret)),
        (
            "expired 15 s ago",
            crafted(&[("exp", json!(now - 15)), ("iat", json!(now - 900))]),
        ),
        ("nbf 15 s ahead", crafted(&[("nbf", json!(now + 15))])),
        ("nbf a minute ago", crafted(&[("nbf", json!(now - 60))])),
    ]
}

/// Every forged bearer token is refused with 401 on every API family. Returns how many
/// requests were made.
fn api_refuses(cases: &[(&str, String)], families: &[(&str, Request, u16)]) -> usize {
    let mut tried = 0;
    for (what, token) in cases {
        for (family, request, _) in families {
            let a = request(token);
            assert_eq!(
                (a.status, a.error_code().as_str()),
                (401, "unauthorized"),
                "{what} on {family}: {}",
                String::from_utf8_lossy(&a.body)
            );
            tried += 1;
        }
    }
    tried
}

/// Every forged session sends every dashboard page back to the sign-in page. Returns how
/// many requests were made.
fn dashboard_refuses(server: &TestServer, cases: &[(&str, String)], pages: &[String]) -> usize {
    let mut tried = 0;
    for (what, token) in cases {
        for page in pages {
            let (status, location) = dashboard_get(server, page, token);
            assert_eq!(status, 303, "{what} on {page}");
            assert!(
                location.starts_with("/dashboard/login"),
                "{what} on {page}: sent to {location}"
            );
            tried += 1;
        }
    }
    tried
}

#[test]
fn every_forged_token_is_refused_on_every_endpoint_family() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let admin = login(&server.url, "acme", "admin");
    let sibling = login(&server.url, "acme", "b");
    let other_tenant = Company::create_bare(&server, "other");
    let secret = server.jwt_secret();
    let now = chrono::Utc::now().timestamp();
    let a_id = co.user_id("a");

    let api_families = api_families(&server, &co);
    let dashboard_pages = [
        "/dashboard".to_owned(),
        format!("/dashboard/reps/{a_id}?period={WEEK}"),
        format!(
            "/dashboard/export/visits-weekly.csv?team={}&week={WEEK}",
            co.team_id
        ),
    ];
    let api_base = claims_of(&admin);
    let dashboard_base = json!({
        "sub": admin.user_id, "iss": "rapport", "aud": "rapport-dashboard",
        "exp": now + 600, "iat": now, "tid": admin.tenant_id, "csrf": "a-csrf-token",
    });
    // Positive controls: the issued token and the crafted ones.
    let mut controls = accepted_tokens(&api_base, &secret, now);
    controls.push(("issued", admin.access_token.clone()));
    for (what, token) in &controls {
        for (family, request, ok) in &api_families {
            let a = request(token);
            assert_eq!(
                a.status,
                *ok,
                "{what} on {family}: {}",
                String::from_utf8_lossy(&a.body)
            );
        }
    }
    for (what, token) in accepted_tokens(&dashboard_base, &secret, now) {
        for page in &dashboard_pages {
            assert_eq!(
                dashboard_get(&server, page, &token).0,
                200,
                "{what} on {page}"
            );
        }
    }

    let api_cases = forged_tokens(Face::Api, &api_base, &secret, &sibling, &other_tenant);
    let mut tried = api_refuses(&api_cases, &api_families);
    let mut dashboard_cases = forged_tokens(
        Face::Dashboard,
        &dashboard_base,
        &secret,
        &sibling,
        &other_tenant,
    );
    dashboard_cases.push(("an issued bearer token", admin.access_token.clone()));
    tried += dashboard_refuses(&server, &dashboard_cases, &dashboard_pages);
    // The refused write changed nothing: A is still on exactly the accounts Company::setup
    // put A on.
    assert_eq!(
        server.count(&format!(
            "SELECT COUNT(*) FROM account_teams WHERE user_id = '{a_id}'"
        )),
        2
    );
    println!(
        "token matrix: {} API tokens x {} families, {} dashboard sessions x {} pages: \
         {tried} requests, all refused; {} accepted controls",
        api_cases.len(),
        api_families.len(),
        dashboard_cases.len(),
        dashboard_pages.len(),
        controls.len() + 4,
    );
}

/// The rep's own scorecard for the week, as `token` asks for it.
fn own_scorecard(server: &TestServer, token: &str) -> Answer {
    call(
        "GET",
        &format!("{}/v1/reports/scorecard?period={WEEK}", server.url),
        Some(token),
        None,
    )
}

/// Rep A's devices, as `token` asks for them.
fn devices_of_a(server: &TestServer, co: &Company, token: &str) -> Answer {
    call(
        "GET",
        &format!("{}/v1/admin/users/{}/devices", server.url, co.user_id("a")),
        Some(token),
        None,
    )
}

/// `token` deactivates `device`.
fn deactivate_device(server: &TestServer, token: &str, device: &str) -> Answer {
    call(
        "PATCH",
        &format!("{}/v1/admin/devices/{device}", server.url),
        Some(token),
        Some(&json!({"active": false})),
    )
}

/// Nobody but the company's admin may list or deactivate a device; another company's
/// admin is answered as for a device that does not exist.
fn only_the_admin_deactivates_devices(
    server: &TestServer,
    co: &Company,
    other: &Company,
    [phone, tablet, rep_b]: [&Session; 3],
) {
    let before = server.count("SELECT COUNT(*) FROM devices WHERE active = TRUE");
    let deactivate = |token: &str, device: &str| deactivate_device(server, token, device);
    assert_error(
        &devices_of_a(server, co, &rep_b.access_token),
        403,
        "forbidden",
    );
    assert_error(
        &deactivate(&rep_b.access_token, &phone.device_id),
        403,
        "forbidden",
    );
    assert_error(
        &deactivate(&phone.access_token, &tablet.device_id),
        403,
        "forbidden",
    );
    assert_error(
        &devices_of_a(server, co, &other.admin_token),
        404,
        "not_found",
    );
    assert_error(
        &deactivate(&other.admin_token, &phone.device_id),
        404,
        "not_found",
    );
    assert_error(
        &deactivate(&other.admin_token, &uuid::Uuid::new_v4().to_string()),
        404,
        "not_found",
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM devices WHERE active = TRUE"),
        before
    );
    assert_status(&empty_sync(server, Some(&phone.access_token)), 200);
}

/// The admin deactivates the phone: its unexpired token is refused on the next request,
/// its refresh token too; the tablet, the same user, goes on. Signing in again naming
/// the lost phone gives a new device, never the old one back. Returns the tablet's
/// renewed session and the new sign-in's.
fn the_admin_deactivates_a_lost_phone(
    server: &TestServer,
    co: &Company,
    phone: &Session,
    tablet: &Session,
) -> (Session, Session) {
    let a = deactivate_device(server, &co.admin_token, &phone.device_id);
    assert_status(&a, 200);
    assert_eq!(a.json()["active"], false);
    assert_error(
        &empty_sync(server, Some(&phone.access_token)),
        401,
        "unauthorized",
    );
    assert_error(
        &own_scorecard(server, &phone.access_token),
        401,
        "unauthorized",
    );
    assert_error(&refresh(server, &phone.refresh_token), 401, "unauthorized");
    assert_status(&empty_sync(server, Some(&tablet.access_token)), 200);
    assert_status(&own_scorecard(server, &tablet.access_token), 200);
    let renewed = refresh(server, &tablet.refresh_token);
    assert_status(&renewed, 200);
    let tablet: Session = serde_json::from_slice(&renewed.body).expect("a session");
    let a = call(
        "POST",
        &format!("{}/v1/auth/login", server.url),
        None,
        Some(&json!({
            "company": "acme", "username": "a", "password": PASSWORD,
            "device_id": phone.device_id,
        })),
    );
    assert_status(&a, 200);
    let again: Session = serde_json::from_slice(&a.body).expect("a session");
    assert_ne!(again.device_id, phone.device_id);
    assert_ne!(again.actor_id, phone.actor_id);
    (tablet, again)
}

/// The same from the command line, for the tablet: deactivated, listed inactive with the
/// phone; and the command refuses another company's name for a device.
fn the_command_line_deactivates_the_tablet(
    server: &TestServer,
    phone: &Session,
    tablet: &Session,
    again: &Session,
) {
    let out = server.admin_cli(&[
        "deactivate-device",
        "--company",
        "acme",
        "--device",
        &tablet.device_id,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_error(
        &empty_sync(server, Some(&tablet.access_token)),
        401,
        "unauthorized",
    );
    assert_error(&refresh(server, &tablet.refresh_token), 401, "unauthorized");
    let out = server.admin_cli(&["devices", "--company", "acme", "--user", "a"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    for id in [&phone.device_id, &tablet.device_id] {
        assert!(
            listing
                .lines()
                .any(|l| l.contains(id.as_str()) && l.ends_with("(inactive)")),
            "{listing}"
        );
    }
    let out = server.admin_cli(&[
        "deactivate-device",
        "--company",
        "other",
        "--device",
        &again.device_id,
    ]);
    assert!(
        !out.status.success(),
        "another company's device was deactivated"
    );
}

#[test]
fn deactivating_a_device_ends_its_access_at_once_and_spares_the_others() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let other = Company::setup(&server, "other");
    let url = &server.url;
    let phone = login(url, "acme", "a");
    let tablet = login(url, "acme", "a");
    let rep_b = login(url, "acme", "b");
    for s in [&phone, &tablet] {
        assert_status(&empty_sync(&server, Some(&s.access_token)), 200);
        assert_status(&own_scorecard(&server, &s.access_token), 200);
    }
    let listed = devices_of_a(&server, &co, &co.admin_token);
    assert_status(&listed, 200);
    let listed: BTreeSet<String> = listed
        .json()
        .as_array()
        .expect("devices")
        .iter()
        .map(|d| d["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(listed, ids([&phone.device_id, &tablet.device_id]));

    only_the_admin_deactivates_devices(&server, &co, &other, [&phone, &tablet, &rep_b]);
    let (tablet, again) = the_admin_deactivates_a_lost_phone(&server, &co, &phone, &tablet);
    the_command_line_deactivates_the_tablet(&server, &phone, &tablet, &again);
    // The new sign-in and B were never touched.
    assert_status(&empty_sync(&server, Some(&again.access_token)), 200);
    assert_status(&empty_sync(&server, Some(&rep_b.access_token)), 200);
}

#[test]
fn refresh_tokens_are_stored_only_as_hashes() {
    let server = TestServer::start();
    Company::setup(&server, "acme");
    let url = &server.url;
    let session = login(url, "acme", "a");
    let token = &session.refresh_token;
    assert!(token.len() >= 40, "a short refresh token: {token}");
    let rows = |sql_where: &str| {
        server.count(&format!(
            "SELECT COUNT(*) FROM refresh_tokens WHERE {sql_where}"
        ))
    };
    // Nothing stored holds the token, whole or in part.
    let piece = &token[..24];
    for column in [
        "token_hash",
        "family_id",
        "user_id",
        "device_id",
        "tenant_id",
    ] {
        assert_eq!(
            rows(&format!("{column} LIKE '%{piece}%'")),
            0,
            "{column} holds the refresh token"
        );
    }
    let stored = server.text(&format!(
        "SELECT token_hash FROM refresh_tokens WHERE device_id = '{}'",
        session.device_id
    ));
    assert_eq!(stored.len(), 64, "{stored}");
    assert!(
        stored.chars().all(|c| c.is_ascii_hexdigit()),
        "not a SHA-256 digest: {stored}"
    );
    // What a copy of the table gives an attacker does not refresh.
    assert_error(&refresh(&server, &stored), 401, "unauthorized");
    // The token itself does (the control), and its successor is stored hashed too.
    let a = refresh(&server, token);
    assert_status(&a, 200);
    let next: Session = serde_json::from_slice(&a.body).expect("a session");
    assert_eq!(
        rows(&format!(
            "token_hash LIKE '%{}%'",
            &next.refresh_token[..24]
        )),
        0
    );
    let device = &session.device_id;
    assert_eq!(
        rows(&format!("device_id = '{device}' AND used_at IS NOT NULL")),
        1
    );
    assert_eq!(rows(&format!("device_id = '{device}'")), 2);
    // Every stored token, the admin's too, is a digest.
    assert_eq!(rows("LENGTH(token_hash) = 64"), rows("1 = 1"));
}

// ----- spoofing -----

/// The stored snapshot of a document, as hex.
fn snapshot_hex(server: &TestServer, id: &str) -> String {
    let expr = match server.backend() {
        sea_orm::DbBackend::Postgres => "encode(snapshot, 'hex')",
        _ => "hex(snapshot)",
    };
    server.text(&format!("SELECT {expr} FROM documents WHERE id = '{id}'"))
}

/// The document `id` as `token`'s user pulls it from the start.
fn pulled_doc(server: &TestServer, token: &str, id: &str) -> AutoCommit {
    let resp = sync_ok(server, token, &request(vec![]));
    let pulled = resp
        .docs
        .into_iter()
        .find(|d| d.doc_id == id)
        .unwrap_or_else(|| panic!("{id} was not pulled"));
    let mut doc = AutoCommit::new();
    for part in pulled.snapshot.into_iter().chain(pulled.changes) {
        doc.load_incremental(&part.0).expect("load");
    }
    doc
}

#[test]
fn pushes_to_another_companys_document_leave_it_byte_identical() {
    let server = TestServer::start();
    let acme = Company::setup(&server, "acme");
    let other = Company::setup(&server, "other");
    let acme_a = login(&server.url, "acme", "a");
    let (acme_visit, mut acme_doc, changes) = new_record(
        actor(&acme_a),
        &visit_in_week(&acme.account_a, "Quarterly review"),
    );
    assert_eq!(
        push_one(
            &server,
            &acme_a.access_token,
            &acme_visit,
            "visit",
            changes.clone()
        ),
        Outcome::Accepted
    );
    let snapshot = snapshot_hex(&server, &acme_visit);
    let changes_of = || {
        server.count(&format!(
            "SELECT COUNT(*) FROM changes WHERE doc_id = '{acme_visit}'"
        ))
    };
    assert_eq!(changes_of(), 1);
    let before = server.fingerprint();

    let intruder = login(&server.url, "other", "a");
    let intruder_admin = login(&server.url, "other", "admin");
    let mut attempts = 0;
    for session in [&intruder, &intruder_admin] {
        // An edit built on the real history (as if the document had leaked), with and
        // without that history, and a brand-new record on the intruder's own account
        // under the same id.
        let (_, edit) = edit_as::<Visit>(&mut acme_doc, actor(session), |v| {
            v.purpose = "rewritten".into();
        });
        let mut with_history = changes.clone();
        with_history.extend(edit.clone());
        let (_, _, own_record) =
            new_record(actor(session), &visit_in_week(&other.account_a, "mine"));
        for push in [edit, with_history, own_record] {
            assert_rejected(
                &push_one(&server, &session.access_token, &acme_visit, "visit", push),
                "forbidden",
            );
            attempts += 1;
        }
    }
    assert_eq!(
        snapshot_hex(&server, &acme_visit),
        snapshot,
        "the snapshot changed"
    );
    assert_eq!(changes_of(), 1);
    assert_eq!(
        server.fingerprint(),
        before,
        "a refused push changed something"
    );
    assert_eq!(
        server.text(&format!(
            "SELECT tenant_id FROM documents WHERE id = '{acme_visit}'"
        )),
        acme.tenant_id
    );
    println!("{attempts} pushes into another company's document refused");
}

/// A logs a visit on the shared account whose document claims, in each spelling, to be
/// B's: authorship is never a field of a record, so the document is refused whole.
fn author_claims_are_unknown_fields(server: &TestServer, co: &Company, a: &Session) {
    let b_id = co.user_id("b");
    let forged_keys = [
        "author_id",
        "author",
        "rep_id",
        "user_id",
        "created_by",
        "by_user",
    ];
    for key in forged_keys {
        let (id, mut doc, mut changes) =
            new_record(actor(a), &visit_in_week(&co.account_shared, "Tasting"));
        let heads = doc.get_heads();
        doc.put(ROOT, key, b_id).expect("put");
        doc.commit();
        changes.extend(wire(doc.get_changes(&heads)));
        let reason = assert_rejected(
            &push_one(server, &a.access_token, &id, "visit", changes),
            "unknown_field",
        );
        assert!(reason.contains(key), "{key}: {reason}");
    }
}

/// B (who serves the shared account) edits A's visit `id` and claims it: refused, it is
/// A's; without the claim, B's edit is still not B's to make. Nothing is stored.
fn a_teammate_cannot_claim_a_visit(
    server: &TestServer,
    co: &Company,
    b: &Session,
    id: &str,
    doc: &mut AutoCommit,
) {
    let (mut b_doc, edit) = edit_as::<Visit>(doc, actor(b), |v| v.notes = "B was there".into());
    let heads = b_doc.get_heads();
    b_doc.put(ROOT, "author_id", co.user_id("b")).expect("put");
    b_doc.commit();
    let mut b_changes = edit.clone();
    b_changes.extend(wire(b_doc.get_changes(&heads)));
    let stored = server.fingerprint();
    assert!(
        matches!(
            push_one(server, &b.access_token, id, "visit", b_changes),
            Outcome::Rejected { .. }
        ),
        "B's claim was accepted"
    );
    assert_rejected(
        &push_one(server, &b.access_token, id, "visit", edit),
        "not_author",
    );
    assert_eq!(server.fingerprint(), stored);
}

/// The reps in the manager's weekly report, with their visits.
fn visits_by_rep(server: &TestServer, manager: &Session) -> Value {
    let report = weekly(server, Some(&manager.access_token), None);
    assert_status(&report, 200);
    report.json()["reps"].clone()
}

/// A stage move whose step names B is refused; without the names it is recorded as
/// A's: the server knows who pushed.
fn a_stage_move_is_its_pushers(server: &TestServer, co: &Company, a: &Session) {
    let b_id = co.user_id("b");
    let mut account = pulled_doc(server, &a.access_token, &co.account_a).with_actor(actor(a));
    let mut record: model::Account = model::read_record(&account).expect("an account");
    record.stage = Some(rapport_client_core::model::Stage::Initial);
    record
        .stage_history
        .push(rapport_client_core::model::StageStep {
            id: model::new_id(),
            stage: rapport_client_core::model::Stage::Initial,
            at: in_week(),
        });
    let heads = account.get_heads();
    model::write_record(&mut account, &record).expect("write");
    let stage_move = wire(account.get_changes(&heads));
    let mut forged = account.fork().with_actor(actor(a));
    let (_, history) = forged
        .get(ROOT, "stage_history")
        .expect("read")
        .expect("a stage history");
    let last = forged.length(&history) - 1;
    let (_, step) = forged.get(&history, last).expect("read").expect("a step");
    let forged_heads = forged.get_heads();
    forged.put(&step, "by_user", b_id).expect("put");
    forged.commit();
    let mut forged_move = stage_move.clone();
    forged_move.extend(wire(forged.get_changes(&forged_heads)));
    let stored = server.fingerprint();
    assert_rejected(
        &push_one(
            server,
            &a.access_token,
            &co.account_a,
            "account",
            forged_move,
        ),
        "unknown_field",
    );
    assert_eq!(server.fingerprint(), stored);
    assert_eq!(
        push_one(
            server,
            &a.access_token,
            &co.account_a,
            "account",
            stage_move
        ),
        Outcome::Accepted
    );
    assert_eq!(
        server.text(&format!(
            "SELECT by_user FROM stage_events WHERE account_id = '{}'",
            co.account_a
        )),
        co.user_id("a")
    );
    assert_eq!(
        server.count(&format!(
            "SELECT COUNT(*) FROM stage_events WHERE by_user = '{b_id}'"
        )),
        0
    );
}

#[test]
fn author_fields_forged_inside_documents_are_refused() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let a = login(&server.url, "acme", "a");
    let b = login(&server.url, "acme", "b");
    let manager = login(&server.url, "acme", "manager");
    let before = server.fingerprint();
    author_claims_are_unknown_fields(&server, &co, &a);
    assert_eq!(server.fingerprint(), before, "a forged document was stored");

    // The same visit without them is A's, by the server's own record of who pushed it.
    let (id, mut doc, changes) =
        new_record(actor(&a), &visit_in_week(&co.account_shared, "Tasting"));
    assert_eq!(
        push_one(&server, &a.access_token, &id, "visit", changes),
        Outcome::Accepted
    );
    let author =
        |table: &str| server.text(&format!("SELECT author_id FROM {table} WHERE id = '{id}'"));
    assert_eq!(author("visits"), co.user_id("a"));
    assert_eq!(author("documents"), co.user_id("a"));

    a_teammate_cannot_claim_a_visit(&server, &co, &b, &id, &mut doc);
    // Their manager corrects it: accepted, and still A's.
    co.assign(&server, &co.account_shared, "manager");
    let (_, fix) = edit_as::<Visit>(&mut doc, actor(&manager), |v| v.notes = "corrected".into());
    assert_eq!(
        push_one(&server, &manager.access_token, &id, "visit", fix),
        Outcome::Accepted
    );
    assert_eq!(author("visits"), co.user_id("a"));
    assert_eq!(author("documents"), co.user_id("a"));

    // The reports count it for A, not for B.
    let reps = visits_by_rep(&server, &manager);
    let visits_of = |user: &str| {
        reps.as_array()
            .expect("reps")
            .iter()
            .find(|r| r["user_id"] == user)
            .map(|r| r["visits"].as_u64().expect("visits"))
            .expect("the rep is listed")
    };
    assert_eq!(
        (visits_of(co.user_id("a")), visits_of(co.user_id("b"))),
        (1, 0)
    );

    a_stage_move_is_its_pushers(&server, &co, &a);
}
