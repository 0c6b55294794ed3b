//! The core's own tests, in the browser (wasm-bindgen-test, in a dedicated worker like the
//! app's): `scripts/build-app --core-tests`. The worker API's operations on an in-memory
//! store (SQLite's memory VFS; OPFS is covered by app/test), and one open on OPFS.

use rapport_client_core::Local;
use rapport_client_core::model::{self, DocKind};
use rapport_client_core::protocol::{Role, Session};
use rapport_client_core::store::{Store, StoredSession};
use serde_json::{Value, json};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use crate::ops;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const NOW: i64 = 1_795_746_600_000; // 2026-11-27T02:30:00Z

fn signed_in() -> Local {
    let mut store = Store::open_in_memory().expect("in-memory store");
    let actor: String = uuid::Uuid::new_v4().simple().to_string();
    store
        .save_session(&StoredSession {
            server_url: "https://rapport.invalid".into(),
            company: "acme".into(),
            username: "li".into(),
            session: Session {
                access_token: "t".into(),
                access_expires_at: 4_000_000_000,
                refresh_token: "r".into(),
                user_id: model::new_id(),
                tenant_id: model::new_id(),
                role: Role::Rep,
                display_name: "Li Na".into(),
                device_id: model::new_id(),
                actor_id: actor,
                time_zone: "Asia/Shanghai".into(),
            },
        })
        .expect("session");
    Local::new(store)
}

fn at(ms: i64) -> Value {
    json!({"utc_ms": ms, "offset_min": 480})
}

fn create(local: &Local, kind: &str, record: Value) -> String {
    ops::create(local, kind, &record.to_string()).unwrap_or_else(|e| panic!("create {kind}: {e}"))
}

fn account(local: &Local) -> String {
    create(
        local,
        "account",
        json!({"name": "Haorun Foods", "city": "Shanghai", "location": {"lat": 31.2304, "lon": 121.4737}}),
    )
}

/// A valid record of each kind (for an account), and a field edit to make to it.
fn samples(account_id: &str, contact_id: &str) -> Vec<(&'static str, Value, &'static str, Value)> {
    vec![
        (
            "contact",
            json!({"account_id": account_id, "name": "Zhang Wei", "roles": ["decision_maker"],
                   "vip_card": {"knows_rep_name": true, "interests": "tea",
                                "birthday": {"calendar": "lunar", "month": 8, "day": 15}}}),
            "title",
            json!("Purchasing director"),
        ),
        (
            "opportunity",
            json!({"account_id": account_id, "name": "Line 3", "status": "open",
                   "assessment": {"real": {"judgement": "yes", "note": "budget approved"}},
                   "roles": {"decision_maker": [contact_id]}}),
            "value",
            json!(120000.0),
        ),
        (
            "visit",
            json!({"account_id": account_id, "occurred_at": at(NOW), "logged_at": at(NOW + 600_000),
                   "duration_min": 45, "purpose": "Quarterly review", "contacts_met": [contact_id],
                   "spin": ["situation", "need_payoff"], "objections": ["no_budget"],
                   "next_step": "send the quote", "next_step_due": "2026-12-01"}),
            "duration_min",
            json!(60),
        ),
        (
            "favour",
            json!({"account_id": account_id, "kind": "personal", "description": "tickets",
                   "value": 200.0, "occurred_at": at(NOW)}),
            "description",
            json!("concert tickets"),
        ),
        (
            "competitor_intel",
            json!({"account_id": account_id, "competitor": "Acme", "observation": "5% cheaper",
                   "confidence": "high", "occurred_at": at(NOW)}),
            "price",
            json!(9.5),
        ),
        (
            "info_report",
            json!({"account_id": account_id, "kind": "inventory", "figure": 1200.0, "unit": "cases",
                   "details": "", "occurred_at": at(NOW)}),
            "details",
            json!("two weeks of stock"),
        ),
        (
            "greeting",
            json!({"account_id": account_id, "occasion": "mid_autumn", "channel": "wechat",
                   "occurred_at": at(NOW)}),
            "notes",
            json!("mooncakes"),
        ),
        (
            "relationship_event",
            json!({"account_id": account_id, "kind": "first_thought", "description": "called us first",
                   "occurred_at": at(NOW)}),
            "contact_id",
            json!(contact_id),
        ),
    ]
}

#[wasm_bindgen_test]
fn every_kind_creates_reads_updates_lists_and_removes() {
    let local = signed_in();
    let account_id = account(&local);
    let contact_id = create(
        &local,
        "contact",
        json!({"account_id": account_id, "name": "Wang Fang"}),
    );
    for (kind, record, field, edit) in samples(&account_id, &contact_id) {
        let id = create(&local, kind, record.clone());
        let got = ops::get(&local, kind, &id).expect("get");
        assert_eq!(got["id"], json!(id), "{kind}");
        // Every field given comes back as given (the JSON shape round trips).
        for (k, v) in record.as_object().expect("object") {
            if k == "vip_card" || k == "assessment" || k == "roles" && kind == "opportunity" {
                continue; // nested defaults filled in: checked below
            }
            assert_eq!(&got[k], v, "{kind}.{k}");
        }
        assert_eq!(got["deleted"], json!(false), "{kind}");

        // The whole record replaced, with the record read back as input (id and
        // judgements are ignored on input).
        let mut edited = got.clone();
        edited[field] = edit.clone();
        let updated = ops::update(&local, kind, &id, &edited.to_string())
            .unwrap_or_else(|e| panic!("update {kind}: {e}"));
        assert_eq!(updated[field], edit, "{kind}");
        assert_eq!(
            ops::get(&local, kind, &id).expect("get")[field],
            edit,
            "{kind}"
        );

        let listed = ops::list(&local, kind, Some(&account_id)).expect("list");
        assert!(
            listed
                .as_array()
                .expect("array")
                .iter()
                .any(|r| r["id"] == json!(id)),
            "{kind} listed"
        );
        ops::remove(&local, kind, &id).expect("remove");
        let listed = ops::list(&local, kind, Some(&account_id)).expect("list");
        assert!(
            !listed
                .as_array()
                .expect("array")
                .iter()
                .any(|r| r["id"] == json!(id)),
            "{kind} gone from the list"
        );
        let gone = ops::get(&local, kind, &id).expect_err("removed");
        assert_eq!(gone.kind, "not_found", "{kind}");
    }
    // Accounts too (the admin's kind; a rep's device can still hold edits).
    let updated = ops::update(
        &local,
        "account",
        &account_id,
        &json!({"name": "Haorun Foods Ltd", "stage": "initial", "tier_override": "a"}).to_string(),
    )
    .expect("update account");
    assert_eq!(updated["tier"], json!("a"));
    assert_eq!(
        updated["location"],
        json!(null),
        "the whole record is replaced"
    );
    let accounts = ops::accounts(&local).expect("accounts");
    assert_eq!(accounts[0]["name"], json!("Haorun Foods Ltd"));
    assert_eq!(accounts[0]["stage"], json!("initial"));
}

#[wasm_bindgen_test]
fn the_json_shape_is_the_models() {
    let local = signed_in();
    let account_id = account(&local);
    let contact_id = create(
        &local,
        "contact",
        json!({"account_id": account_id, "name": "Zhang Wei",
               "vip_card": {"birthday": {"calendar": "lunar", "month": 6, "day": 1, "leap_month": true}}}),
    );
    let contact = ops::get(&local, "contact", &contact_id).expect("get");
    assert_eq!(
        contact["vip_card"],
        json!({"knows_rep_name": false, "interests": "", "concerns": "",
               "helped_with_concern": false, "notes": "",
               "birthday": {"calendar": "lunar", "month": 6, "day": 1, "leap_month": true}})
    );
    let mut fields: Vec<&str> = contact
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    let mut expected: Vec<&str> = <model::Contact as model::Shape>::FIELDS.to_vec();
    expected.push("id");
    expected.sort_unstable();
    assert_eq!(fields, expected, "exactly the model's fields, plus id");

    let visit_id = create(
        &local,
        "visit",
        json!({"account_id": account_id, "occurred_at": at(NOW), "logged_at": at(NOW),
               "duration_min": 30, "purpose": "demo",
               "check_in": {"lat": 31.2305, "lon": 121.4737, "accuracy_m": 15.0}}),
    );
    let visit = ops::get(&local, "visit", &visit_id).expect("get");
    assert_eq!(visit["occurred_at"], at(NOW));
    assert_eq!(visit["check_in"]["accuracy_m"], json!(15.0));
    assert_eq!(
        visit["verified"],
        json!(true),
        "within 500 m of the account"
    );
    assert_eq!(visit["next_step"], json!(null));

    // `intel` is taken for `competitor_intel`; the timeline names kinds by their code.
    create(
        &local,
        "intel",
        json!({"account_id": account_id, "competitor": "Acme", "observation": "cheaper",
               "confidence": "low", "occurred_at": at(NOW - 1000)}),
    );
    let timeline = ops::timeline(&local, &account_id).expect("timeline");
    let kinds: Vec<&str> = timeline
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["visit", "competitor_intel", "contact"],
        "newest first, undated last"
    );
    assert_eq!(timeline[0]["offset_min"], json!(480));
    assert_eq!(timeline[0]["at_ms"], json!(NOW));
    assert_eq!(timeline[2]["at_ms"], json!(null));

    let rules = ops::rules(&local).expect("rules");
    assert_eq!(rules["favour_limit"], json!(500.0));
    let check = ops::check_in(&local, &account_id, 31.30, 121.4737, 10.0).expect("check-in");
    assert_eq!(check["verified"], json!(false));
    assert!(check["distance_m"].as_f64().expect("distance") > 7000.0);

    let status = ops::status(&local).expect("status");
    assert_eq!(status["signed_in_as"], json!("li@acme"));
    assert_eq!(status["display_name"], json!("Li Na"));
    assert_eq!(status["role"], json!("rep"));
    assert!(
        status["waiting"].as_u64().is_some_and(|n| n >= 4),
        "{status}"
    );
    assert_eq!(status["rejected"], json!([]));

    // An account never visited is due today.
    let never = account(&local);
    let due = ops::due(&local, "2026-11-27", 14).expect("due");
    let item = due
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["account_id"] == json!(never))
        .expect("the account never visited is due");
    assert_eq!(item["what"], json!("visit"));
    assert_eq!(item["date"], json!("2026-11-27"));
    assert_eq!(item["last_visit"], json!(null));
    assert_eq!(item["cadence_days"], json!(90));
}

#[wasm_bindgen_test]
fn invalid_input_is_refused_with_its_field_and_nothing_is_written() {
    let local = signed_in();
    let account_id = account(&local);
    let waiting = || ops::status(&local).expect("status")["waiting"].clone();
    let before = waiting();
    let visit = |extra: Value| {
        let mut v = json!({"account_id": account_id, "occurred_at": at(NOW), "logged_at": at(NOW),
                           "duration_min": 30, "purpose": "demo"});
        for (k, x) in extra.as_object().expect("object") {
            v[k] = x.clone();
        }
        ops::create(&local, "visit", &v.to_string()).expect_err("refused")
    };
    for (extra, field) in [
        (json!({"duration_min": -5}), "duration_min"),
        (json!({"purpose": " "}), "purpose"),
        (json!({"next_step_due": "soon"}), "next_step_due"),
        (json!({"duration_min": "long"}), "duration_min"),
        (json!({"spin": ["sideways"]}), "spin[0]"),
        (
            json!({"check_in": {"lat": 91.0, "lon": 0.0, "accuracy_m": 5.0}}),
            "check_in",
        ),
        (
            json!({"check_in": {"lat": "x", "lon": 0.0, "accuracy_m": 5.0}}),
            "check_in.lat",
        ),
        (json!({"purpos": "typo"}), "purpos"),
        (json!({"account_id": "not-an-id"}), "account_id"),
    ] {
        let err = visit(extra.clone());
        assert_eq!(err.kind, "invalid", "{extra}");
        assert_eq!(
            err.field.as_deref(),
            Some(field),
            "{extra}: {}",
            err.message
        );
    }
    let missing = ops::create(
        &local,
        "favour",
        &json!({"account_id": account_id}).to_string(),
    )
    .expect_err("no description");
    assert_eq!(missing.kind, "invalid");
    assert!(missing.field.is_some(), "{}", missing.message);
    let kind = ops::create(&local, "memo", "{}").expect_err("no such kind");
    assert_eq!(
        (kind.kind, kind.field.as_deref()),
        ("invalid", Some("kind"))
    );
    let not_json = ops::create(&local, "visit", "{").expect_err("not JSON");
    assert_eq!(not_json.kind, "invalid");
    assert_eq!(waiting(), before, "nothing was written");

    // Moving a record to another account is refused; it stays as it was.
    let id = create(
        &local,
        "greeting",
        json!({"account_id": account_id, "occasion": "new_year", "channel": "card", "occurred_at": at(NOW)}),
    );
    let other = account(&local);
    let moved = ops::update(
        &local,
        "greeting",
        &id,
        &json!({"account_id": other, "occasion": "new_year", "channel": "card", "occurred_at": at(NOW)})
            .to_string(),
    )
    .expect_err("moved");
    assert_eq!(
        (moved.kind, moved.field.as_deref()),
        ("invalid", Some("account_id"))
    );
    assert_eq!(
        ops::get(&local, "greeting", &id).expect("get")["account_id"],
        json!(account_id)
    );
    let nothing = ops::get(&local, "visit", &id).expect_err("a greeting is not a visit");
    assert_eq!(nothing.kind, "not_found");
    let bad_day = ops::due(&local, "27/11/2026", 7).expect_err("date");
    assert_eq!(bad_day.field.as_deref(), Some("today"));
}

#[wasm_bindgen_test]
fn signed_out_writes_are_refused_as_not_signed_in() {
    let local = Local::new(Store::open_in_memory().expect("store"));
    let err =
        ops::create(&local, "account", &json!({"name": "x"}).to_string()).expect_err("no session");
    assert_eq!(err.kind, "not_signed_in");
    let status = ops::status(&local).expect("status");
    assert_eq!(status["signed_in_as"], json!(null));
    assert_eq!(status["has_tokens"], json!(false));
}

#[wasm_bindgen_test]
fn the_judgements_late_over_limit_and_danger() {
    let local = signed_in();
    let account_id = account(&local);
    let hours = |h: i64| NOW + h * 3_600_000;
    let on_time = create(
        &local,
        "visit",
        json!({"account_id": account_id, "occurred_at": at(NOW), "logged_at": at(hours(2)),
               "duration_min": 30, "purpose": "on time"}),
    );
    let late = create(
        &local,
        "visit",
        json!({"account_id": account_id, "occurred_at": at(hours(-30)), "logged_at": at(hours(2)),
               "duration_min": 30, "purpose": "late"}),
    );
    assert_eq!(
        ops::get(&local, "visit", &on_time).expect("get")["late"],
        json!(false)
    );
    assert_eq!(
        ops::get(&local, "visit", &late).expect("get")["late"],
        json!(true)
    );
    assert_eq!(
        ops::get(&local, "visit", &late).expect("get")["verified"],
        json!(false),
        "no check-in"
    );

    let small = create(
        &local,
        "favour",
        json!({"account_id": account_id, "kind": "business", "description": "lunch", "value": 300.0,
               "occurred_at": at(NOW)}),
    );
    let big = create(
        &local,
        "favour",
        json!({"account_id": account_id, "kind": "personal", "description": "watch", "value": 5000.0,
               "occurred_at": at(NOW)}),
    );
    let favours = ops::list(&local, "favour", None).expect("list");
    let over = |id: &str| {
        favours
            .as_array()
            .expect("array")
            .iter()
            .find(|f| f["id"] == json!(id))
            .map(|f| f["over_limit"].clone())
    };
    assert_eq!(over(&small), Some(json!(false)));
    assert_eq!(over(&big), Some(json!(true)));

    // Danger zone: every role must be known and met in the last 30 days.
    let zhang = create(
        &local,
        "contact",
        json!({"account_id": account_id, "name": "Zhang"}),
    );
    let opp = create(
        &local,
        "opportunity",
        json!({"account_id": account_id, "name": "Line 3", "status": "open",
               "roles": {"user": [zhang], "technical_gatekeeper": [zhang], "coach": [zhang],
                         "decision_maker": [zhang]}}),
    );
    let o = ops::get(&local, "opportunity", &opp).expect("get");
    assert_eq!(o["danger"], json!(true), "Zhang was never met");
    assert_eq!(o["unmet_roles"].as_array().map(Vec::len), Some(4));
    assert_eq!(o["unknown_roles"], json!([]));
    let now = chrono::Utc::now().timestamp_millis();
    create(
        &local,
        "visit",
        json!({"account_id": account_id, "occurred_at": at(now - 86_400_000), "logged_at": at(now),
               "duration_min": 30, "purpose": "met Zhang", "contacts_met": [zhang]}),
    );
    let o = ops::get(&local, "opportunity", &opp).expect("get");
    assert_eq!(o["danger"], json!(false), "{o}");
    // The account's effective tier and its last visit.
    let a = ops::get(&local, "account", &account_id).expect("get");
    assert_eq!(a["tier"], json!("d"));
    assert_eq!(a["last_visit_ms"], json!(now - 86_400_000));
    assert_eq!(DocKind::parse("competitor_intel"), Some(DocKind::Intel));
}

#[wasm_bindgen_test]
fn the_scorecard_is_kept_for_offline() {
    let local = signed_in();
    assert_eq!(ops::cached_scorecard(&local, None).expect("cache"), None);
    let card = json!({"period": "2026-W48", "metrics": []});
    let fresh = ops::keep_scorecard(&local, None, card).expect("keep");
    assert_eq!(fresh["cached"], json!(false));
    let cached = ops::cached_scorecard(&local, None)
        .expect("cache")
        .expect("kept");
    assert_eq!(cached["cached"], json!(true));
    assert_eq!(cached["period"], json!("2026-W48"));
    assert_eq!(cached["fetched_ms"], fresh["fetched_ms"]);
    assert_eq!(
        ops::cached_scorecard(&local, Some("2026-11")).expect("cache"),
        None
    );
}

#[wasm_bindgen_test]
fn offline_is_mapped_in_one_place() {
    let e: ops::WebError = rapport_client_core::sync::transport_error("fetch failed").into();
    assert_eq!(e.kind, "offline");
}

/// The store on OPFS, as the app opens it (the test runs in a dedicated worker).
#[wasm_bindgen_test]
async fn a_store_opens_on_opfs_and_keeps_records() {
    let store = crate::open_store("/core-test.db".into())
        .await
        .unwrap_or_else(|e| panic!("open on OPFS: {e:?}"));
    let files = store.opfs_files().expect("files");
    assert!(files.contains("core-test.db"), "{files}");
    let status = ops::status(&store.local).expect("status");
    assert!(status["waiting"].is_u64());
}
