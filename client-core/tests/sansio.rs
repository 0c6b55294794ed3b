//! The sans-IO sync core (`rapport_client_core::sync`) driven natively without a server:
//! every request it builds is checked, and hand-built answers are fed back to it.
//! Needs only the `store` feature (no HTTP client), as the web app builds it.

use proptest::prelude::*;
use rapport_client_core::model::{self, LocalTime, Record, Visit};
use rapport_client_core::protocol::{
    self, Change, DocResult, Outcome, PulledDoc, Role, Session, SyncRequest, SyncResponse,
};
use rapport_client_core::store::{Store, StoredSession};
use rapport_client_core::sync::{
    self, Authed, HttpRequest, HttpResponse, MAX_ROUND_TRIPS, Method, SyncRun,
};
use rapport_client_core::{Error, Local};

const SERVER: &str = "https://rapport.example";
const NOW: i64 = 1_800_000_000;
const ACTOR: &str = "00112233445566778899aabbccddeeff";

fn session(access: &str, refresh: &str, expires_at: i64) -> Session {
    Session {
        access_token: access.to_owned(),
        access_expires_at: expires_at,
        refresh_token: refresh.to_owned(),
        user_id: "01936f3a-0000-7000-8000-0000000000a1".to_owned(),
        tenant_id: "01936f3a-0000-7000-8000-0000000000b1".to_owned(),
        role: Role::Rep,
        display_name: "Li".to_owned(),
        device_id: "01936f3a-0000-7000-8000-0000000000c1".to_owned(),
        actor_id: ACTOR.to_owned(),
        time_zone: "Asia/Shanghai".to_owned(),
    }
}

/// A device signed in as li@demo whose access token expires at `expires_at`.
fn device(expires_at: i64) -> Local {
    let mut store = Store::open_in_memory().expect("store");
    store
        .save_session(&StoredSession {
            server_url: SERVER.to_owned(),
            company: "demo".to_owned(),
            username: "li".to_owned(),
            session: session("access-1", "refresh-1", expires_at),
        })
        .expect("session");
    Local::new(store)
}

fn signed_in() -> Local {
    device(NOW + 3600)
}

fn visit(account_id: &str, purpose: &str) -> Visit {
    let at = LocalTime {
        utc_ms: NOW * 1000,
        offset_min: 480,
    };
    Visit {
        account_id: account_id.to_owned(),
        occurred_at: at,
        logged_at: at,
        duration_min: 30,
        purpose: purpose.to_owned(),
        ..Visit::default()
    }
}

/// A visit as another device wrote it, as the server sends it (a snapshot).
fn pulled_visit(purpose: &str) -> PulledDoc {
    let account = model::new_id();
    let other = automerge::ActorId::try_from("ffeeddccbbaa99887766554433221100").expect("actor");
    let mut doc = model::new_document(other);
    let v = visit(&account, purpose);
    model::write_record(&mut doc, &v).expect("write");
    PulledDoc {
        doc_id: model::new_id(),
        kind: Visit::KIND.as_str().to_owned(),
        account_id: account,
        snapshot: Some(Change(doc.save())),
        changes: vec![],
    }
}

fn empty_response(cursor: u64, has_more: bool) -> SyncResponse {
    SyncResponse {
        results: vec![],
        docs: vec![],
        cursor,
        has_more,
        rules: None,
        removals: vec![],
    }
}

fn answer(resp: &SyncResponse) -> HttpResponse {
    HttpResponse {
        status: 200,
        content_type: Some(protocol::SYNC_CONTENT_TYPE.to_owned()),
        body: postcard::to_stdvec(resp).expect("encode"),
    }
}

fn json_answer(status: u16, body: serde_json::Value) -> HttpResponse {
    HttpResponse {
        status,
        content_type: Some("application/json".to_owned()),
        body: serde_json::to_vec(&body).expect("json"),
    }
}

fn error_answer(status: u16, code: &str, message: &str) -> HttpResponse {
    json_answer(
        status,
        serde_json::json!({"error": {"code": code, "message": message}}),
    )
}

/// Checks that `req` is a sync request with `token` and decodes it.
fn sync_request(req: &HttpRequest, token: &str) -> SyncRequest {
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url(), format!("{SERVER}/v1/sync"));
    assert_eq!(req.content_type, Some(protocol::SYNC_CONTENT_TYPE));
    assert_eq!(req.bearer.as_deref(), Some(token));
    postcard::from_bytes(&req.body).expect("a sync request")
}

fn begin(run: &mut SyncRun, local: &Local) -> Option<HttpRequest> {
    run.begin_round(&local.store(), NOW).expect("begin")
}

fn finish(run: &mut SyncRun, local: &Local, resp: HttpResponse) -> Result<bool, Error> {
    run.finish_round(&mut local.store(), resp)
}

fn waiting(local: &Local) -> u64 {
    local.status().expect("status").store.waiting
}

fn cursor(local: &Local) -> u64 {
    local.status().expect("status").store.cursor
}

#[test]
fn a_round_with_nothing_to_push_pulls_once_and_is_done() {
    let local = signed_in();
    let mut run = SyncRun::new();
    let req = begin(&mut run, &local).expect("a request");
    let sent = sync_request(&req, "access-1");
    assert_eq!(sent.version, protocol::PROTOCOL_VERSION);
    assert_eq!((sent.cursor, sent.rules_version), (0, 0));
    assert!(sent.push.is_empty());

    let more = finish(&mut run, &local, answer(&empty_response(5, false))).expect("finish");
    assert!(!more);
    assert!(begin(&mut run, &local).is_none(), "done after one round");
    assert_eq!(cursor(&local), 5);
    let report = run.finish(&local.store()).expect("report");
    assert_eq!(report.round_trips, 1);
    assert_eq!(
        (report.accepted, report.rejected, report.received),
        (0, 0, 0)
    );
    assert_eq!(report.waiting, 0);
}

#[test]
fn an_acknowledged_push_empties_the_outbox_but_keeps_what_was_written_meanwhile() {
    let local = signed_in();
    let account = model::new_id();
    let a = local.create(&visit(&account, "first")).expect("a");
    let b = local.create(&visit(&account, "second")).expect("b");
    let before = waiting(&local);
    assert!(before >= 2);

    let mut run = SyncRun::new();
    let req = begin(&mut run, &local).expect("a request");
    let sent = sync_request(&req, "access-1");
    let mut pushed: Vec<_> = sent.push.iter().map(|d| d.doc_id.clone()).collect();
    pushed.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(pushed, expected);
    assert_eq!(
        sent.push
            .iter()
            .map(|d| d.changes.len() as u64)
            .sum::<u64>(),
        before
    );

    // Written while the request is out: not part of the batch, so not acknowledged.
    local.create(&visit(&account, "meanwhile")).expect("c");
    let meanwhile = waiting(&local) - before;

    let mut resp = empty_response(3, false);
    resp.results = sent
        .push
        .iter()
        .map(|d| DocResult {
            doc_id: d.doc_id.clone(),
            outcome: Outcome::Accepted,
        })
        .collect();
    assert!(!finish(&mut run, &local, answer(&resp)).expect("finish"));
    assert_eq!(waiting(&local), meanwhile);
    let report = run.finish(&local.store()).expect("report");
    assert_eq!(report.accepted, 2);
    assert_eq!(report.waiting, meanwhile);

    // The next sync pushes only what is left.
    let mut next = SyncRun::new();
    let req = begin(&mut next, &local).expect("a request");
    let sent = sync_request(&req, "access-1");
    assert_eq!(sent.push.len(), 1);
    assert!(sent.push[0].doc_id != a && sent.push[0].doc_id != b);
    assert_eq!(sent.cursor, 3);
}

#[test]
fn a_rejection_is_recorded_and_the_change_stops_being_pushed() {
    let local = signed_in();
    let id = local
        .create(&visit(&model::new_id(), "refused"))
        .expect("create");
    let mut run = SyncRun::new();
    begin(&mut run, &local).expect("a request");
    let mut resp = empty_response(1, false);
    resp.results = vec![DocResult {
        doc_id: id.clone(),
        outcome: Outcome::Rejected {
            code: "forbidden".to_owned(),
            reason: "not on the account's team".to_owned(),
        },
    }];
    assert!(!finish(&mut run, &local, answer(&resp)).expect("finish"));
    assert_eq!(run.report().rejected, 1);
    let status = local.status().expect("status");
    assert_eq!(status.store.waiting, 0);
    assert_eq!(
        status.store.rejected,
        vec![(id, "not on the account's team".to_owned())]
    );
}

#[test]
fn a_paged_pull_takes_another_round_from_the_new_cursor() {
    let local = signed_in();
    let mut run = SyncRun::new();
    begin(&mut run, &local).expect("first request");
    let mut page1 = empty_response(10, true);
    page1.docs = vec![pulled_visit("page one")];
    assert!(finish(&mut run, &local, answer(&page1)).expect("page 1"));

    let req = begin(&mut run, &local).expect("second request");
    assert_eq!(sync_request(&req, "access-1").cursor, 10);
    let mut page2 = empty_response(20, false);
    page2.docs = vec![pulled_visit("page two")];
    assert!(!finish(&mut run, &local, answer(&page2)).expect("page 2"));
    assert!(begin(&mut run, &local).is_none());

    assert_eq!(cursor(&local), 20);
    let report = run.finish(&local.store()).expect("report");
    assert_eq!((report.round_trips, report.received), (2, 2));
    let mut purposes: Vec<_> = local
        .list::<Visit>(None)
        .expect("list")
        .into_iter()
        .map(|i| i.record.purpose)
        .collect();
    purposes.sort();
    assert_eq!(purposes, ["page one", "page two"]);
}

#[test]
fn has_more_without_progress_stops() {
    let local = signed_in();
    let mut run = SyncRun::new();
    begin(&mut run, &local).expect("request");
    // Nothing pushed and the cursor did not move: asking again would loop forever.
    assert!(!finish(&mut run, &local, answer(&empty_response(0, true))).expect("finish"));
    assert!(begin(&mut run, &local).is_none());
}

#[test]
fn a_sync_stops_after_max_round_trips() {
    let local = signed_in();
    let mut run = SyncRun::new();
    let mut rounds = 0u64;
    while let Some(req) = begin(&mut run, &local) {
        let sent = sync_request(&req, "access-1");
        assert_eq!(sent.cursor, rounds);
        rounds += 1;
        finish(&mut run, &local, answer(&empty_response(rounds, true))).expect("finish");
    }
    assert_eq!(rounds, u64::from(MAX_ROUND_TRIPS));
    assert_eq!(run.report().round_trips, MAX_ROUND_TRIPS);
    assert_eq!(cursor(&local), rounds, "the next sync continues from here");
}

#[test]
fn stop_ends_the_run_after_the_round_that_finished() {
    let local = signed_in();
    let mut run = SyncRun::new();
    begin(&mut run, &local).expect("request");
    assert!(finish(&mut run, &local, answer(&empty_response(4, true))).expect("finish"));
    run.stop();
    assert!(begin(&mut run, &local).is_none());
    assert_eq!(cursor(&local), 4);
}

#[test]
fn an_expiring_token_is_refreshed_before_the_sync_request() {
    // 30 s left: inside the refresh margin.
    let local = device(NOW + 30);
    let id = local
        .create(&visit(&model::new_id(), "kept"))
        .expect("create");
    let mut run = SyncRun::new();
    let req = begin(&mut run, &local).expect("a refresh");
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url(), format!("{SERVER}/v1/auth/refresh"));
    assert_eq!(req.content_type, Some("application/json"));
    assert_eq!(req.bearer, None);
    let body: serde_json::Value = serde_json::from_slice(&req.body).expect("json");
    assert_eq!(body, serde_json::json!({"refresh_token": "refresh-1"}));

    let renewed = session("access-2", "refresh-2", NOW + 900);
    let more = finish(
        &mut run,
        &local,
        json_answer(200, serde_json::to_value(&renewed).expect("json")),
    )
    .expect("refresh");
    assert!(more, "the sync request still has to go");
    assert_eq!(run.report().round_trips, 0, "a refresh is not a sync round");
    let stored = local.session().expect("session").expect("some");
    assert_eq!(stored.session.refresh_token, "refresh-2");
    assert_eq!(stored.username, "li");

    let req = begin(&mut run, &local).expect("the sync");
    let sent = sync_request(&req, "access-2");
    assert_eq!(sent.push.len(), 1);
    assert_eq!(sent.push[0].doc_id, id);
}

#[test]
fn a_fresh_token_goes_straight_to_sync() {
    let local = device(NOW + REFRESH_MARGIN + 1);
    let mut run = SyncRun::new();
    let req = begin(&mut run, &local).expect("request");
    sync_request(&req, "access-1");
}

const REFRESH_MARGIN: i64 = sync::REFRESH_MARGIN_SECS;

#[test]
fn a_refused_refresh_signs_out_and_keeps_the_data() {
    let local = device(NOW - 10);
    let account = model::new_id();
    let id = local.create(&visit(&account, "kept")).expect("create");
    let before = waiting(&local);
    let mut run = SyncRun::new();
    let req = begin(&mut run, &local).expect("a refresh");
    assert_eq!(req.path, "/v1/auth/refresh");
    let err = finish(
        &mut run,
        &local,
        error_answer(401, "unauthorized", "the session has ended"),
    )
    .expect_err("signed out");
    assert!(
        matches!(&err, Error::SignedOut(m) if m == "the session has ended"),
        "{err:?}"
    );
    assert!(begin(&mut run, &local).is_none(), "the run is over");

    // The tokens are gone; the identity, the records and the outbox stay.
    let stored = local.session().expect("session").expect("still known");
    assert!(stored.session.access_token.is_empty());
    assert!(stored.session.refresh_token.is_empty());
    assert_eq!(stored.session.device_id, session("", "", 0).device_id);
    assert_eq!(waiting(&local), before);
    assert_eq!(local.get::<Visit>(&id).expect("kept").purpose, "kept");
    assert!(matches!(
        SyncRun::new().begin_round(&local.store(), NOW),
        Err(Error::NotSignedIn)
    ));

    // Signing in again as the same user keeps the device's identity.
    let (req, _) =
        sync::login_request(&local.store(), SERVER, "demo", "li", "pw", "test").expect("login");
    let body: serde_json::Value = serde_json::from_slice(&req.body).expect("json");
    assert_eq!(body["device_id"], session("", "", 0).device_id.as_str());
}

#[test]
fn a_refused_sync_request_refreshes_once_and_resends_then_signs_out() {
    let local = signed_in();
    local
        .create(&visit(&model::new_id(), "pushed twice"))
        .expect("create");
    let mut run = SyncRun::new();
    let first = begin(&mut run, &local).expect("sync");
    sync_request(&first, "access-1");
    assert!(
        finish(
            &mut run,
            &local,
            error_answer(401, "unauthorized", "expired")
        )
        .expect("a refresh is due")
    );
    let refresh = begin(&mut run, &local).expect("refresh");
    assert_eq!(refresh.path, "/v1/auth/refresh");
    let renewed = session("access-2", "refresh-2", NOW + 900);
    assert!(
        finish(
            &mut run,
            &local,
            json_answer(200, serde_json::to_value(&renewed).expect("json"))
        )
        .expect("refreshed")
    );
    let again = begin(&mut run, &local).expect("sync again");
    assert_eq!(again.body, first.body, "the same round, resent");
    sync_request(&again, "access-2");
    // A second refusal in the same round is final.
    let err = finish(
        &mut run,
        &local,
        error_answer(401, "unauthorized", "deactivated"),
    )
    .expect_err("signed out");
    assert!(
        matches!(&err, Error::SignedOut(m) if m == "deactivated"),
        "{err:?}"
    );
    assert_eq!(waiting(&local), 1);
}

#[test]
fn a_server_error_is_error_server_with_its_code_and_changes_nothing() {
    let local = signed_in();
    local
        .create(&visit(&model::new_id(), "waits"))
        .expect("create");
    let before = waiting(&local);
    for (status, code) in [
        (503, "unavailable"),
        (400, "invalid_body"),
        (429, "rate_limited"),
    ] {
        let mut run = SyncRun::new();
        begin(&mut run, &local).expect("request");
        let err = finish(&mut run, &local, error_answer(status, code, "try later"))
            .expect_err("an error");
        match err {
            Error::Server {
                status: s,
                code: c,
                message,
            } => {
                assert_eq!(
                    (s, c.as_str(), message.as_str()),
                    (status, code, "try later")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(begin(&mut run, &local).is_none(), "the run is over");
    }
    // Not the server's JSON (a proxy's page): the status and the start of the body.
    let mut run = SyncRun::new();
    begin(&mut run, &local).expect("request");
    let err = finish(
        &mut run,
        &local,
        HttpResponse {
            status: 502,
            content_type: Some("text/html".to_owned()),
            body: b"<html>Bad Gateway</html>".to_vec(),
        },
    )
    .expect_err("an error");
    assert!(
        matches!(&err, Error::Server { status: 502, code, message } if code == "http" && message.contains("Bad Gateway")),
        "{err:?}"
    );
    assert_eq!(waiting(&local), before);
    assert_eq!(cursor(&local), 0);
}

#[test]
fn check_response_maps_every_http_answer_in_one_place() {
    let ok = HttpResponse {
        status: 204,
        content_type: None,
        body: b"x".to_vec(),
    };
    assert_eq!(sync::check_response(&ok).expect("2xx"), b"x");
    assert!(matches!(
        sync::check_response(&error_answer(401, "unauthorized", "bad password")),
        Err(Error::SignedOut(m)) if m == "bad password"
    ));
    let huge = HttpResponse {
        status: 200,
        content_type: None,
        body: vec![0; sync::RESPONSE_LIMIT + 1],
    };
    assert!(matches!(
        sync::check_response(&huge),
        Err(Error::Offline(_))
    ));
    assert!(matches!(
        sync::transport_error("connection refused"),
        Error::Offline(m) if m == "connection refused"
    ));
}

/// A response worth applying: an acknowledgement, a pulled document, a cursor.
fn full_response(pushed: &str) -> SyncResponse {
    let mut resp = empty_response(7, false);
    resp.results = vec![DocResult {
        doc_id: pushed.to_owned(),
        outcome: Outcome::Accepted,
    }];
    resp.docs = vec![pulled_visit("from the server")];
    resp
}

/// Feeds `body` as a 200 sync answer and checks that, if it fails, nothing was applied.
fn feed_garbage(body: Vec<u8>) -> Result<(), Error> {
    let local = signed_in();
    let id = local
        .create(&visit(&model::new_id(), "mine"))
        .expect("create");
    let before = waiting(&local);
    let mut run = SyncRun::new();
    begin(&mut run, &local).expect("request");
    let result = finish(
        &mut run,
        &local,
        HttpResponse {
            status: 200,
            content_type: Some(protocol::SYNC_CONTENT_TYPE.to_owned()),
            body,
        },
    );
    if let Err(e) = &result {
        assert_eq!(cursor(&local), 0, "cursor moved after {e:?}");
        assert_eq!(waiting(&local), before, "outbox changed after {e:?}");
        assert_eq!(local.document_ids().expect("ids"), vec![id]);
        assert_eq!(local.status().expect("status").store.last_sync_ms, None);
    }
    result.map(|_| ())
}

#[test]
fn every_truncation_of_a_sync_answer_is_a_protocol_error_and_applies_nothing() {
    let local = signed_in();
    let id = local
        .create(&visit(&model::new_id(), "mine"))
        .expect("create");
    let full = postcard::to_stdvec(&full_response(&id)).expect("encode");
    // The whole answer applies (so the prefixes below fail for their truncation alone).
    let mut run = SyncRun::new();
    begin(&mut run, &local).expect("request");
    finish(&mut run, &local, answer(&full_response(&id))).expect("applies");
    assert_eq!(cursor(&local), 7);

    for len in 0..full.len() {
        let err = feed_garbage(full[..len].to_vec()).expect_err("a truncated answer");
        assert!(matches!(err, Error::Protocol(_)), "{len}: {err:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever bytes come back, a failing answer changes nothing, and an answer that is
    /// not a sync response is a protocol error.
    #[test]
    fn garbage_answers_change_nothing(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let decodes = postcard::from_bytes::<SyncResponse>(&body).is_ok();
        match feed_garbage(body) {
            Ok(()) => prop_assert!(decodes),
            Err(Error::Protocol(_)) => prop_assert!(!decodes),
            // Decoded, but a pulled document is unusable: refused whole.
            Err(Error::Store(_)) => prop_assert!(decodes),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    /// Flipping bytes in a real answer: either it applies whole, or nothing of it does.
    #[test]
    fn corrupted_answers_apply_whole_or_not_at_all(flips in proptest::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 1..4)) {
        let local = signed_in();
        let id = local.create(&visit(&model::new_id(), "mine")).expect("create");
        let mut body = postcard::to_stdvec(&full_response(&id)).expect("encode");
        for (at, x) in flips {
            let i = at.index(body.len());
            body[i] ^= x;
        }
        let unexpected = matches!(feed_garbage(body), Err(Error::Server { .. } | Error::SignedOut(_)));
        prop_assert!(!unexpected);
    }
}

#[test]
fn login_builds_the_request_and_saves_the_answer() {
    let mut store = Store::open_in_memory().expect("store");
    let (req, pending) = sync::login_request(
        &store,
        "https://rapport.example/",
        "demo",
        "li",
        "secret",
        "li's browser",
    )
    .expect("request");
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url(), "https://rapport.example/v1/auth/login");
    assert_eq!(req.content_type, Some("application/json"));
    assert_eq!(req.bearer, None);
    let body: serde_json::Value = serde_json::from_slice(&req.body).expect("json");
    assert_eq!(
        body,
        serde_json::json!({"company": "demo", "username": "li", "password": "secret",
            "device_id": null, "device_name": "li's browser"})
    );
    assert!(
        !format!("{req:?}").contains("secret"),
        "Debug hides the body"
    );

    // A wrong password: signed out, nothing saved.
    let refused = sync::finish_login(
        &mut store,
        pending.clone(),
        &error_answer(401, "unauthorized", "wrong company, user or password"),
    )
    .expect_err("refused");
    assert!(matches!(refused, Error::SignedOut(_)));
    assert!(store.session().expect("session").is_none());

    let s = session("access-1", "refresh-1", NOW + 900);
    let got = sync::finish_login(
        &mut store,
        pending,
        &json_answer(200, serde_json::to_value(&s).expect("json")),
    )
    .expect("signed in");
    assert_eq!(got, s);
    let stored = store.session().expect("session").expect("saved");
    assert_eq!(stored.server_url, SERVER);
    assert_eq!(
        (stored.company.as_str(), stored.username.as_str()),
        ("demo", "li")
    );

    // Another user on a device holding li's records is refused before any request.
    let local = Local::new(store);
    local
        .create(&visit(&model::new_id(), "li's"))
        .expect("create");
    assert!(matches!(
        sync::login_request(&local.store(), SERVER, "demo", "wang", "pw", "x"),
        Err(Error::OtherUsersData { holder }) if holder == "li@demo"
    ));
}

#[test]
fn report_requests_carry_the_token_and_an_encoded_query() {
    let local = signed_in();
    let mut call = Authed::start(&local.store(), NOW).expect("signed in");
    let req = call
        .request(sync::weekly_report_request(
            Some("2026-W48"),
            Some("East & West"),
        ))
        .expect("request");
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url(),
        format!("{SERVER}/v1/reports/visits/weekly?week=2026-W48&team=East%20%26%20West")
    );
    assert_eq!(req.bearer.as_deref(), Some("access-1"));
    let req = call
        .request(sync::scorecard_request(None, None))
        .expect("request");
    assert_eq!(req.path, "/v1/reports/scorecard");

    let answer = json_answer(200, serde_json::json!({"ok": true}));
    let got = call
        .finish(&mut local.store(), answer.clone())
        .expect("finish")
        .expect("the answer");
    assert_eq!(
        sync::parse_json::<serde_json::Value>(&got).expect("json")["ok"],
        true
    );
    assert!(matches!(
        sync::parse_json::<protocol::WeeklyVisits>(&answer),
        Err(Error::Protocol(_))
    ));
}
