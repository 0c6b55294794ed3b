//! Every record of the key-account method, end to end: each kind logged offline on a
//! rep's phone reaches a teammate's device unchanged and lands in the server's read model
//! with the judgements the company's rules make; concurrent VIP-card edits; every
//! validation rule against hand-built documents; tombstones; rules set by an admin; and
//! the due list a rep sees.

use std::fmt::Debug;
use std::panic::AssertUnwindSafe;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT, ReadDoc};
use chrono::{NaiveDate, TimeZone};
use rapport_client_core::model::{
    self, Account, AdminLevel, Assessment, Birthday, BuyingRole, Calendar, Channel, CheckIn,
    Confidence, Contact, EventKind, Favour, FavourKind, Greeting, InfoKind, InfoReport, Intel,
    Judgement, LocalTime, Objection, Occasion, Opportunity, OpportunityStatus, PeriodMetrics,
    Record, RelationshipEvent, RelationshipLevel, RoleContacts, Rules, Signal, Spin, Stage,
    StageStep, Step, Tier, VipCard, Visit,
};
use rapport_client_core::protocol::{
    self, Change, Outcome, PushDoc, Session, SyncRequest, SyncResponse,
};
use rapport_client_core::{Due, DueItem, Item};
use rapport_tests::raw::*;
use rapport_tests::{Company, Device, TestServer, call, login, raw_sync};
use serde_json::json;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// Where the located account's plant stands (People's Square, Shanghai).
const PLANT_LAT: f64 = 31.2304;
const PLANT_LON: f64 = 121.4737;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> LocalTime {
    let local = TZ
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid local time");
    LocalTime::from_datetime(&local)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn hours_later(t: LocalTime, hours: i64) -> LocalTime {
    LocalTime {
        utc_ms: t.utc_ms + hours * 3_600_000,
        ..t
    }
}

fn visit(account: &str, occurred: LocalTime, purpose: &str) -> Visit {
    Visit {
        account_id: account.to_owned(),
        occurred_at: occurred,
        logged_at: hours_later(occurred, 1),
        duration_min: 60,
        purpose: purpose.to_owned(),
        ..Default::default()
    }
}

fn favour(account: &str, value: Option<f64>, description: &str) -> Favour {
    Favour {
        account_id: account.to_owned(),
        contact_id: None,
        kind: FavourKind::Personal,
        description: description.to_owned(),
        value,
        occurred_at: at(2026, 9, 22, 19, 0),
        deleted: false,
    }
}

fn contact(account: &str, name: &str) -> Contact {
    Contact {
        account_id: account.to_owned(),
        name: name.to_owned(),
        ..Default::default()
    }
}

/// A check-in `metres` north of the plant.
fn north_of_plant(metres: f64, accuracy_m: f64) -> CheckIn {
    CheckIn {
        lat: PLANT_LAT + metres / 111_195.0,
        lon: PLANT_LON,
        accuracy_m,
    }
}

/// An account with a location, created by the admin and served by both reps.
fn located_account(server: &TestServer, co: &Company, name: &str) -> String {
    let a = call(
        "POST",
        &format!("{}/v1/admin/accounts", server.url),
        Some(&co.admin_token),
        Some(&json!({
            "name": name, "city": "Shanghai", "lat": PLANT_LAT, "lon": PLANT_LON,
        })),
    );
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let id = a.json()["id"].as_str().expect("id").to_owned();
    co.assign(server, &id, "a");
    co.assign(server, &id, "b");
    id
}

/// Syncs every device twice in turn, so each has received what every other pushed.
fn sync_all(devices: &[&Device]) {
    for _ in 0..2 {
        for d in devices {
            let report = d.sync().expect("sync");
            assert_eq!(report.rejected, 0, "{report:?}");
        }
    }
}

/// Each device holds `expected` under `id`, field for field.
#[track_caller]
fn assert_same<R: Record + PartialEq + Debug>(devices: &[&Device], id: &str, expected: &R) {
    for (i, d) in devices.iter().enumerate() {
        let got = d
            .get::<R>(id)
            .unwrap_or_else(|e| panic!("device {i}: {} {id}: {e}", R::KIND));
        assert_eq!(&got, expected, "device {i} holds another {} {id}", R::KIND);
    }
}

fn ids<R>(items: Vec<Item<R>>) -> Vec<String> {
    items.into_iter().map(|i| i.id).collect()
}

/// The read-model row `id` of `table` exists once and satisfies every condition.
#[track_caller]
fn assert_row(server: &TestServer, table: &str, id: &str, conditions: &[&str]) {
    assert_eq!(
        server.count(&format!("SELECT COUNT(*) FROM {table} WHERE id = '{id}'")),
        1,
        "no {table} row {id}"
    );
    for c in conditions {
        assert_eq!(
            server.count(&format!(
                "SELECT COUNT(*) FROM {table} WHERE id = '{id}' AND {c}"
            )),
            1,
            "{table} row {id}: expected {c}"
        );
    }
}

/// The read-model tables of the method's records, with their row counts.
fn read_model(server: &TestServer) -> Vec<(&'static str, i64)> {
    [
        "accounts",
        "account_metrics",
        "stage_events",
        "contacts",
        "opportunities",
        "opportunity_roles",
        "visits",
        "visit_marks",
        "visit_contacts",
        "favours",
        "intel",
        "info_reports",
        "greetings",
        "relationship_events",
    ]
    .into_iter()
    .map(|t| (t, server.count(&format!("SELECT COUNT(*) FROM {t}"))))
    .collect()
}

// ----- raw documents -----

/// A new document holding `record` as autosurgeon writes it (no content rules applied on
/// the way), altered by `tweak`, as the changes a device would push.
fn raw_new<R: Record>(
    actor: ActorId,
    record: &R,
    tweak: impl FnOnce(&mut AutoCommit),
) -> Vec<Change> {
    let mut doc = AutoCommit::new().with_actor(actor);
    autosurgeon::reconcile(&mut doc, record).expect("reconcile");
    tweak(&mut doc);
    doc.commit();
    wire(doc.get_changes(&[]))
}

/// An edit of a stored document by `actor`: the record read out of `base`, changed by
/// `edit`, reconciled back (no content rules applied), then altered by `tweak`.
fn raw_edit<R: Record>(
    base: &AutoCommit,
    actor: ActorId,
    edit: impl FnOnce(&mut R),
    tweak: impl FnOnce(&mut AutoCommit),
) -> Vec<Change> {
    let mut doc = base.clone().with_actor(actor);
    let heads = doc.get_heads();
    let mut record: R = model::read_record(&doc).expect("the base reads as its kind");
    edit(&mut record);
    autosurgeon::reconcile(&mut doc, &record).expect("reconcile");
    tweak(&mut doc);
    doc.commit();
    wire(doc.get_changes(&heads))
}

/// One sync round trip that reports a dropped connection (a handler that panicked) or an
/// HTTP error as an `Err`, instead of failing the test there and then.
fn try_sync(server: &TestServer, token: &str, req: &SyncRequest) -> Result<SyncResponse, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .build()
        .into();
    let body = postcard::to_stdvec(req).expect("encode");
    let mut resp = agent
        .post(format!("{}/v1/sync", server.url))
        .header("Authorization", format!("Bearer {token}"))
        .content_type(protocol::SYNC_CONTENT_TYPE)
        .send(&body[..])
        .map_err(|e| format!("no answer from the server (did it panic?): {e}"))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .body_mut()
        .read_to_vec()
        .map_err(|e| format!("the answer broke off: {e}"))?;
    if status != 200 {
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    postcard::from_bytes(&bytes).map_err(|e| format!("an undecodable sync response: {e}"))
}

/// Pushes one document's changes and returns what the server did with it.
fn push(
    server: &TestServer,
    session: &Session,
    doc_id: &str,
    kind: &str,
    changes: Vec<Change>,
) -> Result<Outcome, String> {
    let resp = try_sync(
        server,
        &session.access_token,
        &request(vec![PushDoc {
            doc_id: doc_id.to_owned(),
            kind: kind.to_owned(),
            changes,
        }]),
    )?;
    match resp.results.as_slice() {
        [r] if r.doc_id == doc_id => Ok(r.outcome.clone()),
        other => Err(format!("not one result for the one document: {other:?}")),
    }
}

/// Pushes an edit of an account this test keeps a replica of; the replica takes the edit
/// when the server does, so that later edits build on what the server holds.
fn push_edit(
    server: &TestServer,
    session: &Session,
    doc_id: &str,
    replica: &mut AutoCommit,
    changes: Vec<Change>,
) -> Result<Outcome, String> {
    let outcome = push(server, session, doc_id, "account", changes.clone())?;
    if outcome == Outcome::Accepted {
        replica
            .apply_changes(
                changes
                    .iter()
                    .map(|c| model::parse_change(&c.0).expect("a change")),
            )
            .expect("apply");
    }
    Ok(outcome)
}

/// The document `id` as the server sends it to `session`'s device on a first pull.
fn pull_document(server: &TestServer, session: &Session, id: &str) -> AutoCommit {
    let resp = raw_sync(&server.url, &session.access_token, &request(vec![]))
        .unwrap_or_else(|a| panic!("pull: {} {}", a.status, String::from_utf8_lossy(&a.body)));
    assert!(!resp.has_more, "a first pull fits one page here");
    let pulled = resp
        .docs
        .iter()
        .find(|d| d.doc_id == id)
        .unwrap_or_else(|| panic!("document {id} was not pulled"));
    let mut doc = match &pulled.snapshot {
        Some(s) => AutoCommit::load(&s.0).expect("a snapshot"),
        None => AutoCommit::new(),
    };
    doc.apply_changes(
        pulled
            .changes
            .iter()
            .map(|c| model::parse_change(&c.0).expect("a change")),
    )
    .expect("apply");
    doc
}

// ----- 1. every kind -----

#[test]
fn every_kind_logged_offline_reaches_a_teammate_identical_and_the_read_model_right() {
    let mut server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let plant = located_account(&server, &co, "Haorun Foods Plant 2");
    let shared = co.account_shared.clone();
    let a_id = co.user_id("a").to_owned();
    let b_id = co.user_id("b").to_owned();
    let a = Device::new(&server.url, "acme", "a");
    let b = Device::new(&server.url, "acme", "b");
    a.sync().expect("first sync");
    b.sync().expect("first sync");
    let located = a.get::<Account>(&plant).expect("the located account");
    assert!(located.location.is_some(), "{located:?}");

    // Everything below is logged with the server down.
    server.kill();

    let zhou = Contact {
        title: Some("Purchasing director".into()),
        phone: Some("+86 21 5555 0101".into()),
        notes: Some("prefers mornings".into()),
        admin_level: Some(AdminLevel::Executive),
        relationship_level: Some(RelationshipLevel::Trusted),
        roles: vec![BuyingRole::DecisionMaker, BuyingRole::Coach],
        key_contact: true,
        vip_card: Some(VipCard {
            knows_rep_name: true,
            interests: "golf, Pu'er tea".into(),
            birthday: Some(Birthday {
                calendar: Calendar::Lunar,
                month: 8,
                day: 20,
                leap_month: false,
            }),
            concerns: "daughter's university applications".into(),
            helped_with_concern: true,
            notes: "met at the Canton fair".into(),
        }),
        ..contact(&shared, "Zhou Min")
    };
    let li = Contact {
        title: Some("Line engineer".into()),
        admin_level: Some(AdminLevel::Staff),
        relationship_level: Some(RelationshipLevel::Acquainted),
        roles: vec![BuyingRole::User, BuyingRole::TechnicalGatekeeper],
        key_contact: false,
        vip_card: Some(VipCard {
            birthday: Some(Birthday {
                calendar: Calendar::Solar,
                month: 3,
                day: 14,
                leap_month: false,
            }),
            ..Default::default()
        }),
        ..contact(&shared, "Li Qiang")
    };
    let zhou_id = a.create(&zhou).expect("contact offline");
    let li_id = a.create(&li).expect("contact offline");

    let opportunity = Opportunity {
        account_id: shared.clone(),
        name: "Line 3 packaging upgrade".into(),
        value: Some(250_000.0),
        status: OpportunityStatus::Open,
        expected_close: Some("2026-12-15".into()),
        assessment: Assessment {
            real: Step {
                judgement: Some(Judgement::Yes),
                note: "budget approved for Q4".into(),
            },
            competition: Step {
                judgement: Some(Judgement::Yes),
                note: "Baosteel Trading is bidding".into(),
            },
            can_win: Step {
                judgement: Some(Judgement::Unsure),
                note: "price gap of about 5%".into(),
            },
            worth_winning: Step {
                judgement: Some(Judgement::Yes),
                note: "opens lines 4 and 5".into(),
            },
        },
        roles: RoleContacts {
            user: vec![li_id.clone()],
            technical_gatekeeper: vec![li_id.clone()],
            coach: vec![zhou_id.clone()],
            decision_maker: vec![zhou_id.clone()],
        },
        notes: "decision in November".into(),
        deleted: false,
    };
    let opportunity_id = a.create(&opportunity).expect("opportunity offline");

    // Visits: checked in 300 m from the plant; 7 km away; nearby with a vague fix; and one
    // logged 30 hours after it happened.
    let near = Visit {
        notes: "walked the line with Li".into(),
        contacts_met: vec![zhou_id.clone(), li_id.clone()],
        check_in: Some(north_of_plant(300.0, 20.0)),
        spin: vec![Spin::Situation, Spin::Problem, Spin::NeedPayoff],
        objections: vec![Objection::NoBudget],
        signals: vec![Signal::NextStep, Signal::TechnicalExchange],
        next_step: Some("Technical exchange with the plant engineers".into()),
        next_step_due: Some("2026-09-30".into()),
        ..visit(&plant, at(2026, 9, 21, 10, 0), "Line 3 walk-through")
    };
    let far = Visit {
        check_in: Some(north_of_plant(7_000.0, 15.0)),
        ..visit(&plant, at(2026, 9, 22, 14, 0), "Lunch near the office")
    };
    let vague = Visit {
        check_in: Some(north_of_plant(50.0, 2_000.0)),
        ..visit(&plant, at(2026, 9, 22, 16, 0), "Delivered samples")
    };
    let late = Visit {
        logged_at: hours_later(at(2026, 9, 23, 9, 0), 30),
        check_in: Some(north_of_plant(100.0, 10.0)),
        ..visit(&plant, at(2026, 9, 23, 9, 0), "Quarterly review")
    };
    let near_id = a.create(&near).expect("visit offline");
    let far_id = a.create(&far).expect("visit offline");
    let vague_id = a.create(&vague).expect("visit offline");
    let late_id = a.create(&late).expect("visit offline");

    // Favours around the default limit of 500.
    let big = Favour {
        contact_id: Some(zhou_id.clone()),
        ..favour(&shared, Some(650.0), "Dinner for the purchasing team")
    };
    let at_limit = favour(&shared, Some(500.0), "Mid-Autumn mooncake box");
    let small = Favour {
        kind: FavourKind::Business,
        ..favour(&shared, Some(120.0), "Courier for urgent samples")
    };
    let no_value = Favour {
        kind: FavourKind::Business,
        contact_id: Some(li_id.clone()),
        ..favour(&shared, None, "Introduced a logistics supplier")
    };
    let big_id = a.create(&big).expect("favour offline");
    let at_limit_id = a.create(&at_limit).expect("favour offline");
    let small_id = a.create(&small).expect("favour offline");
    let no_value_id = a.create(&no_value).expect("favour offline");

    let intel = Intel {
        account_id: shared.clone(),
        competitor: "Baosteel Trading".into(),
        product: Some("Coil coating line".into()),
        price: Some(42.5),
        observation: "quoted 5% under us, delivery in 8 weeks".into(),
        source_contact_id: Some(li_id.clone()),
        confidence: Confidence::High,
        occurred_at: at(2026, 9, 21, 11, 0),
        deleted: false,
    };
    let intel_id = a.create(&intel).expect("intel offline");

    let shipments = InfoReport {
        account_id: shared.clone(),
        kind: InfoKind::Shipments,
        figure: Some(1200.0),
        unit: Some("tonnes".into()),
        details: "September shipments, up 8% on August".into(),
        contact_id: Some(zhou_id.clone()),
        occurred_at: at(2026, 9, 21, 11, 30),
        deleted: false,
    };
    let feedback = InfoReport {
        account_id: shared.clone(),
        kind: InfoKind::ConsumerFeedback,
        figure: None,
        unit: None,
        details: "supermarkets report the new lids leak".into(),
        contact_id: None,
        occurred_at: at(2026, 9, 22, 10, 0),
        deleted: false,
    };
    let shipments_id = a.create(&shipments).expect("info offline");
    let feedback_id = a.create(&feedback).expect("info offline");

    let holiday = Greeting {
        account_id: shared.clone(),
        contact_id: None,
        occasion: Occasion::MidAutumn,
        channel: Channel::WeChat,
        occurred_at: at(2026, 9, 25, 9, 0),
        notes: "sent to the whole purchasing team".into(),
        deleted: false,
    };
    let birthday = Greeting {
        account_id: shared.clone(),
        contact_id: Some(zhou_id.clone()),
        occasion: Occasion::Birthday,
        channel: Channel::Gift,
        occurred_at: at(2026, 9, 30, 9, 0),
        notes: "tea set".into(),
        deleted: false,
    };
    let holiday_id = a.create(&holiday).expect("greeting offline");
    let birthday_id = a.create(&birthday).expect("greeting offline");

    let first_thought = RelationshipEvent {
        account_id: shared.clone(),
        kind: EventKind::FirstThought,
        description: "called us first about the new plant".into(),
        contact_id: Some(zhou_id.clone()),
        occurred_at: at(2026, 9, 24, 15, 0),
        deleted: false,
    };
    let best_display = RelationshipEvent {
        account_id: shared.clone(),
        kind: EventKind::BestDisplay,
        description: "our banner at the canteen entrance".into(),
        contact_id: None,
        occurred_at: at(2026, 9, 24, 16, 0),
        deleted: false,
    };
    let first_thought_id = a.create(&first_thought).expect("event offline");
    let best_display_id = a.create(&best_display).expect("event offline");

    // The rep's part of the account: value metrics (score 0.4·100 + 0.3·20 + 0.2·30 +
    // 0.1·10 = 53 for the latest period: tier B), cadence, scorecard, stage.
    let account = a
        .update::<Account>(&shared, |acc| {
            acc.metrics = vec![
                PeriodMetrics {
                    period: "2026-Q2".into(),
                    sales: Some(900.0),
                    ..Default::default()
                },
                PeriodMetrics {
                    period: "2026-Q3".into(),
                    sales: Some(100.0),
                    profit: Some(20.0),
                    collections: Some(30.0),
                    transactions: Some(10),
                },
            ];
            acc.cadence_days = Some(10);
            acc.current_value = Some(4);
            acc.potential_value = Some(5);
            acc.stage = Some(Stage::Initial);
            acc.stage_history.push(StageStep {
                id: model::new_id(),
                stage: Stage::Initial,
                at: at(2026, 9, 21, 18, 0),
            });
        })
        .expect("account edit offline");

    assert!(matches!(
        a.sync(),
        Err(rapport_client_core::Error::Offline(_))
    ));
    server.restart();
    let report = a.sync().expect("sync after the restart");
    assert_eq!(
        (report.accepted, report.rejected, report.waiting),
        (19, 0, 0),
        "{report:?}"
    );
    b.sync().expect("sync");

    // Identical on A's phone and on B's.
    let both = [&a, &b];
    assert_same(&both, &zhou_id, &zhou);
    assert_same(&both, &li_id, &li);
    assert_same(&both, &opportunity_id, &opportunity);
    for (id, v) in [
        (&near_id, &near),
        (&far_id, &far),
        (&vague_id, &vague),
        (&late_id, &late),
    ] {
        assert_same(&both, id, v);
    }
    for (id, f) in [
        (&big_id, &big),
        (&at_limit_id, &at_limit),
        (&small_id, &small),
        (&no_value_id, &no_value),
    ] {
        assert_same(&both, id, f);
    }
    assert_same(&both, &intel_id, &intel);
    assert_same(&both, &shipments_id, &shipments);
    assert_same(&both, &feedback_id, &feedback);
    assert_same(&both, &holiday_id, &holiday);
    assert_same(&both, &birthday_id, &birthday);
    assert_same(&both, &first_thought_id, &first_thought);
    assert_same(&both, &best_display_id, &best_display);
    assert_same(&both, &shared, &account);
    // B's timelines hold every record.
    let timeline: Vec<String> = b
        .timeline(&shared)
        .expect("timeline")
        .into_iter()
        .chain(b.timeline(&plant).expect("timeline"))
        .map(|r| r.id)
        .collect();
    assert_eq!(timeline.len(), 18, "{timeline:?}");
    for id in [
        &zhou_id,
        &li_id,
        &opportunity_id,
        &near_id,
        &far_id,
        &vague_id,
        &late_id,
        &big_id,
        &at_limit_id,
        &small_id,
        &no_value_id,
        &intel_id,
        &shipments_id,
        &feedback_id,
        &holiday_id,
        &birthday_id,
        &first_thought_id,
        &best_display_id,
    ] {
        assert!(timeline.contains(id), "{id} missing from B's timeline");
    }

    // The read model.
    let by_a = format!("author_id = '{a_id}'");
    let on = |acc: &str| format!("account_id = '{acc}'");
    assert_row(
        &server,
        "contacts",
        &zhou_id,
        &[
            &by_a,
            &on(&shared),
            "name = 'Zhou Min'",
            "title = 'Purchasing director'",
            "admin_level = 'executive'",
            "relationship_level = 'trusted'",
            "roles = 'decision_maker,coach'",
            "key_contact = TRUE",
            "has_card = TRUE",
            "card_depth = 4",
            "card_knows_name = TRUE",
            "card_interests = TRUE",
            "card_birthday = TRUE",
            "card_concern = TRUE",
            "birthday_calendar = 'lunar'",
            "birthday_month = 8",
            "birthday_day = 20",
            "birthday_leap = FALSE",
            "deleted = FALSE",
        ],
    );
    assert_row(
        &server,
        "contacts",
        &li_id,
        &[
            &by_a,
            "admin_level = 'staff'",
            "relationship_level = 'acquainted'",
            "roles = 'user,technical_gatekeeper'",
            "key_contact = FALSE",
            "has_card = TRUE",
            "card_depth = 1",
            "card_knows_name = FALSE",
            "card_interests = FALSE",
            "card_birthday = TRUE",
            "card_concern = FALSE",
            "birthday_calendar = 'solar'",
            "birthday_month = 3",
            "birthday_day = 14",
        ],
    );
    assert_row(
        &server,
        "opportunities",
        &opportunity_id,
        &[
            &by_a,
            &on(&shared),
            "name = 'Line 3 packaging upgrade'",
            "value = 250000",
            "status = 'open'",
            "expected_close = '2026-12-15'",
            "real = 'yes'",
            "competition = 'yes'",
            "can_win = 'unsure'",
            "worth_winning = 'yes'",
            "deleted = FALSE",
        ],
    );
    let roles_of = |cond: &str| {
        server.count(&format!(
            "SELECT COUNT(*) FROM opportunity_roles WHERE opportunity_id = '{opportunity_id}' {cond}"
        ))
    };
    assert_eq!(roles_of(""), 4);
    for (role, who) in [
        ("user", &li_id),
        ("technical_gatekeeper", &li_id),
        ("coach", &zhou_id),
        ("decision_maker", &zhou_id),
    ] {
        assert_eq!(
            roles_of(&format!("AND role = '{role}' AND contact_id = '{who}'")),
            1,
            "{role}"
        );
    }
    assert_row(
        &server,
        "visits",
        &near_id,
        &[
            &by_a,
            &on(&plant),
            "verified = TRUE",
            "late = FALSE",
            "next_step = 'Technical exchange with the plant engineers'",
            "next_step_due = '2026-09-30'",
            "deleted = FALSE",
        ],
    );
    assert_row(
        &server,
        "visits",
        &far_id,
        &["verified = FALSE", "late = FALSE"],
    );
    assert_row(
        &server,
        "visits",
        &vague_id,
        &["verified = FALSE", "late = FALSE"],
    );
    assert_row(
        &server,
        "visits",
        &late_id,
        &["verified = TRUE", "late = TRUE"],
    );
    let marks = |visit: &str, cond: &str| {
        server.count(&format!(
            "SELECT COUNT(*) FROM visit_marks WHERE visit_id = '{visit}' {cond}"
        ))
    };
    assert_eq!(marks(&near_id, ""), 6);
    for mark in [
        "spin:situation",
        "spin:problem",
        "spin:need_payoff",
        "objection:no_budget",
        "signal:next_step",
        "signal:technical_exchange",
    ] {
        assert_eq!(
            marks(&near_id, &format!("AND mark = '{mark}'")),
            1,
            "{mark}"
        );
    }
    assert_eq!(marks(&far_id, ""), 0);
    assert_eq!(
        server.count(&format!(
            "SELECT COUNT(*) FROM visit_contacts WHERE visit_id = '{near_id}'
             AND contact_id IN ('{zhou_id}', '{li_id}')"
        )),
        2
    );
    assert_row(
        &server,
        "favours",
        &big_id,
        &[
            &by_a,
            &on(&shared),
            "over_limit = TRUE",
            "value = 650",
            "kind = 'personal'",
            &format!("contact_id = '{zhou_id}'"),
            "description = 'Dinner for the purchasing team'",
        ],
    );
    assert_row(
        &server,
        "favours",
        &at_limit_id,
        &["over_limit = FALSE", "value = 500"],
    );
    assert_row(
        &server,
        "favours",
        &small_id,
        &["over_limit = FALSE", "value = 120", "kind = 'business'"],
    );
    assert_row(
        &server,
        "favours",
        &no_value_id,
        &[
            "over_limit = FALSE",
            "value IS NULL",
            &format!("contact_id = '{li_id}'"),
        ],
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM favours WHERE over_limit = TRUE"),
        1
    );
    assert_row(
        &server,
        "intel",
        &intel_id,
        &[
            &by_a,
            &on(&shared),
            "competitor = 'Baosteel Trading'",
            "product = 'Coil coating line'",
            "price = 42.5",
            "confidence = 'high'",
            &format!("source_contact_id = '{li_id}'"),
            &format!("occurred_at = {}", intel.occurred_at.utc_ms),
        ],
    );
    assert_row(
        &server,
        "info_reports",
        &shipments_id,
        &[
            &by_a,
            "kind = 'shipments'",
            "figure = 1200",
            "unit = 'tonnes'",
            &format!("contact_id = '{zhou_id}'"),
        ],
    );
    assert_row(
        &server,
        "info_reports",
        &feedback_id,
        &[
            "kind = 'consumer_feedback'",
            "figure IS NULL",
            "contact_id IS NULL",
        ],
    );
    assert_row(
        &server,
        "greetings",
        &holiday_id,
        &[
            &by_a,
            "occasion = 'mid_autumn'",
            "channel = 'wechat'",
            "contact_id IS NULL",
        ],
    );
    assert_row(
        &server,
        "greetings",
        &birthday_id,
        &[
            "occasion = 'birthday'",
            "channel = 'gift'",
            &format!("contact_id = '{zhou_id}'"),
        ],
    );
    assert_row(
        &server,
        "relationship_events",
        &first_thought_id,
        &[
            &by_a,
            "kind = 'first_thought'",
            &format!("contact_id = '{zhou_id}'"),
        ],
    );
    assert_row(
        &server,
        "relationship_events",
        &best_display_id,
        &["kind = 'best_display'", "contact_id IS NULL"],
    );
    assert_row(
        &server,
        "accounts",
        &shared,
        &[
            "tier = 'b'",
            "value_score > 52.99 AND value_score < 53.01",
            "stage = 'initial'",
            "cadence_days = 10",
            "current_value = 4",
            "potential_value = 5",
            "name = 'Haorun Foods'",
        ],
    );
    let metrics = |cond: &str| {
        server.count(&format!(
            "SELECT COUNT(*) FROM account_metrics WHERE account_id = '{shared}' {cond}"
        ))
    };
    assert_eq!(metrics(""), 2);
    assert_eq!(
        metrics(
            "AND period = '2026-Q3' AND sales = 100 AND profit = 20 AND collections = 30
             AND transactions = 10"
        ),
        1
    );
    assert_eq!(
        metrics("AND period = '2026-Q2' AND sales = 900 AND profit IS NULL"),
        1
    );
    let stage_events = |cond: &str| {
        server.count(&format!(
            "SELECT COUNT(*) FROM stage_events WHERE account_id = '{shared}' {cond}"
        ))
    };
    assert_eq!(stage_events(""), 1);
    assert_eq!(
        stage_events(&format!(
            "AND from_stage IS NULL AND to_stage = 'initial' AND by_user = '{a_id}'"
        )),
        1
    );

    // Online now: A sets the tier by hand and moves the stage on; then B moves it again.
    let account = a
        .update::<Account>(&shared, |acc| {
            acc.tier_override = Some(Tier::A);
            acc.stage = Some(Stage::Intermediate);
            acc.stage_history.push(StageStep {
                id: model::new_id(),
                stage: Stage::Intermediate,
                at: at(2026, 10, 12, 18, 0),
            });
        })
        .expect("edit");
    a.sync().expect("sync");
    b.sync().expect("sync");
    assert_same(&both, &shared, &account);
    assert_row(
        &server,
        "accounts",
        &shared,
        &["tier = 'a'", "stage = 'intermediate'"],
    );
    let account = b
        .update::<Account>(&shared, |acc| {
            acc.stage = Some(Stage::Advanced);
            acc.stage_history.push(StageStep {
                id: model::new_id(),
                stage: Stage::Advanced,
                at: at(2026, 11, 2, 18, 0),
            });
        })
        .expect("edit");
    let report = b.sync().expect("sync");
    assert_eq!((report.accepted, report.rejected), (1, 0), "{report:?}");
    a.sync().expect("sync");
    assert_same(&both, &shared, &account);
    assert_eq!(account.stage_history.len(), 3);
    assert_row(&server, "accounts", &shared, &["stage = 'advanced'"]);
    assert_eq!(stage_events(""), 3);
    assert_eq!(
        stage_events(&format!(
            "AND from_stage = 'initial' AND to_stage = 'intermediate' AND by_user = '{a_id}'"
        )),
        1
    );
    assert_eq!(
        stage_events(&format!(
            "AND from_stage = 'intermediate' AND to_stage = 'advanced' AND by_user = '{b_id}'"
        )),
        1
    );
}

// ----- 2. concurrent VIP card edits -----

#[test]
fn concurrent_vip_card_edits_keep_both_fields_and_agree_on_one_winner() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let shared = co.account_shared.clone();
    let phone = Device::new(&server.url, "acme", "a");
    let tablet = Device::new(&server.url, "acme", "a");
    let b = Device::new(&server.url, "acme", "b");
    let all = [&phone, &tablet, &b];
    sync_all(&all);

    let id = phone
        .create(&Contact {
            key_contact: true,
            vip_card: Some(VipCard {
                knows_rep_name: true,
                ..Default::default()
            }),
            ..contact(&shared, "Zhou Min")
        })
        .expect("contact");
    sync_all(&all);
    let start = phone.get::<Contact>(&id).expect("contact");
    assert_same(&all, &id, &start);
    assert_row(
        &server,
        "contacts",
        &id,
        &["has_card = TRUE", "card_depth = 1"],
    );

    // Different card fields, offline on each device.
    let lunar_8_20 = Birthday {
        calendar: Calendar::Lunar,
        month: 8,
        day: 20,
        leap_month: false,
    };
    let card_edit = |d: &Device, f: &dyn Fn(&mut VipCard)| {
        d.update::<Contact>(&id, |c| f(c.vip_card.as_mut().expect("a card")))
            .expect("edit the card");
    };
    card_edit(&phone, &|k| k.interests = "golf, Pu'er tea".into());
    card_edit(&tablet, &|k| k.birthday = Some(lunar_8_20));
    card_edit(&b, &|k| {
        k.concerns = "daughter's university applications".into();
        k.helped_with_concern = true;
    });
    sync_all(&all);
    let merged = phone.get::<Contact>(&id).expect("contact");
    assert_same(&all, &id, &merged);
    let card = merged.vip_card.clone().expect("a card");
    assert!(card.knows_rep_name);
    assert_eq!(card.interests, "golf, Pu'er tea");
    assert_eq!(card.birthday, Some(lunar_8_20));
    assert_eq!(card.concerns, "daughter's university applications");
    assert!(card.helped_with_concern);
    assert_eq!(card.depth(), 4);
    assert_row(
        &server,
        "contacts",
        &id,
        &[
            "card_depth = 4",
            "card_knows_name = TRUE",
            "card_interests = TRUE",
            "card_birthday = TRUE",
            "card_concern = TRUE",
            "birthday_calendar = 'lunar'",
            "birthday_month = 8",
            "birthday_day = 20",
        ],
    );

    // The same field on two devices: interests on A's phone and tablet; the birthday on
    // A's phone and B's phone (A learns it is really solar 25 August, B that it is lunar
    // 3 September).
    let phone_birthday = Birthday {
        calendar: Calendar::Solar,
        month: 8,
        day: 25,
        leap_month: false,
    };
    let b_birthday = Birthday {
        calendar: Calendar::Lunar,
        month: 9,
        day: 3,
        leap_month: false,
    };
    card_edit(&phone, &|k| {
        k.interests = "calligraphy".into();
        k.birthday = Some(phone_birthday);
    });
    card_edit(&tablet, &|k| k.interests = "fishing".into());
    card_edit(&b, &|k| k.birthday = Some(b_birthday));
    sync_all(&all);
    let merged = phone.get::<Contact>(&id).expect("contact");
    assert_same(&all, &id, &merged);
    // A device that signs in now gets the same record from the server.
    let fresh = Device::new(&server.url, "acme", "b");
    fresh.sync().expect("sync");
    assert_same(&[&fresh], &id, &merged);
    let card = merged.vip_card.clone().expect("a card");
    assert!(
        ["calligraphy", "fishing"].contains(&card.interests.as_str()),
        "{card:?}"
    );
    let won = card.birthday.expect("a birthday");
    // The read model holds the devices' winner.
    assert_row(
        &server,
        "contacts",
        &id,
        &[
            "card_depth = 4",
            &format!("birthday_calendar = '{}'", won.calendar),
            &format!("birthday_month = {}", won.month),
            &format!("birthday_day = {}", won.day),
        ],
    );
    // And the winner is one of the two birthdays entered, not a date neither rep gave.
    assert!(
        won == phone_birthday || won == b_birthday,
        "concurrent birthdays merged into {won:?}, which neither device entered \
         ({phone_birthday:?} on one, {b_birthday:?} on the other)"
    );
}

// ----- 3. validation -----

/// A broken new document: what it is, its kind, its changes, the rejection code expected
/// and the field its reason must name.
type NewCase = (
    &'static str,
    &'static str,
    Vec<Change>,
    &'static str,
    Option<&'static str>,
);

type AccountEdit = Box<dyn FnOnce(&mut Account)>;

#[test]
fn hand_built_bad_documents_are_rejected_with_their_reason_and_change_nothing() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let other = Company::setup(&server, "other");
    let a_id = co.user_id("a").to_owned();
    let b_id = co.user_id("b").to_owned();
    let rep = login(&server.url, "acme", "a");
    let rep_b = login(&server.url, "acme", "b");
    let me = || actor(&rep);
    let shared = co.account_shared.clone();
    let when = at(2026, 9, 22, 10, 0);

    let good_visit = visit(&shared, when, "Quarterly review");
    let good_opportunity = Opportunity {
        account_id: shared.clone(),
        name: "Line 3 packaging upgrade".into(),
        value: Some(250_000.0),
        ..Default::default()
    };
    let good_favour = favour(&shared, Some(80.0), "Courier for urgent samples");
    let good_intel = Intel {
        account_id: shared.clone(),
        competitor: "Baosteel Trading".into(),
        observation: "quoted 5% under us".into(),
        occurred_at: when,
        ..Default::default()
    };
    let good_greeting = Greeting {
        account_id: shared.clone(),
        occasion: Occasion::MidAutumn,
        channel: Channel::WeChat,
        occurred_at: when,
        ..Default::default()
    };
    let good_contact = Contact {
        vip_card: Some(VipCard {
            birthday: Some(Birthday {
                calendar: Calendar::Lunar,
                month: 8,
                day: 20,
                leap_month: false,
            }),
            ..Default::default()
        }),
        ..contact(&shared, "Zhou Min")
    };

    // Problems found, reported together at the end so that one does not hide the others.
    let mut problems: Vec<String> = Vec::new();
    let expect_rejection =
        |what: &str,
         problems: &mut Vec<String>,
         outcome: Result<Outcome, String>,
         code: &str,
         field: Option<&str>,
         before: &(Vec<i64>, Vec<(&'static str, i64)>)| {
            match outcome {
                Ok(Outcome::Rejected { code: c, reason }) => {
                    if c != code {
                        problems.push(format!("{what}: rejected as {c} ({reason}), not {code}"));
                    }
                    if let Some(f) = field
                        && !reason.contains(f)
                    {
                        problems.push(format!("{what}: the reason {reason:?} does not name {f}"));
                    }
                }
                Ok(Outcome::Accepted) => problems.push(format!("{what}: accepted")),
                Err(e) => problems.push(format!("{what}: {e}")),
            }
            let after = (server.fingerprint(), read_model(&server));
            if &after != before {
                problems.push(format!(
                    "{what} changed what the server stores: {before:?} -> {after:?}"
                ));
            }
            if !server.is_healthy() {
                problems.push(format!("the server is unwell after {what}"));
            }
        };
    let snapshot = |s: &TestServer| (s.fingerprint(), read_model(s));

    // New documents, each broken one way.
    let new_cases: Vec<NewCase> = vec![
        (
            "an opportunity whose value is a string",
            "opportunity",
            raw_new(me(), &good_opportunity, |d| {
                d.put(ROOT, "value", "250000").expect("put");
            }),
            "invalid_document",
            Some("value"),
        ),
        (
            "a visit whose duration is a float",
            "visit",
            raw_new(me(), &good_visit, |d| {
                d.put(ROOT, "duration_min", 45.5).expect("put");
            }),
            "invalid_document",
            Some("duration_min"),
        ),
        (
            "a favour of kind Bribe",
            "favour",
            raw_new(me(), &good_favour, |d| {
                d.put(ROOT, "kind", "Bribe").expect("put");
            }),
            "invalid_document",
            Some("kind"),
        ),
        (
            "a greeting for Halloween",
            "greeting",
            raw_new(me(), &good_greeting, |d| {
                d.put(ROOT, "occasion", "Halloween").expect("put");
            }),
            "invalid_document",
            Some("occasion"),
        ),
        (
            "an opportunity of status Pending",
            "opportunity",
            raw_new(me(), &good_opportunity, |d| {
                d.put(ROOT, "status", "Pending").expect("put");
            }),
            "invalid_document",
            Some("status"),
        ),
        (
            "a visit with an unknown buying signal",
            "visit",
            raw_new(
                me(),
                &Visit {
                    signals: vec![Signal::NextStep],
                    ..good_visit.clone()
                },
                |d| {
                    let list = d.get(ROOT, "signals").expect("get").expect("signals").1;
                    d.put(&list, 0, "SignedTheContract").expect("put");
                },
            ),
            "invalid_document",
            Some("signals"),
        ),
        (
            "an intel without a competitor",
            "competitor_intel",
            raw_new(me(), &good_intel, |d| {
                d.delete(ROOT, "competitor").expect("delete");
            }),
            "invalid_document",
            Some("competitor"),
        ),
        (
            "a favour without a description",
            "favour",
            raw_new(me(), &good_favour, |d| {
                d.delete(ROOT, "description").expect("delete");
            }),
            "invalid_document",
            Some("description"),
        ),
        (
            "a birthday greeting without a contact",
            "greeting",
            raw_new(
                me(),
                &Greeting {
                    occasion: Occasion::Birthday,
                    channel: Channel::Gift,
                    contact_id: None,
                    ..good_greeting.clone()
                },
                |_| {},
            ),
            "invalid_document",
            Some("contact_id"),
        ),
        (
            "a VIP card birthday on the 13th month",
            "contact",
            raw_new(me(), &good_contact, |d| {
                // A birthday is one value, e.g. "lunar 08-20".
                let card = d.get(ROOT, "vip_card").expect("get").expect("card").1;
                d.put(&card, "birthday", "solar 13-01").expect("put");
            }),
            "invalid_document",
            Some("vip_card.birthday"),
        ),
        (
            "a visit on another company's account",
            "visit",
            raw_new(me(), &visit(&other.account_a, when, "Poaching"), |_| {}),
            "forbidden",
            None,
        ),
        (
            "a favour on another company's account",
            "favour",
            raw_new(
                me(),
                &favour(&other.account_shared, Some(10.0), "Tea"),
                |_| {},
            ),
            "forbidden",
            None,
        ),
    ];
    for (what, kind, changes, code, field) in new_cases {
        let before = snapshot(&server);
        let outcome = push(&server, &rep, &model::new_id(), kind, changes);
        expect_rejection(what, &mut problems, outcome, code, field, &before);
    }
    // Nothing of the other company was touched either.
    assert_eq!(
        server.count(&format!(
            "SELECT COUNT(*) FROM visits WHERE account_id = '{}'",
            other.account_a
        )),
        0
    );

    // Control: the same raw documents, untouched, are valid records.
    let visit_id = model::new_id();
    let base_visit = {
        let mut doc = AutoCommit::new().with_actor(me());
        autosurgeon::reconcile(&mut doc, &good_visit).expect("reconcile");
        doc.commit();
        doc
    };
    assert_eq!(
        push(
            &server,
            &rep,
            &visit_id,
            "visit",
            wire(base_visit.clone().get_changes(&[]))
        ),
        Ok(Outcome::Accepted)
    );
    for (kind, changes) in [
        ("opportunity", raw_new(me(), &good_opportunity, |_| {})),
        ("favour", raw_new(me(), &good_favour, |_| {})),
        ("competitor_intel", raw_new(me(), &good_intel, |_| {})),
        ("greeting", raw_new(me(), &good_greeting, |_| {})),
        ("contact", raw_new(me(), &good_contact, |_| {})),
    ] {
        assert_eq!(
            push(&server, &rep, &model::new_id(), kind, changes),
            Ok(Outcome::Accepted),
            "{kind}"
        );
    }

    // Edits of stored records.
    let before = snapshot(&server);
    let outcome = push(
        &server,
        &rep,
        &visit_id,
        "visit",
        raw_edit::<Visit>(
            &base_visit,
            me(),
            |v| v.account_id = co.account_a.clone(),
            |_| {},
        ),
    );
    expect_rejection(
        "a visit moved to another account",
        &mut problems,
        outcome,
        "account_changed",
        None,
        &before,
    );
    let outcome = push(
        &server,
        &rep,
        &visit_id,
        "visit",
        raw_edit::<Visit>(
            &base_visit,
            me(),
            |v| v.account_id = other.account_a.clone(),
            |_| {},
        ),
    );
    expect_rejection(
        "a visit moved to another company's account",
        &mut problems,
        outcome,
        "account_changed",
        None,
        &before,
    );
    assert_eq!(
        server.text(&format!(
            "SELECT account_id FROM visits WHERE id = '{visit_id}'"
        )),
        shared
    );

    // The rep's account, as the server sends it.
    let mut account_doc = pull_document(&server, &rep, &co.account_a);
    let admin_edits: Vec<(&str, AccountEdit)> = vec![
        (
            "renaming",
            Box::new(|acc| acc.name = "Huadong Steel Group".into()),
        ),
        ("moving", Box::new(|acc| acc.city = Some("Hangzhou".into()))),
        (
            "placing",
            Box::new(|acc| {
                acc.location = Some(model::GeoPoint {
                    lat: 30.27,
                    lon: 120.15,
                })
            }),
        ),
        ("removing", Box::new(|acc| acc.deleted = true)),
        (
            "renaming, with a rep's field",
            Box::new(|acc| {
                acc.name = "Huadong".into();
                acc.cadence_days = Some(7);
            }),
        ),
    ];
    for (what, edit) in admin_edits {
        let before = snapshot(&server);
        let changes = raw_edit::<Account>(&account_doc, me(), edit, |_| {});
        let outcome = push_edit(&server, &rep, &co.account_a, &mut account_doc, changes);
        expect_rejection(
            &format!("a rep {what} an account"),
            &mut problems,
            outcome,
            "admin_only",
            None,
            &before,
        );
    }
    let bad_periods = [
        "Q3", "2026-13", "2026-Q5", "26-11", "2026/11", "2026-Q3 ", "+026", "-001", "2026-+3",
        "2026-Q+1",
    ];
    for period in bad_periods {
        let before = snapshot(&server);
        let changes = raw_edit::<Account>(
            &account_doc,
            me(),
            |acc| {
                acc.metrics = vec![PeriodMetrics {
                    period: period.into(),
                    sales: Some(100.0),
                    ..Default::default()
                }]
            },
            |_| {},
        );
        let outcome = push_edit(&server, &rep, &co.account_a, &mut account_doc, changes);
        expect_rejection(
            &format!("metrics for the period {period:?}"),
            &mut problems,
            outcome,
            "invalid_document",
            Some("metrics"),
            &before,
        );
    }
    for (what, field, value) in [
        ("a tier S", "tier_override", "S"),
        ("the stage Married", "stage", "Married"),
    ] {
        let before = snapshot(&server);
        let changes = raw_edit::<Account>(
            &account_doc,
            me(),
            |_| {},
            |d| {
                d.put(ROOT, field, value).expect("put");
            },
        );
        let outcome = push_edit(&server, &rep, &co.account_a, &mut account_doc, changes);
        expect_rejection(
            &format!("an account with {what}"),
            &mut problems,
            outcome,
            "invalid_document",
            Some(field),
            &before,
        );
    }
    assert_row(
        &server,
        "accounts",
        &co.account_a,
        &[
            "name = 'Huadong Steel'",
            "city = 'Shanghai'",
            "lat IS NULL",
            "deleted = FALSE",
            "stage IS NULL",
        ],
    );

    // Control: the rep's own fields of the account are the rep's to edit.
    let changes = raw_edit::<Account>(
        &account_doc,
        me(),
        |acc| {
            acc.metrics = vec![PeriodMetrics {
                period: "2026-11".into(),
                sales: Some(100.0),
                ..Default::default()
            }];
            acc.cadence_days = Some(7);
        },
        |_| {},
    );
    assert_eq!(
        push_edit(&server, &rep, &co.account_a, &mut account_doc, changes),
        Ok(Outcome::Accepted)
    );
    assert_row(&server, "accounts", &co.account_a, &["cadence_days = 7"]);
    assert_eq!(
        server.count(&format!(
            "SELECT COUNT(*) FROM account_metrics WHERE account_id = '{}' AND period = '2026-11'",
            co.account_a
        )),
        1
    );

    // An author named inside a document: whatever the server makes of the field, the
    // author is who pushed the record, and stays so through a teammate's edit.
    let forged_id = model::new_id();
    let forged = raw_new(me(), &good_visit, |d| {
        d.put(ROOT, "author_id", b_id.as_str()).expect("put");
    });
    let base_forged = {
        let mut doc = AutoCommit::new();
        doc.apply_changes(
            forged
                .iter()
                .map(|c| model::parse_change(&c.0).expect("change")),
        )
        .expect("apply");
        doc
    };
    let before = snapshot(&server);
    match push(&server, &rep, &forged_id, "visit", forged) {
        Ok(Outcome::Accepted) => {
            assert_row(
                &server,
                "visits",
                &forged_id,
                &[&format!("author_id = '{a_id}'")],
            );
            assert_row(
                &server,
                "documents",
                &forged_id,
                &[&format!("author_id = '{a_id}'")],
            );
            // B edits it, naming himself the author.
            let changes = raw_edit::<Visit>(
                &base_forged,
                actor(&rep_b),
                |v| v.notes = "B's notes".into(),
                |d| {
                    d.put(ROOT, "author_id", b_id.as_str()).expect("put");
                },
            );
            let before = snapshot(&server);
            match push(&server, &rep_b, &forged_id, "visit", changes) {
                Ok(Outcome::Accepted) => {}
                Ok(Outcome::Rejected { .. }) => assert_eq!(snapshot(&server), before),
                Err(e) => problems.push(format!("B's edit with a forged author: {e}")),
            }
            assert_row(
                &server,
                "visits",
                &forged_id,
                &[&format!("author_id = '{a_id}'")],
            );
            assert_row(
                &server,
                "documents",
                &forged_id,
                &[&format!("author_id = '{a_id}'")],
            );
        }
        Ok(Outcome::Rejected { .. }) => assert_eq!(snapshot(&server), before),
        Err(e) => problems.push(format!("a visit with a forged author: {e}")),
    }
    assert_eq!(
        server.count(&format!(
            "SELECT COUNT(*) FROM visits WHERE author_id = '{b_id}'"
        )),
        0
    );

    // A period in Chinese (第三季度, "third quarter") is not a period either: refused, by
    // the server and by the device library, never a crash.
    let before = snapshot(&server);
    let changes = raw_edit::<Account>(
        &account_doc,
        me(),
        |acc| {
            acc.metrics = vec![PeriodMetrics {
                period: "第三季度".into(),
                sales: Some(100.0),
                ..Default::default()
            }]
        },
        |_| {},
    );
    let outcome = push_edit(&server, &rep, &co.account_a, &mut account_doc, changes);
    expect_rejection(
        "metrics for the period \"第三季度\"",
        &mut problems,
        outcome,
        "invalid_document",
        Some("metrics"),
        &before,
    );
    let device = Device::new(&server.url, "acme", "a");
    device.sync().expect("sync");
    for period in ["2026-Q5", "第三季度"] {
        let edit = std::panic::catch_unwind(AssertUnwindSafe(|| {
            device.update::<Account>(&co.account_a, |acc| {
                acc.metrics.push(PeriodMetrics {
                    period: period.into(),
                    ..Default::default()
                })
            })
        }));
        match edit {
            Ok(Err(rapport_client_core::Error::Invalid(i))) if i.field == "metrics" => {}
            Ok(other) => problems.push(format!(
                "the device's edit of the period {period:?}: {other:?}, not invalid metrics"
            )),
            Err(_) => problems.push(format!(
                "the device library panicked on the period {period:?}"
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ----- 4. tombstones -----

#[test]
fn removed_records_leave_every_device_and_are_marked_deleted_in_the_read_model() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let shared = co.account_shared.clone();
    let phone = Device::new(&server.url, "acme", "a");
    let tablet = Device::new(&server.url, "acme", "a");
    let b = Device::new(&server.url, "acme", "b");
    let all = [&phone, &tablet, &b];
    sync_all(&all);

    let zhou = contact(&shared, "Zhou Min");
    let zhou_id = phone.create(&zhou).expect("contact");
    let liu_id = phone
        .create(&contact(&shared, "Liu Yang"))
        .expect("contact");
    let visit_gone = Visit {
        next_step: Some("Send the revised quote".into()),
        next_step_due: Some("2026-09-25".into()),
        ..visit(&shared, at(2026, 9, 21, 10, 0), "Quarterly review")
    };
    let visit_gone_id = phone.create(&visit_gone).expect("visit");
    let visit_kept_id = phone
        .create(&visit(&shared, at(2026, 9, 22, 10, 0), "Plant tour"))
        .expect("visit");
    let favour_gone_id = phone
        .create(&favour(&shared, Some(650.0), "Dinner"))
        .expect("favour");
    let favour_kept_id = phone
        .create(&favour(&shared, Some(80.0), "Courier"))
        .expect("favour");
    let opportunity_gone_id = phone
        .create(&Opportunity {
            account_id: shared.clone(),
            name: "Line 3 packaging upgrade".into(),
            roles: RoleContacts {
                decision_maker: vec![zhou_id.clone()],
                ..Default::default()
            },
            ..Default::default()
        })
        .expect("opportunity");
    let intel_gone_id = phone
        .create(&Intel {
            account_id: shared.clone(),
            competitor: "Baosteel Trading".into(),
            observation: "quoted 5% under us".into(),
            occurred_at: at(2026, 9, 22, 11, 0),
            ..Default::default()
        })
        .expect("intel");
    sync_all(&all);
    for d in all {
        assert_eq!(d.timeline(&shared).expect("timeline").len(), 8);
        assert!(d.due(date(2026, 9, 20), 14).expect("due").iter().any(
            |i| matches!(&i.what, Due::NextStep { visit_id, .. } if *visit_id == visit_gone_id)
        ));
    }

    // A's phone removes the visit, the contact, the favour (while A's tablet edits it,
    // offline), the opportunity and the intel; B's device receives it all. (Only a
    // record's author, a manager or an admin removes it: see authorship.rs.)
    phone.remove::<Visit>(&visit_gone_id).expect("remove");
    phone.remove::<Contact>(&zhou_id).expect("remove");
    phone.remove::<Favour>(&favour_gone_id).expect("remove");
    tablet
        .update::<Favour>(&favour_gone_id, |f| {
            f.description = "Dinner for the purchasing team".into()
        })
        .expect("edit");
    phone
        .remove::<Opportunity>(&opportunity_gone_id)
        .expect("remove");
    phone.remove::<Intel>(&intel_gone_id).expect("remove");
    // Gone from the remover's lists at once.
    assert!(
        phone
            .list::<Visit>(Some(&shared))
            .expect("list")
            .iter()
            .all(|i| i.id != visit_gone_id)
    );
    sync_all(&all);

    let gone = [
        &visit_gone_id,
        &zhou_id,
        &favour_gone_id,
        &opportunity_gone_id,
        &intel_gone_id,
    ];
    for (n, d) in all.iter().enumerate() {
        let timeline: Vec<String> = d
            .timeline(&shared)
            .expect("timeline")
            .into_iter()
            .map(|r| r.id)
            .collect();
        for id in gone {
            assert!(
                !timeline.contains(id),
                "device {n}: {id} still in the timeline"
            );
        }
        for id in [&liu_id, &visit_kept_id, &favour_kept_id] {
            assert!(timeline.contains(id), "device {n}: {id} lost");
        }
        assert_eq!(timeline.len(), 3, "device {n}: {timeline:?}");
        assert_eq!(
            ids(d.list::<Visit>(Some(&shared)).expect("list")),
            vec![visit_kept_id.clone()],
            "device {n}"
        );
        assert_eq!(
            ids(d.list::<Favour>(None).expect("list")),
            vec![favour_kept_id.clone()],
            "device {n}"
        );
        assert_eq!(
            ids(d.list::<Contact>(Some(&shared)).expect("list")),
            vec![liu_id.clone()],
            "device {n}"
        );
        assert!(
            d.list::<Opportunity>(None).expect("list").is_empty(),
            "device {n}"
        );
        assert!(
            d.list::<Intel>(None).expect("list").is_empty(),
            "device {n}"
        );
        // Tombstones, not lost history: the records still read, marked removed.
        assert!(d.get::<Visit>(&visit_gone_id).expect("visit").deleted);
        assert!(d.get::<Contact>(&zhou_id).expect("contact").deleted);
        let f = d.get::<Favour>(&favour_gone_id).expect("favour");
        assert!(
            f.deleted,
            "device {n}: the concurrent edit revived the favour"
        );
        assert_eq!(f.description, "Dinner for the purchasing team");
        assert!(
            d.get::<Opportunity>(&opportunity_gone_id)
                .expect("opportunity")
                .deleted
        );
        // A removed visit's next step is no longer due.
        assert!(
            !d.due(date(2026, 9, 20), 14).expect("due").iter().any(
                |i| matches!(&i.what, Due::NextStep { visit_id, .. } if *visit_id == visit_gone_id)
            ),
            "device {n}"
        );
    }
    assert_row(&server, "visits", &visit_gone_id, &["deleted = TRUE"]);
    assert_row(&server, "contacts", &zhou_id, &["deleted = TRUE"]);
    assert_row(
        &server,
        "favours",
        &favour_gone_id,
        &[
            "deleted = TRUE",
            "description = 'Dinner for the purchasing team'",
        ],
    );
    assert_row(
        &server,
        "opportunities",
        &opportunity_gone_id,
        &["deleted = TRUE"],
    );
    assert_row(&server, "intel", &intel_gone_id, &["deleted = TRUE"]);
    for (table, id) in [
        ("visits", &visit_kept_id),
        ("contacts", &liu_id),
        ("favours", &favour_kept_id),
    ] {
        assert_row(&server, table, id, &["deleted = FALSE"]);
    }
    for id in gone {
        assert_row(&server, "documents", id, &["deleted = TRUE"]);
    }
    // A device signing in afterwards never lists them.
    let late_comer = Device::new(&server.url, "acme", "b");
    late_comer.sync().expect("sync");
    assert_eq!(late_comer.timeline(&shared).expect("timeline").len(), 3);
}

// ----- 5. rules -----

#[test]
fn an_admin_sets_rules_that_devices_receive_and_new_records_are_judged_by() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let plant = located_account(&server, &co, "Haorun Foods Plant 2");
    let shared = co.account_shared.clone();
    let rules_url = format!("{}/v1/admin/rules", server.url);
    let admin = Some(co.admin_token.as_str());
    let phone = Device::new(&server.url, "acme", "a");
    phone.sync().expect("sync");
    assert_eq!(phone.rules().expect("rules"), Rules::default());

    let got = call("GET", &rules_url, admin, None);
    assert_eq!(got.status, 200, "{}", String::from_utf8_lossy(&got.body));
    assert_eq!(got.json()["rules"]["favour_limit"], json!(500.0));
    let version0 = got.json()["version"].as_u64().expect("version");

    // Under the default limit of 500, a favour of 300 is fine; a visit checked in 700 m
    // away is not verified and one logged 30 hours late is late.
    let favour_before = phone
        .create(&favour(&shared, Some(300.0), "Dinner"))
        .expect("favour");
    let visit_before = phone
        .create(&Visit {
            logged_at: hours_later(at(2026, 9, 21, 10, 0), 30),
            check_in: Some(north_of_plant(700.0, 20.0)),
            ..visit(&plant, at(2026, 9, 21, 10, 0), "Quarterly review")
        })
        .expect("visit");
    phone.sync().expect("sync");
    assert_row(&server, "favours", &favour_before, &["over_limit = FALSE"]);
    assert_row(
        &server,
        "visits",
        &visit_before,
        &["verified = FALSE", "late = TRUE"],
    );

    // Reps and managers may not read or change the rules.
    let rep = login(&server.url, "acme", "a");
    let manager = login(&server.url, "acme", "manager");
    for (who, token) in [
        ("rep", &rep.access_token),
        ("manager", &manager.access_token),
    ] {
        for (method, body) in [("GET", None), ("PATCH", Some(json!({"favour_limit": 1})))] {
            let a = call(method, &rules_url, Some(token.as_str()), body.as_ref());
            assert_eq!(
                a.status,
                403,
                "{who} {method}: {}",
                String::from_utf8_lossy(&a.body)
            );
            assert_eq!(a.error_code(), "forbidden", "{who} {method}");
        }
    }

    // The admin lowers the limit.
    let patched = call(
        "PATCH",
        &rules_url,
        admin,
        Some(&json!({"favour_limit": 100})),
    );
    assert_eq!(
        patched.status,
        200,
        "{}",
        String::from_utf8_lossy(&patched.body)
    );
    let body = patched.json();
    assert_eq!(body["rules"]["favour_limit"], json!(100.0));
    let version1 = body["version"].as_u64().expect("version");
    assert!(version1 > version0);
    let expected = Rules {
        favour_limit: 100.0,
        ..Rules::default()
    };

    // The device's next sync brings the rules; so does a new device's first.
    phone.sync().expect("sync");
    assert_eq!(phone.rules().expect("rules"), expected);
    let tablet = Device::new(&server.url, "acme", "a");
    tablet.sync().expect("sync");
    assert_eq!(tablet.rules().expect("rules"), expected);

    let f = favour(&shared, Some(300.0), "Dinner again");
    assert!(phone.rules().expect("rules").over_limit(&f));
    let favour_after = phone.create(&f).expect("favour");
    let favour_small = phone
        .create(&favour(&shared, Some(90.0), "Courier"))
        .expect("favour");
    phone.sync().expect("sync");
    assert_row(&server, "favours", &favour_after, &["over_limit = TRUE"]);
    assert_row(&server, "favours", &favour_small, &["over_limit = FALSE"]);
    // What was judged under the old rules keeps its judgement.
    assert_row(&server, "favours", &favour_before, &["over_limit = FALSE"]);

    // Nonsense is refused whole, and changes nothing.
    for body in [
        json!({"favour_limit": -1}),
        json!({"favour_limit": "lots"}),
        json!({"favour_limit": null}),
        json!({"favour_limit": 50, "no_such_rule": 5}),
        json!({"checkin_radius_m": 0}),
        json!({"late_after_hours": 0}),
        json!({"late_after_hours": 1.5}),
        json!({"tier_a_min": 10}),
        json!({"cadence_b_days": 400}),
        json!({"weekly_visit_target": -1}),
        json!({"weight_sales": -0.5}),
    ] {
        let a = call("PATCH", &rules_url, admin, Some(&body));
        assert_eq!(
            a.status,
            422,
            "{body}: {}",
            String::from_utf8_lossy(&a.body)
        );
        assert_eq!(a.error_code(), "invalid_input", "{body}");
    }
    let got = call("GET", &rules_url, admin, None).json();
    assert_eq!(got["version"].as_u64(), Some(version1));
    assert_eq!(got["rules"]["favour_limit"], json!(100.0));

    // Check-in radius and late logging follow the rules too.
    let patched = call(
        "PATCH",
        &rules_url,
        admin,
        Some(&json!({"checkin_radius_m": 1000, "late_after_hours": 48})),
    );
    assert_eq!(
        patched.status,
        200,
        "{}",
        String::from_utf8_lossy(&patched.body)
    );
    phone.sync().expect("sync");
    let rules = phone.rules().expect("rules");
    assert_eq!(
        rules,
        Rules {
            checkin_radius_m: 1000.0,
            late_after_hours: 48,
            ..expected
        }
    );
    let visit_after = phone
        .create(&Visit {
            logged_at: hours_later(at(2026, 9, 22, 10, 0), 30),
            check_in: Some(north_of_plant(700.0, 20.0)),
            ..visit(&plant, at(2026, 9, 22, 10, 0), "Quarterly review")
        })
        .expect("visit");
    phone.sync().expect("sync");
    assert_row(
        &server,
        "visits",
        &visit_after,
        &["verified = TRUE", "late = FALSE"],
    );
}

// ----- 6. the due list -----

#[test]
fn the_due_list_shows_visits_next_steps_birthdays_and_holidays() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let shared = co.account_shared.clone();
    let phone = Device::new(&server.url, "acme", "a");
    phone.sync().expect("sync");
    let today = date(2026, 9, 20);

    // Account A (tier D, 90 days) was never visited. The shared one is visited every 14
    // days; it was last visited at 07:30 on 10 September, Shanghai time.
    phone
        .update::<Account>(&shared, |acc| acc.cadence_days = Some(14))
        .expect("cadence");
    let step = |v: Visit, what: &str, due: &str| Visit {
        next_step: Some(what.into()),
        next_step_due: Some(due.into()),
        ..v
    };
    let recent = phone
        .create(&step(
            visit(&shared, at(2026, 9, 10, 7, 30), "Breakfast meeting"),
            "Send the revised quote",
            "2026-09-28",
        ))
        .expect("visit");
    let overdue = phone
        .create(&step(
            visit(&shared, at(2026, 8, 20, 10, 0), "Trial order"),
            "Call back about the trial order",
            "2026-09-05",
        ))
        .expect("visit");
    phone
        .create(&step(
            visit(&shared, at(2026, 8, 1, 10, 0), "Long ago"),
            "Forgotten",
            "2026-08-10",
        ))
        .expect("visit");
    phone
        .create(&step(
            visit(&shared, at(2026, 8, 25, 10, 0), "Planning"),
            "Annual review",
            "2026-10-20",
        ))
        .expect("visit");
    phone
        .create(&Visit {
            next_step: None,
            next_step_due: Some("2026-09-22".into()),
            ..visit(&shared, at(2026, 8, 26, 10, 0), "No step")
        })
        .expect("visit");

    // Zhou's birthday is the 20th of the 8th lunar month: 30 September in 2026.
    let lunar = Birthday {
        calendar: Calendar::Lunar,
        month: 8,
        day: 20,
        leap_month: false,
    };
    assert_eq!(
        model::calendar::next_birthday(lunar, today, 14),
        Some(date(2026, 9, 30))
    );
    let card = |b: Birthday| {
        Some(VipCard {
            birthday: Some(b),
            ..Default::default()
        })
    };
    let zhou = phone
        .create(&Contact {
            key_contact: true,
            vip_card: card(lunar),
            ..contact(&shared, "Zhou Min")
        })
        .expect("contact");
    // Not within the fortnight: a Christmas birthday; a contact without a card; and a
    // removed contact whose birthday would be.
    phone
        .create(&Contact {
            vip_card: card(Birthday {
                calendar: Calendar::Solar,
                month: 12,
                day: 25,
                leap_month: false,
            }),
            ..contact(&co.account_a, "Wang Fang")
        })
        .expect("contact");
    phone
        .create(&contact(&co.account_a, "Chen Jie"))
        .expect("contact");
    let removed = phone
        .create(&Contact {
            vip_card: card(Birthday {
                calendar: Calendar::Solar,
                month: 9,
                day: 26,
                leap_month: false,
            }),
            ..contact(&shared, "Sun Li")
        })
        .expect("contact");
    phone.remove::<Contact>(&removed).expect("remove");

    let due = phone.due(today, 14).expect("due");
    let shared_name = Some("Haorun Foods".to_owned());
    let never_visited = DueItem {
        date: today,
        what: Due::Visit {
            last_visit: None,
            cadence_days: 90,
        },
        account_id: Some(co.account_a.clone()),
        account_name: Some("Huadong Steel".into()),
    };
    let next_step = DueItem {
        date: date(2026, 9, 28),
        what: Due::NextStep {
            visit_id: recent.clone(),
            step: "Send the revised quote".into(),
        },
        account_id: Some(shared.clone()),
        account_name: shared_name.clone(),
    };
    let late_step = DueItem {
        date: date(2026, 9, 5),
        what: Due::NextStep {
            visit_id: overdue.clone(),
            step: "Call back about the trial order".into(),
        },
        account_id: Some(shared.clone()),
        account_name: shared_name.clone(),
    };
    let birthday = DueItem {
        date: date(2026, 9, 30),
        what: Due::Birthday {
            contact_id: zhou.clone(),
            contact_name: "Zhou Min".into(),
        },
        account_id: Some(shared.clone()),
        account_name: shared_name.clone(),
    };
    let holiday = |d: NaiveDate, o: Occasion| DueItem {
        date: d,
        what: Due::Holiday(o),
        account_id: None,
        account_name: None,
    };
    let mid_autumn = holiday(date(2026, 9, 25), Occasion::MidAutumn);
    let national_day = holiday(date(2026, 10, 1), Occasion::NationalDay);
    for (what, item) in [
        ("the never-visited account", &never_visited),
        ("the next step due", &next_step),
        ("the next step 15 days late", &late_step),
        ("the lunar birthday", &birthday),
        ("Mid-Autumn", &mid_autumn),
        ("National Day", &national_day),
    ] {
        assert!(due.contains(item), "{what} is not listed: {due:#?}");
    }
    // The shared account falls due 14 days after the day of its last visit, as the rep
    // lived it (10 September in Shanghai), not the UTC date of that morning.
    let cadence = DueItem {
        date: date(2026, 9, 24),
        what: Due::Visit {
            last_visit: Some(date(2026, 9, 10)),
            cadence_days: 14,
        },
        account_id: Some(shared.clone()),
        account_name: shared_name.clone(),
    };
    assert_eq!(
        due,
        vec![
            late_step,
            never_visited,
            cadence,
            mid_autumn,
            next_step,
            birthday,
            national_day,
        ],
        "the whole list, soonest first"
    );
}
