//! The authorisation matrix: every endpoint of the server × every kind of caller, run
//! against one server holding two companies. Each cell names the answer expected; the test
//! fails on any cell that differs, counts the unauthorised successes (cells answered with
//! success where a refusal was expected: there must be none), checks that every refused
//! write left the database as it was, and checks that ids addressed across companies are
//! answered exactly like ids that exist nowhere.
//!
//! The rule the server follows, which the expectations below spell out:
//! - no token, a token of a deactivated user or device: 401 (the dashboard: back to its
//!   sign-in page);
//! - signed in but the wrong role or out of scope: 403 (`forbidden`);
//! - an admin naming something that is not in their company: 404 (`not_found`), the same
//!   whether it exists in another company or nowhere; reps and managers get their 403
//!   for those alike; accounts on the dashboard are 404 for everyone not serving them.

use std::collections::BTreeMap;

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rapport_client_core::model::Visit;
use rapport_client_core::protocol::{Outcome, PushDoc, SYNC_CONTENT_TYPE, Session, SyncResponse};
use rapport_tests::raw::*;
use rapport_tests::{Company, PASSWORD, TestServer, call, login, post_bytes, visit_in_week};
use serde_json::{Value, json};

const WEEK: &str = "2026-W40";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Actor {
    Anonymous,
    /// Rep A, whose scorecard, account and visit the requests are about.
    Own,
    /// Rep B, on A's team.
    SameTeam,
    /// Rep C, on another team of the company.
    OtherTeamRep,
    /// A rep of another company.
    OtherTenantRep,
    /// The admin of another company.
    OtherTenantAdmin,
    /// The manager of the company's other team.
    OtherTeamManager,
    /// The manager of A's team.
    OwnManager,
    /// The company's admin.
    Admin,
    /// Rep D of A's team, deactivated after signing in (the token has not expired).
    DeactivatedUser,
    /// A's second device, deactivated after signing in.
    DeactivatedDevice,
}

const ACTORS: [Actor; 11] = [
    Actor::Anonymous,
    Actor::Own,
    Actor::SameTeam,
    Actor::OtherTeamRep,
    Actor::OtherTenantRep,
    Actor::OtherTenantAdmin,
    Actor::OtherTeamManager,
    Actor::OwnManager,
    Actor::Admin,
    Actor::DeactivatedUser,
    Actor::DeactivatedDevice,
];

/// What a cell answered, as a short label: `ok`, `401 unauthorized`, `403 forbidden`,
/// `404 not_found`, `sign-in` (the dashboard's redirect), `rejected forbidden` (a sync
/// push refused inside a 200), `leak` (a pull that carried a document it should not).
type Label = String;

const OK: &str = "ok";
const UNAUTHORIZED: &str = "401 unauthorized";
const FORBIDDEN: &str = "403 forbidden";
const NOT_FOUND: &str = "404 not_found";
const SIGN_IN: &str = "sign-in";
const PAGE_FORBIDDEN: &str = "403";
const PAGE_NOT_FOUND: &str = "404";
const PUSH_REFUSED: &str = "rejected forbidden";

fn is_dead(actor: Actor) -> bool {
    matches!(
        actor,
        Actor::Anonymous | Actor::DeactivatedUser | Actor::DeactivatedDevice
    )
}

fn is_rep(actor: Actor) -> bool {
    matches!(
        actor,
        Actor::Own | Actor::SameTeam | Actor::OtherTeamRep | Actor::OtherTenantRep
    )
}

/// Everything the requests need: the server, each actor's token and dashboard session,
/// and the ids of both companies.
struct World {
    server: TestServer,
    acme: Company,
    other: Company,
    tokens: BTreeMap<Actor, Session>,
    cookies: BTreeMap<Actor, String>,
    /// A rep nobody signs in as: the target of the admin writes.
    x_id: String,
    x_device: String,
    /// A's visit on A's own account.
    visit_id: String,
    /// A's visit as first pushed, saved.
    visit_bytes: Vec<u8>,
    /// Ids in the other company, and ids that exist nowhere.
    foreign: Foreign,
    nowhere: Foreign,
}

#[derive(Debug, Clone)]
struct Foreign {
    rep: String,
    team: String,
    account: String,
    device: String,
    visit: String,
}

impl World {
    fn url(&self) -> &str {
        &self.server.url
    }

    fn token(&self, actor: Actor) -> Option<&str> {
        self.tokens.get(&actor).map(|s| s.access_token.as_str())
    }

    fn a(&self) -> &str {
        self.acme.user_id("a")
    }

    /// Ids on the far side of a company border for `actor`: the other company's for
    /// acme's people, acme's for the other company's.
    fn across(&self, actor: Actor) -> Foreign {
        match actor {
            Actor::OtherTenantRep | Actor::OtherTenantAdmin => Foreign {
                rep: self.a().to_owned(),
                team: self.acme.team_id.clone(),
                account: self.acme.account_a.clone(),
                device: self.x_device.clone(),
                visit: self.visit_id.clone(),
            },
            _ => self.foreign.clone(),
        }
    }

    /// A bearer request, labelled.
    fn api(&self, actor: Actor, method: &str, path: &str, body: Option<&Value>) -> Label {
        let a = call(
            method,
            &format!("{}{path}", self.url()),
            self.token(actor),
            body,
        );
        if (200..300).contains(&a.status) {
            OK.into()
        } else {
            format!("{} {}", a.status, a.error_code())
        }
    }

    /// A dashboard page, labelled; `None` for the deactivated device (dashboard sessions
    /// belong to users, not devices).
    fn page(&self, actor: Actor, path: &str) -> Option<Label> {
        if actor == Actor::DeactivatedDevice {
            return None;
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut req = agent.get(format!("{}{path}", self.url()));
        if let Some(cookie) = self.cookies.get(&actor) {
            req = req.header("Cookie", format!("rapport_session={cookie}"));
        }
        let resp = req.call().expect("dashboard request");
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Some(match status {
            200..=299 => OK.into(),
            303 if location.starts_with("/dashboard/login") => SIGN_IN.into(),
            other => format!("{other}"),
        })
    }

    /// One sync round trip as `actor` (no token for the anonymous caller).
    fn sync(&self, actor: Actor, push: Vec<PushDoc>) -> Result<SyncResponse, Label> {
        let body = postcard::to_stdvec(&request(push)).expect("encode");
        let a = post_bytes(
            &format!("{}/v1/sync", self.url()),
            self.token(actor),
            SYNC_CONTENT_TYPE,
            &body,
        );
        if a.status == 200 {
            Ok(postcard::from_bytes(&a.body).expect("decode sync response"))
        } else {
            Err(format!("{} {}", a.status, a.error_code()))
        }
    }

    fn push_label(&self, actor: Actor, push: PushDoc) -> Label {
        match self.sync(actor, vec![push]) {
            Ok(resp) => match &resp.results[0].outcome {
                Outcome::Accepted => OK.into(),
                Outcome::Rejected { code, .. } => format!("rejected {code}"),
            },
            Err(label) => label,
        }
    }

    /// The changes written by the actor's own device (a fresh actor for callers without
    /// a device).
    fn device_actor(&self, actor: Actor) -> automerge::ActorId {
        self.tokens
            .get(&actor)
            .map_or_else(automerge::ActorId::random, actor_of)
    }

    /// A push of an edit to A's visit, written with the actor's own device actor.
    fn push(&self, actor: Actor) -> Label {
        let mut doc = automerge::AutoCommit::load(&self.visit_bytes)
            .expect("load")
            .with_actor(self.device_actor(actor));
        let mut visit: Visit = rapport_client_core::model::read_record(&doc).expect("read");
        visit.notes = format!("edited by {actor:?}");
        let changes =
            wire(rapport_client_core::model::write_record(&mut doc, &visit).expect("write"));
        self.push_label(actor, push_doc(&self.visit_id, "visit", changes))
    }

    /// A push of a new visit on `account` under the document id `doc_id`.
    fn push_new(&self, actor: Actor, doc_id: &str, account: &str) -> Label {
        let (_, _, changes) = new_record(
            self.device_actor(actor),
            &visit_in_week(account, "Quarterly review"),
        );
        self.push_label(actor, push_doc(doc_id, "visit", changes))
    }

    /// A pull from the start: `ok` unless it carries A's visit to someone who may not
    /// read it.
    fn pull(&self, actor: Actor, may_read: bool) -> Label {
        match self.sync(actor, vec![]) {
            Ok(resp) => {
                let got = resp.docs.iter().any(|d| d.doc_id == self.visit_id);
                match (got, may_read) {
                    (true, false) => "leak".into(),
                    (false, true) => "missing".into(),
                    _ => OK.into(),
                }
            }
            Err(label) => label,
        }
    }

    /// What the database holds, in numbers: a refused write must leave all of it alone.
    fn fingerprint(&self) -> Vec<String> {
        let s = &self.server;
        let mut all: Vec<String> = s.fingerprint().iter().map(i64::to_string).collect();
        for q in [
            "SELECT COUNT(*) FROM teams",
            "SELECT COUNT(*) FROM users",
            "SELECT COUNT(*) FROM users WHERE active = TRUE",
            "SELECT COUNT(*) FROM account_teams WHERE active = TRUE",
            "SELECT COUNT(*) FROM devices WHERE active = TRUE",
            "SELECT COUNT(*) FROM tenants",
            "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM tenant_rules",
        ] {
            all.push(s.count(q).to_string());
        }
        all.push(s.text(&format!(
            "SELECT password_hash FROM users WHERE id = '{}'",
            self.x_id
        )));
        all
    }
}

fn actor_of(session: &Session) -> automerge::ActorId {
    actor(session)
}

/// A dashboard session for `session`'s user, signed as the server signs them.
fn dashboard_cookie(secret: &[u8], session: &Session) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": session.user_id, "iss": "rapport", "aud": "rapport-dashboard",
        "exp": now + 3600, "iat": now, "tid": session.tenant_id,
        "csrf": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([9u8; 32]),
    });
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("jwt-hs256".into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).expect("sign")
}

fn post_id(server: &TestServer, token: &str, path: &str, body: &Value) -> String {
    let a = call(
        "POST",
        &format!("{}{path}", server.url),
        Some(token),
        Some(body),
    );
    assert_eq!(
        a.status,
        201,
        "{path}: {}",
        String::from_utf8_lossy(&a.body)
    );
    a.json()["id"].as_str().expect("id").to_owned()
}

fn patch_ok(server: &TestServer, token: &str, path: &str, body: &Value) {
    let a = call(
        "PATCH",
        &format!("{}{path}", server.url),
        Some(token),
        Some(body),
    );
    assert_eq!(
        a.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&a.body)
    );
}

fn world() -> World {
    let server = TestServer::start();
    let acme = Company::setup(&server, "acme");
    let other = Company::setup(&server, "other");
    let url = server.url.clone();
    let admin = acme.admin_token.clone();
    let west_team = post_id(&server, &admin, "/v1/admin/teams", &json!({"name": "West"}));
    let user = |name: &str, role: &str, team: &str| {
        post_id(
            &server,
            &admin,
            "/v1/admin/users",
            &json!({"username": name, "password": PASSWORD, "role": role, "team_id": team}),
        )
    };
    user("w", "manager", &west_team);
    let c_id = user("c", "rep", &west_team);
    user("d", "rep", &acme.team_id);
    let x_id = user("x", "rep", &acme.team_id);
    let west_account = post_id(
        &server,
        &admin,
        "/v1/admin/accounts",
        &json!({"name": "Xibei Machinery"}),
    );
    let a = call(
        "PUT",
        &format!("{url}/v1/admin/accounts/{west_account}/team/{c_id}"),
        Some(&admin),
        None,
    );
    assert_eq!(a.status, 204);

    let mut tokens = BTreeMap::new();
    for (actor, company, name) in [
        (Actor::Own, "acme", "a"),
        (Actor::SameTeam, "acme", "b"),
        (Actor::OtherTeamRep, "acme", "c"),
        (Actor::OtherTenantRep, "other", "a"),
        (Actor::OtherTenantAdmin, "other", "admin"),
        (Actor::OtherTeamManager, "acme", "w"),
        (Actor::OwnManager, "acme", "manager"),
        (Actor::Admin, "acme", "admin"),
        (Actor::DeactivatedUser, "acme", "d"),
        (Actor::DeactivatedDevice, "acme", "a"),
    ] {
        tokens.insert(actor, login(&url, company, name));
    }
    let x_device = login(&url, "acme", "x").device_id;
    let secret = server.jwt_secret();
    let cookies: BTreeMap<Actor, String> = tokens
        .iter()
        .filter(|(a, _)| **a != Actor::DeactivatedDevice)
        .map(|(a, s)| (*a, dashboard_cookie(&secret, s)))
        .collect();

    // A's visit, and one in the other company.
    // Written from another of A's devices: a device is not sent its own changes back,
    // and the pull cells must see whether the server sends the visit.
    let own = &login(&url, "acme", "a");
    let (visit_id, mut visit_doc, changes) = new_record(
        actor(own),
        &visit_in_week(&acme.account_a, "Quarterly review"),
    );
    let visit_bytes = visit_doc.save();
    assert_eq!(
        push_one(&server, &own.access_token, &visit_id, "visit", changes),
        Outcome::Accepted
    );
    let theirs = &tokens[&Actor::OtherTenantRep];
    let (their_visit, _, changes) = new_record(
        actor(theirs),
        &visit_in_week(&other.account_a, "Quarterly review"),
    );
    assert_eq!(
        push_one(
            &server,
            &theirs.access_token,
            &their_visit,
            "visit",
            changes
        ),
        Outcome::Accepted
    );
    let their_device = theirs.device_id.clone();

    // Both deactivations happen after the tokens were issued.
    let d_id = tokens[&Actor::DeactivatedUser].user_id.clone();
    patch_ok(
        &server,
        &admin,
        &format!("/v1/admin/users/{d_id}"),
        &json!({"active": false}),
    );
    let dead_device = tokens[&Actor::DeactivatedDevice].device_id.clone();
    patch_ok(
        &server,
        &admin,
        &format!("/v1/admin/devices/{dead_device}"),
        &json!({"active": false}),
    );

    let foreign = Foreign {
        rep: other.user_id("a").to_owned(),
        team: other.team_id.clone(),
        account: other.account_a.clone(),
        device: their_device,
        visit: their_visit,
    };
    let nowhere = Foreign {
        rep: uuid::Uuid::new_v4().to_string(),
        team: uuid::Uuid::new_v4().to_string(),
        account: rapport_client_core::model::new_id(),
        device: uuid::Uuid::new_v4().to_string(),
        visit: rapport_client_core::model::new_id(),
    };
    World {
        server,
        acme,
        other,
        tokens,
        cookies,
        x_id,
        x_device,
        visit_id,
        visit_bytes,
        foreign,
        nowhere,
    }
}

type CallFn = dyn Fn(&World, Actor) -> Option<Label>;

/// One endpoint of the matrix: how to call it as an actor, what each actor must get, and
/// whether it writes.
struct Endpoint {
    name: String,
    write: bool,
    call: Box<CallFn>,
    expect: Box<dyn Fn(Actor) -> &'static str>,
}

fn endpoint(
    name: impl Into<String>,
    write: bool,
    call: impl Fn(&World, Actor) -> Option<Label> + 'static,
    expect: impl Fn(Actor) -> &'static str + 'static,
) -> Endpoint {
    Endpoint {
        name: name.into(),
        write,
        call: Box::new(call),
        expect: Box::new(expect),
    }
}

/// Bearer endpoints: 401 for the dead, else `alive(actor)`.
fn bearer(alive: impl Fn(Actor) -> &'static str + 'static) -> impl Fn(Actor) -> &'static str {
    move |actor| {
        if is_dead(actor) {
            UNAUTHORIZED
        } else {
            alive(actor)
        }
    }
}

/// Dashboard pages: back to sign-in for the dead, else `alive(actor)`.
fn page_rule(alive: impl Fn(Actor) -> &'static str + 'static) -> impl Fn(Actor) -> &'static str {
    move |actor| {
        if is_dead(actor) {
            SIGN_IN
        } else {
            alive(actor)
        }
    }
}

/// Admin endpoints: the company's admin succeeds; another company's admin gets
/// `other_admin` (their own data for lists, 404 for acme's ids); everyone else 403.
fn admin_rule(other_admin: &'static str) -> impl Fn(Actor) -> &'static str {
    bearer(move |actor| match actor {
        Actor::Admin => OK,
        Actor::OtherTenantAdmin => other_admin,
        _ => FORBIDDEN,
    })
}

/// The open endpoints, sync (a pull and a push about A's visit) and the scorecards.
fn public_sync_and_scorecard_endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(
            "GET /healthz",
            false,
            |w, a| Some(w.api(a, "GET", "/healthz", None)),
            |_| OK,
        ),
        endpoint(
            "GET /v1/openapi.json",
            false,
            |w, a| Some(w.api(a, "GET", "/v1/openapi.json", None)),
            |_| OK,
        ),
        endpoint(
            "POST /v1/sync (pull: A's visit only to those who may read it)",
            false,
            |w, a| {
                let may_read = matches!(a, Actor::Own);
                Some(w.pull(a, may_read))
            },
            bearer(|_| OK),
        ),
        endpoint(
            "POST /v1/sync (push an edit to A's visit)",
            true,
            |w, a| Some(w.push(a)),
            bearer(|a| if a == Actor::Own { OK } else { PUSH_REFUSED }),
        ),
        endpoint(
            "GET /v1/reports/scorecard?rep=A",
            false,
            |w, a| {
                let path = format!("/v1/reports/scorecard?rep={}&period={WEEK}", w.a());
                Some(w.api(a, "GET", &path, None))
            },
            bearer(|a| match a {
                Actor::Own | Actor::OwnManager | Actor::Admin => OK,
                // Another company's admin searches their own company: no such rep.
                Actor::OtherTenantAdmin => NOT_FOUND,
                _ => FORBIDDEN,
            }),
        ),
        endpoint(
            "GET /v1/reports/scorecard (own)",
            false,
            |w, a| {
                Some(w.api(
                    a,
                    "GET",
                    &format!("/v1/reports/scorecard?period={WEEK}"),
                    None,
                ))
            },
            bearer(|a| {
                if is_rep(a) {
                    OK
                } else {
                    // Managers and admins name the rep.
                    "422 invalid_input"
                }
            }),
        ),
    ]
}

/// The team reports, for A's team: its manager's and the admin's.
fn report_list_endpoints() -> Vec<Endpoint> {
    let mut list = Vec::new();
    for list_name in [
        "visits/weekly",
        "visits/trend",
        "team",
        "overdue",
        "danger-zone",
        "favours-over-limit",
        "upcoming",
    ] {
        list.push(endpoint(
            format!("GET /v1/reports/{list_name}?team=A's team"),
            false,
            move |w, a| {
                let path = format!(
                    "/v1/reports/{list_name}?team={}&week={WEEK}&period={WEEK}",
                    w.acme.team_id
                );
                Some(w.api(a, "GET", &path, None))
            },
            bearer(|a| match a {
                Actor::OwnManager | Actor::Admin => OK,
                Actor::OtherTenantAdmin => NOT_FOUND,
                _ => FORBIDDEN,
            }),
        ));
    }
    list
}

/// The admin's lists; another company's admin sees only their own company's.
fn admin_list_endpoints() -> Vec<Endpoint> {
    let mut list = Vec::new();
    for (path, what) in [
        ("/v1/admin/teams", "teams"),
        ("/v1/admin/users", "users"),
        ("/v1/admin/accounts", "accounts"),
        ("/v1/admin/rules", "rules"),
    ] {
        list.push(endpoint(
            format!("GET {path}"),
            false,
            move |w, a| {
                let label = w.api(a, "GET", path, None);
                // Another company's admin gets their own company's: nothing of acme's.
                if label == OK && a == Actor::OtherTenantAdmin && what != "rules" {
                    let body = call("GET", &format!("{}{path}", w.url()), w.token(a), None);
                    let text = String::from_utf8_lossy(&body.body).into_owned();
                    let acme_ids = [w.a(), w.acme.team_id.as_str(), w.acme.account_a.as_str()];
                    if acme_ids.iter().any(|id| text.contains(id)) {
                        return Some("leak".into());
                    }
                }
                Some(label)
            },
            admin_rule(OK),
        ));
    }
    list
}

/// The admin's writes, and creating a company, which is the operator's alone.
fn admin_write_endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(
            "POST /v1/admin/teams",
            true,
            |w, a| {
                let body = json!({"name": format!("Team of {a:?}")});
                Some(w.api(a, "POST", "/v1/admin/teams", Some(&body)))
            },
            admin_rule(OK),
        ),
        endpoint(
            "POST /v1/admin/users",
            true,
            |w, a| {
                let body = json!({
                    "username": format!("new-{a:?}").to_lowercase(), "password": PASSWORD,
                    "role": "admin",
                });
                Some(w.api(a, "POST", "/v1/admin/users", Some(&body)))
            },
            admin_rule(OK),
        ),
        endpoint(
            "POST /v1/admin/accounts",
            true,
            |w, a| {
                let body = json!({"name": format!("Account of {a:?}")});
                Some(w.api(a, "POST", "/v1/admin/accounts", Some(&body)))
            },
            admin_rule(OK),
        ),
        endpoint(
            "PATCH /v1/admin/users/{X}",
            true,
            |w, a| {
                let body = json!({"password": format!("password of {a:?}")});
                let path = format!("/v1/admin/users/{}", w.x_id);
                Some(w.api(a, "PATCH", &path, Some(&body)))
            },
            admin_rule(NOT_FOUND),
        ),
        endpoint(
            "GET /v1/admin/users/{A}/devices",
            false,
            |w, a| {
                Some(w.api(
                    a,
                    "GET",
                    &format!("/v1/admin/users/{}/devices", w.a()),
                    None,
                ))
            },
            admin_rule(NOT_FOUND),
        ),
        endpoint(
            "PATCH /v1/admin/devices/{X's device}",
            true,
            |w, a| {
                let path = format!("/v1/admin/devices/{}", w.x_device);
                Some(w.api(a, "PATCH", &path, Some(&json!({"active": false}))))
            },
            admin_rule(NOT_FOUND),
        ),
        endpoint(
            "PUT /v1/admin/accounts/{B's account}/team/{X}",
            true,
            |w, a| {
                let path = format!("/v1/admin/accounts/{}/team/{}", w.acme.account_b, w.x_id);
                Some(w.api(a, "PUT", &path, None))
            },
            admin_rule(NOT_FOUND),
        ),
        endpoint(
            "DELETE /v1/admin/accounts/{B's account}/team/{X}",
            true,
            |w, a| {
                let path = format!("/v1/admin/accounts/{}/team/{}", w.acme.account_b, w.x_id);
                let label = w.api(a, "DELETE", &path, None);
                if label == OK {
                    // Put X back, so the next admin-like cell has something to remove.
                    let put = call("PUT", &format!("{}{path}", w.url()), w.token(a), None);
                    assert_eq!(put.status, 204);
                }
                Some(label)
            },
            admin_rule(NOT_FOUND),
        ),
        endpoint(
            "PATCH /v1/admin/rules",
            true,
            |w, a| {
                let body = json!({"favour_limit": 900});
                Some(w.api(a, "PATCH", "/v1/admin/rules", Some(&body)))
            },
            admin_rule(OK),
        ),
        endpoint(
            "POST /v1/admin/companies (operator only)",
            true,
            |w, a| {
                let body = json!({
                    "slug": format!("rogue-{a:?}").to_lowercase(), "name": "Rogue Ltd",
                    "admin_username": "admin", "admin_password": PASSWORD,
                });
                Some(w.api(a, "POST", "/v1/admin/companies", Some(&body)))
            },
            |_| UNAUTHORIZED,
        ),
    ]
}

/// The dashboard's pages and its export.
fn dashboard_endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(
            "GET /dashboard?team=A's team",
            false,
            |w, a| {
                w.page(
                    a,
                    &format!("/dashboard?team={}&week={WEEK}", w.acme.team_id),
                )
            },
            page_rule(|a| match a {
                Actor::OwnManager | Actor::Admin => OK,
                _ => PAGE_FORBIDDEN,
            }),
        ),
        endpoint(
            "GET /dashboard/reps/{A}",
            false,
            |w, a| w.page(a, &format!("/dashboard/reps/{}?period={WEEK}", w.a())),
            page_rule(|a| match a {
                Actor::Own | Actor::OwnManager | Actor::Admin => OK,
                Actor::OtherTenantAdmin => PAGE_NOT_FOUND,
                _ => PAGE_FORBIDDEN,
            }),
        ),
        endpoint(
            "GET /dashboard/accounts/{A's account}",
            false,
            |w, a| w.page(a, &format!("/dashboard/accounts/{}", w.acme.account_a)),
            page_rule(|a| match a {
                Actor::Own | Actor::OwnManager | Actor::Admin => OK,
                _ => PAGE_NOT_FOUND,
            }),
        ),
        endpoint(
            "GET /dashboard/export/visits-weekly.csv?team=A's team",
            false,
            |w, a| {
                w.page(
                    a,
                    &format!(
                        "/dashboard/export/visits-weekly.csv?team={}&week={WEEK}",
                        w.acme.team_id
                    ),
                )
            },
            page_rule(|a| match a {
                Actor::OwnManager | Actor::Admin => OK,
                _ => PAGE_FORBIDDEN,
            }),
        ),
    ]
}

fn endpoints() -> Vec<Endpoint> {
    [
        public_sync_and_scorecard_endpoints(),
        report_list_endpoints(),
        admin_list_endpoints(),
        admin_write_endpoints(),
        dashboard_endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn every_endpoint_refuses_every_caller_it_should() {
    let w = world();
    let mut rows = 0;
    let mut skipped = 0;
    let mut unauthorised_successes = Vec::new();
    let mut wrong = Vec::new();
    let mut table = String::new();
    let eps = endpoints();
    for ep in &eps {
        // Refusals first, with the database fingerprinted around them; then the rest.
        let (refused, allowed): (Vec<Actor>, Vec<Actor>) =
            ACTORS.iter().partition(|a| (ep.expect)(**a) != OK);
        let before = ep.write.then(|| w.fingerprint());
        let mut run = |actor: Actor| {
            let expected = (ep.expect)(actor);
            let Some(got) = (ep.call)(&w, actor) else {
                skipped += 1;
                table.push_str(&format!(
                    "{:<58} {:<18} n/a\n",
                    ep.name,
                    format!("{actor:?}")
                ));
                return;
            };
            rows += 1;
            table.push_str(&format!(
                "{:<58} {:<18} {got}\n",
                ep.name,
                format!("{actor:?}")
            ));
            if got == OK && expected != OK {
                unauthorised_successes.push(format!("{} as {actor:?}", ep.name));
            }
            if got != expected {
                wrong.push(format!(
                    "{} as {actor:?}: expected {expected}, got {got}",
                    ep.name
                ));
            }
        };
        for actor in refused {
            run(actor);
        }
        if let Some(before) = before {
            assert_eq!(
                w.fingerprint(),
                before,
                "a refused {} changed the database",
                ep.name
            );
        }
        for actor in allowed {
            run(actor);
        }
    }
    println!("{table}");
    println!(
        "authorisation matrix: {} endpoints x {} actors = {rows} cells run ({skipped} n/a); \
         unauthorised successes: {}",
        eps.len(),
        ACTORS.len(),
        unauthorised_successes.len()
    );
    assert!(
        unauthorised_successes.is_empty(),
        "unauthorised successes: {unauthorised_successes:#?}"
    );
    assert!(wrong.is_empty(), "cells that differ: {wrong:#?}");
    // The cells did what they say: A's visit holds its first change and A's own edit,
    // nobody else's.
    let actors: Vec<String> = (0..2)
        .map(|n| {
            w.server.text(&format!(
                "SELECT actor_id FROM changes WHERE doc_id = '{}' ORDER BY seq LIMIT 1 OFFSET {n}",
                w.visit_id
            ))
        })
        .collect();
    assert_eq!(actors[1], w.tokens[&Actor::Own].actor_id);
    assert_eq!(
        w.server.count(&format!(
            "SELECT COUNT(*) FROM changes WHERE doc_id = '{}'",
            w.visit_id
        )),
        2
    );
}

/// A request naming a foreign id, made by a caller; its answer's label.
type Probe = Box<dyn Fn(&World, Actor, &Foreign) -> Option<Label>>;

/// Every endpoint that takes an id, with a probe that names the id given.
fn id_probes() -> Vec<(&'static str, Probe)> {
    vec![
        (
            "GET /v1/reports/scorecard?rep=",
            Box::new(|w, a, f| {
                Some(w.api(
                    a,
                    "GET",
                    &format!("/v1/reports/scorecard?rep={}&period={WEEK}", f.rep),
                    None,
                ))
            }),
        ),
        (
            "GET /v1/reports/visits/weekly?team=",
            Box::new(|w, a, f| {
                Some(w.api(
                    a,
                    "GET",
                    &format!("/v1/reports/visits/weekly?team={}&week={WEEK}", f.team),
                    None,
                ))
            }),
        ),
        (
            "GET /v1/reports/team?team=",
            Box::new(|w, a, f| {
                Some(w.api(a, "GET", &format!("/v1/reports/team?team={}", f.team), None))
            }),
        ),
        (
            "PATCH /v1/admin/users/{id}",
            Box::new(|w, a, f| {
                Some(w.api(
                    a,
                    "PATCH",
                    &format!("/v1/admin/users/{}", f.rep),
                    Some(&json!({"active": false})),
                ))
            }),
        ),
        (
            "GET /v1/admin/users/{id}/devices",
            Box::new(|w, a, f| {
                Some(w.api(
                    a,
                    "GET",
                    &format!("/v1/admin/users/{}/devices", f.rep),
                    None,
                ))
            }),
        ),
        (
            "PATCH /v1/admin/devices/{id}",
            Box::new(|w, a, f| {
                Some(w.api(
                    a,
                    "PATCH",
                    &format!("/v1/admin/devices/{}", f.device),
                    Some(&json!({"active": false})),
                ))
            }),
        ),
        (
            "PUT /v1/admin/accounts/{id}/team/{own rep}",
            Box::new(|w, a, f| {
                let own_rep = match a {
                    Actor::OtherTenantRep | Actor::OtherTenantAdmin => w.other.user_id("b"),
                    _ => w.acme.user_id("b"),
                };
                Some(w.api(
                    a,
                    "PUT",
                    &format!("/v1/admin/accounts/{}/team/{own_rep}", f.account),
                    None,
                ))
            }),
        ),
        (
            "DELETE /v1/admin/accounts/{own account}/team/{id}",
            Box::new(|w, a, f| {
                let own_account = match a {
                    Actor::OtherTenantRep | Actor::OtherTenantAdmin => &w.other.account_b,
                    _ => &w.acme.account_b,
                };
                Some(w.api(
                    a,
                    "DELETE",
                    &format!("/v1/admin/accounts/{own_account}/team/{}", f.rep),
                    None,
                ))
            }),
        ),
        (
            "POST /v1/sync (push to a document id)",
            Box::new(|w, a, f| Some(w.push_new(a, &f.visit, &f.account))),
        ),
        (
            "GET /dashboard?team=",
            Box::new(|w, a, f| w.page(a, &format!("/dashboard?team={}", f.team))),
        ),
        (
            "GET /dashboard/reps/{id}",
            Box::new(|w, a, f| w.page(a, &format!("/dashboard/reps/{}", f.rep))),
        ),
        (
            "GET /dashboard/accounts/{id}",
            Box::new(|w, a, f| w.page(a, &format!("/dashboard/accounts/{}", f.account))),
        ),
        (
            "GET /dashboard/export/overdue.csv?team=",
            Box::new(|w, a, f| {
                w.page(a, &format!("/dashboard/export/overdue.csv?team={}", f.team))
            }),
        ),
    ]
}

/// Every endpoint that takes an id: the id of something in another company and an id
/// that exists nowhere get the same status and the same error code, for every caller.
#[test]
fn ids_across_companies_are_answered_like_ids_that_exist_nowhere() {
    let w = world();
    let probes = id_probes();
    let before = w.fingerprint();
    let acme_snapshot = w.server.text(&format!(
        "SELECT CAST(LENGTH(snapshot) AS TEXT) || ':' || CAST(updated_seq AS TEXT) FROM documents WHERE id = '{}'",
        w.visit_id
    ));
    let mut pairs = 0;
    let mut differ = Vec::new();
    for (name, probe) in &probes {
        for actor in ACTORS {
            let across = w.across(actor);
            let (Some(existing), Some(missing)) =
                (probe(&w, actor, &across), probe(&w, actor, &w.nowhere))
            else {
                continue;
            };
            pairs += 1;
            assert_ne!(existing, OK, "{name} as {actor:?} reached across companies");
            if existing != missing {
                differ.push(format!(
                    "{name} as {actor:?}: another company's id {existing}, an unknown id {missing}"
                ));
            }
        }
    }
    println!("existence probes: {pairs} pairs, {} differ", differ.len());
    assert!(differ.is_empty(), "{differ:#?}");
    assert_eq!(w.fingerprint(), before, "a probe changed the database");
    assert_eq!(
        w.server.text(&format!(
            "SELECT CAST(LENGTH(snapshot) AS TEXT) || ':' || CAST(updated_seq AS TEXT) FROM documents WHERE id = '{}'",
            w.visit_id
        )),
        acme_snapshot
    );
}
