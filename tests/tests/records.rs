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

/// A record a rep created on the phone, with the id its document got.
struct Logged<R> {
    id: String,
    record: R,
}

impl<R: Record> Logged<R> {
    /// Creates `record` on `device`; `what` names it in a failure.
    fn create(device: &Device, what: &str, record: R) -> Logged<R> {
        let id = device
            .create(&record)
            .unwrap_or_else(|e| panic!("{what} offline: {e:?}"));
        Logged { id, record }
    }
}

/// Everything rep A logs with the server down: two contacts, an opportunity, and the
/// visits, favours, intel, reports, greetings and events around them, plus A's part of
/// the shared account.
struct OfflineDay {
    zhou: Logged<Contact>,
    li: Logged<Contact>,
    opportunity: Logged<Opportunity>,
    near: Logged<Visit>,
    far: Logged<Visit>,
    vague: Logged<Visit>,
    late: Logged<Visit>,
    big: Logged<Favour>,
    at_limit: Logged<Favour>,
    small: Logged<Favour>,
    no_value: Logged<Favour>,
    intel: Logged<Intel>,
    shipments: Logged<InfoReport>,
    feedback: Logged<InfoReport>,
    holiday: Logged<Greeting>,
    birthday: Logged<Greeting>,
    first_thought: Logged<RelationshipEvent>,
    best_display: Logged<RelationshipEvent>,
    account: Account,
}

impl OfflineDay {
    /// Logs the whole day on `a`, about the `shared` account and the located `plant`.
    fn log(a: &Device, shared: &str, plant: &str) -> OfflineDay {
        let (zhou, li) = zhou_and_li(shared);
        let zhou = Logged::create(a, "contact", zhou);
        let li = Logged::create(a, "contact", li);
        let opportunity = line_3_opportunity(shared, &zhou.id, &li.id);
        let opportunity = Logged::create(a, "opportunity", opportunity);
        let [near, far, vague, late] =
            visits_around_the_plant(plant, &zhou.id, &li.id).map(|v| Logged::create(a, "visit", v));
        let [big, at_limit, small, no_value] = favours_around_the_limit(shared, &zhou.id, &li.id)
            .map(|f| Logged::create(a, "favour", f));
        let intel = Logged::create(a, "intel", baosteel_intel(shared, &li.id));
        let [shipments, feedback] =
            info_reports(shared, &zhou.id).map(|r| Logged::create(a, "info", r));
        let [holiday, birthday] =
            greetings(shared, &zhou.id).map(|g| Logged::create(a, "greeting", g));
        let [first_thought, best_display] =
            relationship_events(shared, &zhou.id).map(|e| Logged::create(a, "event", e));
        let account = edit_account_offline(a, shared);
        OfflineDay {
            zhou,
            li,
            opportunity,
            near,
            far,
            vague,
            late,
            big,
            at_limit,
            small,
            no_value,
            intel,
            shipments,
            feedback,
            holiday,
            birthday,
            first_thought,
            best_display,
            account,
        }
    }

    /// Every device holds every record of the day, field for field.
    fn assert_held_by(&self, devices: &[&Device], shared: &str) {
        assert_same(devices, &self.zhou.id, &self.zhou.record);
        assert_same(devices, &self.li.id, &self.li.record);
        assert_same(devices, &self.opportunity.id, &self.opportunity.record);
        for v in [&self.near, &self.far, &self.vague, &self.late] {
            assert_same(devices, &v.id, &v.record);
        }
        for f in [&self.big, &self.at_limit, &self.small, &self.no_value] {
            assert_same(devices, &f.id, &f.record);
        }
        assert_same(devices, &self.intel.id, &self.intel.record);
        assert_same(devices, &self.shipments.id, &self.shipments.record);
        assert_same(devices, &self.feedback.id, &self.feedback.record);
        assert_same(devices, &self.holiday.id, &self.holiday.record);
        assert_same(devices, &self.birthday.id, &self.birthday.record);
        assert_same(devices, &self.first_thought.id, &self.first_thought.record);
        assert_same(devices, &self.best_display.id, &self.best_display.record);
        assert_same(devices, shared, &self.account);
    }

    /// The ids of the day's records that appear on an account's timeline.
    fn timeline_ids(&self) -> [&String; 18] {
        [
            &self.zhou.id,
            &self.li.id,
            &self.opportunity.id,
            &self.near.id,
            &self.far.id,
            &self.vague.id,
            &self.late.id,
            &self.big.id,
            &self.at_limit.id,
            &self.small.id,
            &self.no_value.id,
            &self.intel.id,
            &self.shipments.id,
            &self.feedback.id,
            &self.holiday.id,
            &self.birthday.id,
            &self.first_thought.id,
            &self.best_display.id,
        ]
    }
}

/// Zhou Min, the purchasing director with a full VIP card, and Li Qiang, a line engineer
/// whose card holds only a birthday.
fn zhou_and_li(shared: &str) -> (Contact, Contact) {
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
        ..contact(shared, "Zhou Min")
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
        ..contact(shared, "Li Qiang")
    };
    (zhou, li)
}

/// An open opportunity with every assessment step judged and both contacts in roles.
fn line_3_opportunity(shared: &str, zhou_id: &str, li_id: &str) -> Opportunity {
    Opportunity {
        account_id: shared.to_owned(),
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
            user: vec![li_id.to_owned()],
            technical_gatekeeper: vec![li_id.to_owned()],
            coach: vec![zhou_id.to_owned()],
            decision_maker: vec![zhou_id.to_owned()],
        },
        notes: "decision in November".into(),
        deleted: false,
    }
}

/// Visits to the plant: checked in 300 m from it (near); 7 km away (far); nearby with a
/// vague fix (vague); and one logged 30 hours after it happened (late).
fn visits_around_the_plant(plant: &str, zhou_id: &str, li_id: &str) -> [Visit; 4] {
    let near = Visit {
        notes: "walked the line with Li".into(),
        contacts_met: vec![zhou_id.to_owned(), li_id.to_owned()],
        check_in: Some(north_of_plant(300.0, 20.0)),
        spin: vec![Spin::Situation, Spin::Problem, Spin::NeedPayoff],
        objections: vec![Objection::NoBudget],
        signals: vec![Signal::NextStep, Signal::TechnicalExchange],
        next_step: Some("Technical exchange with the plant engineers".into()),
        next_step_due: Some("2026-09-30".into()),
        ..visit(plant, at(2026, 9, 21, 10, 0), "Line 3 walk-through")
    };
    let far = Visit {
        check_in: Some(north_of_plant(7_000.0, 15.0)),
        ..visit(plant, at(2026, 9, 22, 14, 0), "Lunch near the office")
    };
    let vague = Visit {
        check_in: Some(north_of_plant(50.0, 2_000.0)),
        ..visit(plant, at(2026, 9, 22, 16, 0), "Delivered samples")
    };
    let late = Visit {
        logged_at: hours_later(at(2026, 9, 23, 9, 0), 30),
        check_in: Some(north_of_plant(100.0, 10.0)),
        ..visit(plant, at(2026, 9, 23, 9, 0), "Quarterly review")
    };
    [near, far, vague, late]
}

/// Favours around the default limit of 500: over it (big), at it, under it (small), and
/// one without a value.
fn favours_around_the_limit(shared: &str, zhou_id: &str, li_id: &str) -> [Favour; 4] {
    let big = Favour {
        contact_id: Some(zhou_id.to_owned()),
        ..favour(shared, Some(650.0), "Dinner for the purchasing team")
    };
    let at_limit = favour(shared, Some(500.0), "Mid-Autumn mooncake box");
    let small = Favour {
        kind: FavourKind::Business,
        ..favour(shared, Some(120.0), "Courier for urgent samples")
    };
    let no_value = Favour {
        kind: FavourKind::Business,
        contact_id: Some(li_id.to_owned()),
        ..favour(shared, None, "Introduced a logistics supplier")
    };
    [big, at_limit, small, no_value]
}

/// A competitor's quote that Li passed on.
fn baosteel_intel(shared: &str, li_id: &str) -> Intel {
    Intel {
        account_id: shared.to_owned(),
        competitor: "Baosteel Trading".into(),
        product: Some("Coil coating line".into()),
        price: Some(42.5),
        observation: "quoted 5% under us, delivery in 8 weeks".into(),
        source_contact_id: Some(li_id.to_owned()),
        confidence: Confidence::High,
        occurred_at: at(2026, 9, 21, 11, 0),
        deleted: false,
    }
}

/// A shipments figure from Zhou, and consumer feedback without a figure or a contact.
fn info_reports(shared: &str, zhou_id: &str) -> [InfoReport; 2] {
    let shipments = InfoReport {
        account_id: shared.to_owned(),
        kind: InfoKind::Shipments,
        figure: Some(1200.0),
        unit: Some("tonnes".into()),
        details: "September shipments, up 8% on August".into(),
        contact_id: Some(zhou_id.to_owned()),
        occurred_at: at(2026, 9, 21, 11, 30),
        deleted: false,
    };
    let feedback = InfoReport {
        account_id: shared.to_owned(),
        kind: InfoKind::ConsumerFeedback,
        figure: None,
        unit: None,
        details: "supermarkets report the new lids leak".into(),
        contact_id: None,
        occurred_at: at(2026, 9, 22, 10, 0),
        deleted: false,
    };
    [shipments, feedback]
}

/// A Mid-Autumn greeting to the whole team, and a birthday gift to Zhou.
fn greetings(shared: &str, zhou_id: &str) -> [Greeting; 2] {
    let holiday = Greeting {
        account_id: shared.to_owned(),
        contact_id: None,
        occasion: Occasion::MidAutumn,
        channel: Channel::WeChat,
        occurred_at: at(2026, 9, 25, 9, 0),
        notes: "sent to the whole purchasing team".into(),
        deleted: false,
    };
    let birthday = Greeting {
        account_id: shared.to_owned(),
        contact_id: Some(zhou_id.to_owned()),
        occasion: Occasion::Birthday,
        channel: Channel::Gift,
        occurred_at: at(2026, 9, 30, 9, 0),
        notes: "tea set".into(),
        deleted: false,
    };
    [holiday, birthday]
}

/// Zhou thinking of us first, and our best display at the plant.
fn relationship_events(shared: &str, zhou_id: &str) -> [RelationshipEvent; 2] {
    let first_thought = RelationshipEvent {
        account_id: shared.to_owned(),
        kind: EventKind::FirstThought,
        description: "called us first about the new plant".into(),
        contact_id: Some(zhou_id.to_owned()),
        occurred_at: at(2026, 9, 24, 15, 0),
        deleted: false,
    };
    let best_display = RelationshipEvent {
        account_id: shared.to_owned(),
        kind: EventKind::BestDisplay,
        description: "our banner at the canteen entrance".into(),
        contact_id: None,
        occurred_at: at(2026, 9, 24, 16, 0),
        deleted: false,
    };
    [first_thought, best_display]
}

/// The rep's part of the account: value metrics (score 0.4·100 + 0.3·20 + 0.2·30 +
/// 0.1·10 = 53 for the latest period: tier B), cadence, scorecard, stage.
fn edit_account_offline(a: &Device, shared: &str) -> Account {
    a.update::<Account>(shared, |acc| {
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
    .expect("account edit offline")
}

/// Rows of `account`'s stage events that satisfy `cond` (an `AND …` clause, or nothing).
fn stage_events(server: &TestServer, account: &str, cond: &str) -> i64 {
    server.count(&format!(
        "SELECT COUNT(*) FROM stage_events WHERE account_id = '{account}' {cond}"
    ))
}

/// The read model of the day's contacts and opportunity, with its roles.
fn assert_contact_and_opportunity_rows(
    server: &TestServer,
    day: &OfflineDay,
    by_a: &str,
    shared: &str,
) {
    let on_shared = format!("account_id = '{shared}'");
    assert_row(
        server,
        "contacts",
        &day.zhou.id,
        &[
            by_a,
            &on_shared,
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
        server,
        "contacts",
        &day.li.id,
        &[
            by_a,
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
        server,
        "opportunities",
        &day.opportunity.id,
        &[
            by_a,
            &on_shared,
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
            "SELECT COUNT(*) FROM opportunity_roles WHERE opportunity_id = '{}' {cond}",
            day.opportunity.id
        ))
    };
    assert_eq!(roles_of(""), 4);
    for (role, who) in [
        ("user", &day.li.id),
        ("technical_gatekeeper", &day.li.id),
        ("coach", &day.zhou.id),
        ("decision_maker", &day.zhou.id),
    ] {
        assert_eq!(
            roles_of(&format!("AND role = '{role}' AND contact_id = '{who}'")),
            1,
            "{role}"
        );
    }
}

/// The read model of the day's visits: verified and late as the check-ins make them,
/// with their marks and the contacts met.
fn assert_visit_rows(server: &TestServer, day: &OfflineDay, by_a: &str, plant: &str) {
    let (near_id, far_id) = (&day.near.id, &day.far.id);
    assert_row(
        server,
        "visits",
        near_id,
        &[
            by_a,
            &format!("account_id = '{plant}'"),
            "verified = TRUE",
            "late = FALSE",
            "next_step = 'Technical exchange with the plant engineers'",
            "next_step_due = '2026-09-30'",
            "deleted = FALSE",
        ],
    );
    assert_row(
        server,
        "visits",
        far_id,
        &["verified = FALSE", "late = FALSE"],
    );
    assert_row(
        server,
        "visits",
        &day.vague.id,
        &["verified = FALSE", "late = FALSE"],
    );
    assert_row(
        server,
        "visits",
        &day.late.id,
        &["verified = TRUE", "late = TRUE"],
    );
    let marks = |visit: &str, cond: &str| {
        server.count(&format!(
            "SELECT COUNT(*) FROM visit_marks WHERE visit_id = '{visit}' {cond}"
        ))
    };
    assert_eq!(marks(near_id, ""), 6);
    for mark in [
        "spin:situation",
        "spin:problem",
        "spin:need_payoff",
        "objection:no_budget",
        "signal:next_step",
        "signal:technical_exchange",
    ] {
        assert_eq!(marks(near_id, &format!("AND mark = '{mark}'")), 1, "{mark}");
    }
    assert_eq!(marks(far_id, ""), 0);
    assert_eq!(
        server.count(&format!(
            "SELECT COUNT(*) FROM visit_contacts WHERE visit_id = '{near_id}'
             AND contact_id IN ('{}', '{}')",
            day.zhou.id, day.li.id
        )),
        2
    );
}

/// The read model of the day's favours: only the one over the limit is flagged.
fn assert_favour_rows(server: &TestServer, day: &OfflineDay, by_a: &str, shared: &str) {
    assert_row(
        server,
        "favours",
        &day.big.id,
        &[
            by_a,
            &format!("account_id = '{shared}'"),
            "over_limit = TRUE",
            "value = 650",
            "kind = 'personal'",
            &format!("contact_id = '{}'", day.zhou.id),
            "description = 'Dinner for the purchasing team'",
        ],
    );
    assert_row(
        server,
        "favours",
        &day.at_limit.id,
        &["over_limit = FALSE", "value = 500"],
    );
    assert_row(
        server,
        "favours",
        &day.small.id,
        &["over_limit = FALSE", "value = 120", "kind = 'business'"],
    );
    assert_row(
        server,
        "favours",
        &day.no_value.id,
        &[
            "over_limit = FALSE",
            "value IS NULL",
            &format!("contact_id = '{}'", day.li.id),
        ],
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM favours WHERE over_limit = TRUE"),
        1
    );
}

/// The read model of the day's intel, information reports, greetings and relationship
/// events.
fn assert_report_rows(server: &TestServer, day: &OfflineDay, by_a: &str, shared: &str) {
    let (zhou_id, li_id) = (&day.zhou.id, &day.li.id);
    assert_row(
        server,
        "intel",
        &day.intel.id,
        &[
            by_a,
            &format!("account_id = '{shared}'"),
            "competitor = 'Baosteel Trading'",
            "product = 'Coil coating line'",
            "price = 42.5",
            "confidence = 'high'",
            &format!("source_contact_id = '{li_id}'"),
            &format!("occurred_at = {}", day.intel.record.occurred_at.utc_ms),
        ],
    );
    assert_row(
        server,
        "info_reports",
        &day.shipments.id,
        &[
            by_a,
            "kind = 'shipments'",
            "figure = 1200",
            "unit = 'tonnes'",
            &format!("contact_id = '{zhou_id}'"),
        ],
    );
    assert_row(
        server,
        "info_reports",
        &day.feedback.id,
        &[
            "kind = 'consumer_feedback'",
            "figure IS NULL",
            "contact_id IS NULL",
        ],
    );
    assert_row(
        server,
        "greetings",
        &day.holiday.id,
        &[
            by_a,
            "occasion = 'mid_autumn'",
            "channel = 'wechat'",
            "contact_id IS NULL",
        ],
    );
    assert_row(
        server,
        "greetings",
        &day.birthday.id,
        &[
            "occasion = 'birthday'",
            "channel = 'gift'",
            &format!("contact_id = '{zhou_id}'"),
        ],
    );
    assert_row(
        server,
        "relationship_events",
        &day.first_thought.id,
        &[
            by_a,
            "kind = 'first_thought'",
            &format!("contact_id = '{zhou_id}'"),
        ],
    );
    assert_row(
        server,
        "relationship_events",
        &day.best_display.id,
        &["kind = 'best_display'", "contact_id IS NULL"],
    );
}

/// The read model of the shared account after A's offline edit: tier B from the value
/// score, the rep's fields, both periods' metrics and the first stage event.
fn assert_account_rows(server: &TestServer, shared: &str, a_id: &str) {
    assert_row(
        server,
        "accounts",
        shared,
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
    assert_eq!(stage_events(server, shared, ""), 1);
    assert_eq!(
        stage_events(
            server,
            shared,
            &format!("AND from_stage IS NULL AND to_stage = 'initial' AND by_user = '{a_id}'")
        ),
        1
    );
}

/// Online now: A sets the tier by hand and moves the stage on; then B moves it again.
/// Both devices agree at each step and every move is a stage event by its mover.
fn both_reps_move_the_stage_online(
    server: &TestServer,
    a: &Device,
    b: &Device,
    shared: &str,
    co: &Company,
) {
    let (a_id, b_id) = (co.user_id("a"), co.user_id("b"));
    let both = [a, b];
    let account = a
        .update::<Account>(shared, |acc| {
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
    assert_same(&both, shared, &account);
    assert_row(
        server,
        "accounts",
        shared,
        &["tier = 'a'", "stage = 'intermediate'"],
    );
    let account = b
        .update::<Account>(shared, |acc| {
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
    assert_same(&both, shared, &account);
    assert_eq!(account.stage_history.len(), 3);
    assert_row(server, "accounts", shared, &["stage = 'advanced'"]);
    assert_eq!(stage_events(server, shared, ""), 3);
    assert_eq!(
        stage_events(
            server,
            shared,
            &format!(
                "AND from_stage = 'initial' AND to_stage = 'intermediate' AND by_user = '{a_id}'"
            )
        ),
        1
    );
    assert_eq!(
        stage_events(
            server,
            shared,
            &format!(
                "AND from_stage = 'intermediate' AND to_stage = 'advanced' AND by_user = '{b_id}'"
            )
        ),
        1
    );
}

#[test]
fn every_kind_logged_offline_reaches_a_teammate_identical_and_the_read_model_right() {
    let mut server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let plant = located_account(&server, &co, "Haorun Foods Plant 2");
    let shared = co.account_shared.clone();
    let a = Device::new(&server.url, "acme", "a");
    let b = Device::new(&server.url, "acme", "b");
    a.sync().expect("first sync");
    b.sync().expect("first sync");
    let located = a.get::<Account>(&plant).expect("the located account");
    assert!(located.location.is_some(), "{located:?}");

    // Everything is logged with the server down.
    server.kill();
    let day = OfflineDay::log(&a, &shared, &plant);
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
    day.assert_held_by(&[&a, &b], &shared);
    // B's timelines hold every record.
    let timeline: Vec<String> = b
        .timeline(&shared)
        .expect("timeline")
        .into_iter()
        .chain(b.timeline(&plant).expect("timeline"))
        .map(|r| r.id)
        .collect();
    assert_eq!(timeline.len(), 18, "{timeline:?}");
    for id in day.timeline_ids() {
        assert!(timeline.contains(id), "{id} missing from B's timeline");
    }

    // The read model.
    let by_a = format!("author_id = '{}'", co.user_id("a"));
    assert_contact_and_opportunity_rows(&server, &day, &by_a, &shared);
    assert_visit_rows(&server, &day, &by_a, &plant);
    assert_favour_rows(&server, &day, &by_a, &shared);
    assert_report_rows(&server, &day, &by_a, &shared);
    assert_account_rows(&server, &shared, co.user_id("a"));

    both_reps_move_the_stage_online(&server, &a, &b, &shared, &co);
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

/// What the server stores: its fingerprint and the read model's row counts.
type Stored = (Vec<i64>, Vec<(&'static str, i64)>);

/// Valid records of each kind the validation cases break one way each.
struct GoodRecords {
    visit: Visit,
    opportunity: Opportunity,
    favour: Favour,
    intel: Intel,
    greeting: Greeting,
    contact: Contact,
}

impl GoodRecords {
    /// One valid record of each kind on the `shared` account, dated `when`.
    fn on(shared: &str, when: LocalTime) -> GoodRecords {
        GoodRecords {
            visit: visit(shared, when, "Quarterly review"),
            opportunity: Opportunity {
                account_id: shared.to_owned(),
                name: "Line 3 packaging upgrade".into(),
                value: Some(250_000.0),
                ..Default::default()
            },
            favour: favour(shared, Some(80.0), "Courier for urgent samples"),
            intel: Intel {
                account_id: shared.to_owned(),
                competitor: "Baosteel Trading".into(),
                observation: "quoted 5% under us".into(),
                occurred_at: when,
                ..Default::default()
            },
            greeting: Greeting {
                account_id: shared.to_owned(),
                occasion: Occasion::MidAutumn,
                channel: Channel::WeChat,
                occurred_at: when,
                ..Default::default()
            },
            contact: Contact {
                vip_card: Some(VipCard {
                    birthday: Some(Birthday {
                        calendar: Calendar::Lunar,
                        month: 8,
                        day: 20,
                        leap_month: false,
                    }),
                    ..Default::default()
                }),
                ..contact(shared, "Zhou Min")
            },
        }
    }
}

/// Rep A pushing hand-built documents, with the problems found so far; they are reported
/// together at the end so that one does not hide the others.
struct Validation<'a> {
    server: &'a TestServer,
    rep: Session,
    problems: Vec<String>,
}

impl Validation<'_> {
    /// The actor of rep A's session, as a device of A's writes changes.
    fn me(&self) -> ActorId {
        actor(&self.rep)
    }

    /// What the server stores now.
    fn snapshot(&self) -> Stored {
        (self.server.fingerprint(), read_model(self.server))
    }

    /// Notes a problem unless `outcome` is a rejection with `code` whose reason names
    /// `field`, that left what the server stores as it was `before` and the server well.
    fn expect_rejection(
        &mut self,
        what: &str,
        outcome: Result<Outcome, String>,
        code: &str,
        field: Option<&str>,
        before: &Stored,
    ) {
        match outcome {
            Ok(Outcome::Rejected { code: c, reason }) => {
                if c != code {
                    self.problems
                        .push(format!("{what}: rejected as {c} ({reason}), not {code}"));
                }
                if let Some(f) = field
                    && !reason.contains(f)
                {
                    self.problems
                        .push(format!("{what}: the reason {reason:?} does not name {f}"));
                }
            }
            Ok(Outcome::Accepted) => self.problems.push(format!("{what}: accepted")),
            Err(e) => self.problems.push(format!("{what}: {e}")),
        }
        let after = self.snapshot();
        if &after != before {
            self.problems.push(format!(
                "{what} changed what the server stores: {before:?} -> {after:?}"
            ));
        }
        if !self.server.is_healthy() {
            self.problems
                .push(format!("the server is unwell after {what}"));
        }
    }

    /// Pushes `changes` to the account `id`, of which `doc` is the replica, and expects
    /// them rejected as `code`, naming `field`.
    fn reject_account_edit(
        &mut self,
        id: &str,
        doc: &mut AutoCommit,
        what: &str,
        changes: Vec<Change>,
        code: &str,
        field: Option<&str>,
    ) {
        let before = self.snapshot();
        let outcome = push_edit(self.server, &self.rep, id, doc, changes);
        self.expect_rejection(what, outcome, code, field, &before);
    }

    /// Fails the test with every problem found.
    fn finish(self) {
        assert!(
            self.problems.is_empty(),
            "{} problem(s):\n{}",
            self.problems.len(),
            self.problems.join("\n")
        );
    }
}

/// New documents whose fields hold a value of the wrong type or outside their kind's set.
fn mistyped_new_documents(me: impl Fn() -> ActorId, good: &GoodRecords) -> Vec<NewCase> {
    vec![
        (
            "an opportunity whose value is a string",
            "opportunity",
            raw_new(me(), &good.opportunity, |d| {
                d.put(ROOT, "value", "250000").expect("put");
            }),
            "invalid_document",
            Some("value"),
        ),
        (
            "a visit whose duration is a float",
            "visit",
            raw_new(me(), &good.visit, |d| {
                d.put(ROOT, "duration_min", 45.5).expect("put");
            }),
            "invalid_document",
            Some("duration_min"),
        ),
        (
            "a favour of kind Bribe",
            "favour",
            raw_new(me(), &good.favour, |d| {
                d.put(ROOT, "kind", "Bribe").expect("put");
            }),
            "invalid_document",
            Some("kind"),
        ),
        (
            "a greeting for Halloween",
            "greeting",
            raw_new(me(), &good.greeting, |d| {
                d.put(ROOT, "occasion", "Halloween").expect("put");
            }),
            "invalid_document",
            Some("occasion"),
        ),
        (
            "an opportunity of status Pending",
            "opportunity",
            raw_new(me(), &good.opportunity, |d| {
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
                    ..good.visit.clone()
                },
                |d| {
                    let list = d.get(ROOT, "signals").expect("get").expect("signals").1;
                    d.put(&list, 0, "SignedTheContract").expect("put");
                },
            ),
            "invalid_document",
            Some("signals"),
        ),
    ]
}

/// New documents missing a required field, holding an impossible value, or placed on
/// another company's account.
fn incomplete_or_foreign_new_documents(
    me: impl Fn() -> ActorId,
    good: &GoodRecords,
    other: &Company,
    when: LocalTime,
) -> Vec<NewCase> {
    vec![
        (
            "an intel without a competitor",
            "competitor_intel",
            raw_new(me(), &good.intel, |d| {
                d.delete(ROOT, "competitor").expect("delete");
            }),
            "invalid_document",
            Some("competitor"),
        ),
        (
            "a favour without a description",
            "favour",
            raw_new(me(), &good.favour, |d| {
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
                    ..good.greeting.clone()
                },
                |_| {},
            ),
            "invalid_document",
            Some("contact_id"),
        ),
        (
            "a VIP card birthday on the 13th month",
            "contact",
            raw_new(me(), &good.contact, |d| {
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
    ]
}

/// Control: the same raw documents, untouched, are valid records. Returns the stored
/// visit's id and document, for the edits that follow.
fn good_documents_are_accepted(v: &Validation, good: &GoodRecords) -> (String, AutoCommit) {
    let me = || v.me();
    let visit_id = model::new_id();
    let base_visit = {
        let mut doc = AutoCommit::new().with_actor(me());
        autosurgeon::reconcile(&mut doc, &good.visit).expect("reconcile");
        doc.commit();
        doc
    };
    assert_eq!(
        push(
            v.server,
            &v.rep,
            &visit_id,
            "visit",
            wire(base_visit.clone().get_changes(&[]))
        ),
        Ok(Outcome::Accepted)
    );
    for (kind, changes) in [
        ("opportunity", raw_new(me(), &good.opportunity, |_| {})),
        ("favour", raw_new(me(), &good.favour, |_| {})),
        ("competitor_intel", raw_new(me(), &good.intel, |_| {})),
        ("greeting", raw_new(me(), &good.greeting, |_| {})),
        ("contact", raw_new(me(), &good.contact, |_| {})),
    ] {
        assert_eq!(
            push(v.server, &v.rep, &model::new_id(), kind, changes),
            Ok(Outcome::Accepted),
            "{kind}"
        );
    }
    (visit_id, base_visit)
}

/// A stored visit cannot be moved to another account, the rep's own or another
/// company's; it stays on `shared`.
fn stored_visits_stay_on_their_account(
    v: &mut Validation,
    (visit_id, base_visit): (&str, &AutoCommit),
    to: [&str; 2],
    shared: &str,
) {
    for (what, account) in [
        ("a visit moved to another account", to[0]),
        ("a visit moved to another company's account", to[1]),
    ] {
        let before = v.snapshot();
        let changes = raw_edit::<Visit>(
            base_visit,
            v.me(),
            |visit| visit.account_id = account.to_owned(),
            |_| {},
        );
        let outcome = push(v.server, &v.rep, visit_id, "visit", changes);
        v.expect_rejection(what, outcome, "account_changed", None, &before);
    }
    assert_eq!(
        v.server.text(&format!(
            "SELECT account_id FROM visits WHERE id = '{visit_id}'"
        )),
        shared
    );
}

/// The admin's fields of an account are not a rep's to edit, nor may a rep write metrics
/// for a period that is not one, or a tier or stage outside their sets. The account stays
/// as the admin made it.
fn reps_cannot_break_their_account(v: &mut Validation, account: &str, doc: &mut AutoCommit) {
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
        let changes = raw_edit::<Account>(doc, v.me(), edit, |_| {});
        let what = format!("a rep {what} an account");
        v.reject_account_edit(account, doc, &what, changes, "admin_only", None);
    }
    let bad_periods = [
        "Q3", "2026-13", "2026-Q5", "26-11", "2026/11", "2026-Q3 ", "+026", "-001", "2026-+3",
        "2026-Q+1",
    ];
    for period in bad_periods {
        let changes = raw_edit::<Account>(doc, v.me(), |acc| sales_in(acc, period), |_| {});
        let what = format!("metrics for the period {period:?}");
        v.reject_account_edit(
            account,
            doc,
            &what,
            changes,
            "invalid_document",
            Some("metrics"),
        );
    }
    for (what, field, value) in [
        ("a tier S", "tier_override", "S"),
        ("the stage Married", "stage", "Married"),
    ] {
        let changes = raw_edit::<Account>(
            doc,
            v.me(),
            |_| {},
            |d| {
                d.put(ROOT, field, value).expect("put");
            },
        );
        let what = format!("an account with {what}");
        v.reject_account_edit(
            account,
            doc,
            &what,
            changes,
            "invalid_document",
            Some(field),
        );
    }
    assert_row(
        v.server,
        "accounts",
        account,
        &[
            "name = 'Huadong Steel'",
            "city = 'Shanghai'",
            "lat IS NULL",
            "deleted = FALSE",
            "stage IS NULL",
        ],
    );
}

/// Sets the account's metrics to sales of 100 in `period` alone.
fn sales_in(acc: &mut Account, period: &str) {
    acc.metrics = vec![PeriodMetrics {
        period: period.into(),
        sales: Some(100.0),
        ..Default::default()
    }]
}

/// Control: the rep's own fields of the account are the rep's to edit.
fn the_reps_fields_are_the_reps(v: &Validation, account: &str, doc: &mut AutoCommit) {
    let changes = raw_edit::<Account>(
        doc,
        v.me(),
        |acc| {
            sales_in(acc, "2026-11");
            acc.cadence_days = Some(7);
        },
        |_| {},
    );
    assert_eq!(
        push_edit(v.server, &v.rep, account, doc, changes),
        Ok(Outcome::Accepted)
    );
    assert_row(v.server, "accounts", account, &["cadence_days = 7"]);
    assert_eq!(
        v.server.count(&format!(
            "SELECT COUNT(*) FROM account_metrics WHERE account_id = '{account}' AND period = '2026-11'"
        )),
        1
    );
}

/// The visit `id` is A's in the read model and in the documents table.
#[track_caller]
fn assert_authored_by(server: &TestServer, id: &str, author: &str) {
    for table in ["visits", "documents"] {
        assert_row(server, table, id, &[&format!("author_id = '{author}'")]);
    }
}

/// An author named inside a document: whatever the server makes of the field, the
/// author is who pushed the record, and stays so through a teammate's edit.
fn a_forged_author_is_not_believed(v: &mut Validation, good_visit: &Visit, co: &Company) {
    let (a_id, b_id) = (co.user_id("a"), co.user_id("b"));
    let rep_b = login(&v.server.url, "acme", "b");
    let forged_id = model::new_id();
    let forged = raw_new(v.me(), good_visit, |d| {
        d.put(ROOT, "author_id", b_id).expect("put");
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
    let before = v.snapshot();
    match push(v.server, &v.rep, &forged_id, "visit", forged) {
        Ok(Outcome::Accepted) => {
            assert_authored_by(v.server, &forged_id, a_id);
            // B edits it, naming himself the author.
            let changes = raw_edit::<Visit>(
                &base_forged,
                actor(&rep_b),
                |visit| visit.notes = "B's notes".into(),
                |d| {
                    d.put(ROOT, "author_id", b_id).expect("put");
                },
            );
            let before = v.snapshot();
            match push(v.server, &rep_b, &forged_id, "visit", changes) {
                Ok(Outcome::Accepted) => {}
                Ok(Outcome::Rejected { .. }) => assert_eq!(v.snapshot(), before),
                Err(e) => v
                    .problems
                    .push(format!("B's edit with a forged author: {e}")),
            }
            assert_authored_by(v.server, &forged_id, a_id);
        }
        Ok(Outcome::Rejected { .. }) => assert_eq!(v.snapshot(), before),
        Err(e) => v
            .problems
            .push(format!("a visit with a forged author: {e}")),
    }
    assert_eq!(
        v.server.count(&format!(
            "SELECT COUNT(*) FROM visits WHERE author_id = '{b_id}'"
        )),
        0
    );
}

/// A period in Chinese (第三季度, "third quarter") is not a period either: refused, by
/// the server and by the device library, never a crash.
fn a_chinese_period_is_refused_everywhere(v: &mut Validation, account: &str, doc: &mut AutoCommit) {
    let changes = raw_edit::<Account>(doc, v.me(), |acc| sales_in(acc, "第三季度"), |_| {});
    v.reject_account_edit(
        account,
        doc,
        "metrics for the period \"第三季度\"",
        changes,
        "invalid_document",
        Some("metrics"),
    );
    let device = Device::new(&v.server.url, "acme", "a");
    device.sync().expect("sync");
    for period in ["2026-Q5", "第三季度"] {
        let edit = std::panic::catch_unwind(AssertUnwindSafe(|| {
            device.update::<Account>(account, |acc| {
                acc.metrics.push(PeriodMetrics {
                    period: period.into(),
                    ..Default::default()
                })
            })
        }));
        match edit {
            Ok(Err(rapport_client_core::Error::Invalid(i))) if i.field == "metrics" => {}
            Ok(other) => v.problems.push(format!(
                "the device's edit of the period {period:?}: {other:?}, not invalid metrics"
            )),
            Err(_) => v.problems.push(format!(
                "the device library panicked on the period {period:?}"
            )),
        }
    }
}

#[test]
fn hand_built_bad_documents_are_rejected_with_their_reason_and_change_nothing() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let other = Company::setup(&server, "other");
    let shared = co.account_shared.clone();
    let when = at(2026, 9, 22, 10, 0);
    let good = GoodRecords::on(&shared, when);
    let mut v = Validation {
        server: &server,
        rep: login(&server.url, "acme", "a"),
        problems: Vec::new(),
    };

    // New documents, each broken one way.
    let me = || v.me();
    let new_cases: Vec<NewCase> = mistyped_new_documents(me, &good)
        .into_iter()
        .chain(incomplete_or_foreign_new_documents(me, &good, &other, when))
        .collect();
    for (what, kind, changes, code, field) in new_cases {
        let before = v.snapshot();
        let outcome = push(&server, &v.rep, &model::new_id(), kind, changes);
        v.expect_rejection(what, outcome, code, field, &before);
    }
    // Nothing of the other company was touched either.
    assert_eq!(
        server.count(&format!(
            "SELECT COUNT(*) FROM visits WHERE account_id = '{}'",
            other.account_a
        )),
        0
    );

    let (visit_id, base_visit) = good_documents_are_accepted(&v, &good);
    // Edits of stored records.
    stored_visits_stay_on_their_account(
        &mut v,
        (&visit_id, &base_visit),
        [&co.account_a, &other.account_a],
        &shared,
    );
    // The rep's account, as the server sends it.
    let mut account_doc = pull_document(&server, &v.rep, &co.account_a);
    reps_cannot_break_their_account(&mut v, &co.account_a, &mut account_doc);
    the_reps_fields_are_the_reps(&v, &co.account_a, &mut account_doc);
    a_forged_author_is_not_believed(&mut v, &good.visit, &co);
    a_chinese_period_is_refused_everywhere(&mut v, &co.account_a, &mut account_doc);
    v.finish();
}

// ----- 4. tombstones -----

/// The records a rep logs on an account, some to be removed and some kept.
struct Removal {
    zhou_id: String,
    liu_id: String,
    visit_gone_id: String,
    visit_kept_id: String,
    favour_gone_id: String,
    favour_kept_id: String,
    opportunity_gone_id: String,
    intel_gone_id: String,
}

impl Removal {
    /// Logs the records on `phone`: two contacts, two visits (the one to go with a next
    /// step), two favours, an opportunity naming Zhou and an intel.
    fn log(phone: &Device, shared: &str) -> Removal {
        let zhou_id = phone.create(&contact(shared, "Zhou Min")).expect("contact");
        let liu_id = phone.create(&contact(shared, "Liu Yang")).expect("contact");
        let visit_gone = Visit {
            next_step: Some("Send the revised quote".into()),
            next_step_due: Some("2026-09-25".into()),
            ..visit(shared, at(2026, 9, 21, 10, 0), "Quarterly review")
        };
        let visit_gone_id = phone.create(&visit_gone).expect("visit");
        let visit_kept_id = phone
            .create(&visit(shared, at(2026, 9, 22, 10, 0), "Plant tour"))
            .expect("visit");
        let favour_gone_id = phone
            .create(&favour(shared, Some(650.0), "Dinner"))
            .expect("favour");
        let favour_kept_id = phone
            .create(&favour(shared, Some(80.0), "Courier"))
            .expect("favour");
        let opportunity_gone_id = phone
            .create(&Opportunity {
                account_id: shared.to_owned(),
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
                account_id: shared.to_owned(),
                competitor: "Baosteel Trading".into(),
                observation: "quoted 5% under us".into(),
                occurred_at: at(2026, 9, 22, 11, 0),
                ..Default::default()
            })
            .expect("intel");
        Removal {
            zhou_id,
            liu_id,
            visit_gone_id,
            visit_kept_id,
            favour_gone_id,
            favour_kept_id,
            opportunity_gone_id,
            intel_gone_id,
        }
    }

    /// The ids of the records that are removed.
    fn gone(&self) -> [&String; 5] {
        [
            &self.visit_gone_id,
            &self.zhou_id,
            &self.favour_gone_id,
            &self.opportunity_gone_id,
            &self.intel_gone_id,
        ]
    }

    /// Whether `device`'s due list from 20 September holds the removable visit's next step.
    fn step_is_due(&self, device: &Device) -> bool {
        device
            .due(date(2026, 9, 20), 14)
            .expect("due")
            .iter()
            .any(|i| matches!(&i.what, Due::NextStep { visit_id, .. } if *visit_id == self.visit_gone_id))
    }

    /// A's phone removes the visit, the contact, the favour (while A's tablet edits it,
    /// offline), the opportunity and the intel. (Only a record's author, a manager or an
    /// admin removes it: see authorship.rs.)
    fn remove(&self, phone: &Device, tablet: &Device, shared: &str) {
        phone.remove::<Visit>(&self.visit_gone_id).expect("remove");
        phone.remove::<Contact>(&self.zhou_id).expect("remove");
        phone
            .remove::<Favour>(&self.favour_gone_id)
            .expect("remove");
        tablet
            .update::<Favour>(&self.favour_gone_id, |f| {
                f.description = "Dinner for the purchasing team".into()
            })
            .expect("edit");
        phone
            .remove::<Opportunity>(&self.opportunity_gone_id)
            .expect("remove");
        phone.remove::<Intel>(&self.intel_gone_id).expect("remove");
        // Gone from the remover's lists at once.
        assert!(
            phone
                .list::<Visit>(Some(shared))
                .expect("list")
                .iter()
                .all(|i| i.id != self.visit_gone_id)
        );
    }

    /// Device `n` lists only the kept records, and still reads the removed ones as
    /// tombstones.
    fn assert_device(&self, n: usize, d: &Device, shared: &str) {
        let timeline: Vec<String> = d
            .timeline(shared)
            .expect("timeline")
            .into_iter()
            .map(|r| r.id)
            .collect();
        for id in self.gone() {
            assert!(
                !timeline.contains(id),
                "device {n}: {id} still in the timeline"
            );
        }
        for id in [&self.liu_id, &self.visit_kept_id, &self.favour_kept_id] {
            assert!(timeline.contains(id), "device {n}: {id} lost");
        }
        assert_eq!(timeline.len(), 3, "device {n}: {timeline:?}");
        assert_eq!(
            ids(d.list::<Visit>(Some(shared)).expect("list")),
            vec![self.visit_kept_id.clone()],
            "device {n}"
        );
        assert_eq!(
            ids(d.list::<Favour>(None).expect("list")),
            vec![self.favour_kept_id.clone()],
            "device {n}"
        );
        assert_eq!(
            ids(d.list::<Contact>(Some(shared)).expect("list")),
            vec![self.liu_id.clone()],
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
        self.assert_tombstones(n, d);
    }

    /// Tombstones, not lost history: the records still read on device `n`, marked
    /// removed; and a removed visit's next step is no longer due.
    fn assert_tombstones(&self, n: usize, d: &Device) {
        assert!(d.get::<Visit>(&self.visit_gone_id).expect("visit").deleted);
        assert!(d.get::<Contact>(&self.zhou_id).expect("contact").deleted);
        let f = d.get::<Favour>(&self.favour_gone_id).expect("favour");
        assert!(
            f.deleted,
            "device {n}: the concurrent edit revived the favour"
        );
        assert_eq!(f.description, "Dinner for the purchasing team");
        assert!(
            d.get::<Opportunity>(&self.opportunity_gone_id)
                .expect("opportunity")
                .deleted
        );
        assert!(!self.step_is_due(d), "device {n}");
    }

    /// The read model marks the removed records deleted (the favour with its concurrent
    /// edit) and the kept ones not.
    fn assert_rows(&self, server: &TestServer) {
        assert_row(server, "visits", &self.visit_gone_id, &["deleted = TRUE"]);
        assert_row(server, "contacts", &self.zhou_id, &["deleted = TRUE"]);
        assert_row(
            server,
            "favours",
            &self.favour_gone_id,
            &[
                "deleted = TRUE",
                "description = 'Dinner for the purchasing team'",
            ],
        );
        assert_row(
            server,
            "opportunities",
            &self.opportunity_gone_id,
            &["deleted = TRUE"],
        );
        assert_row(server, "intel", &self.intel_gone_id, &["deleted = TRUE"]);
        for (table, id) in [
            ("visits", &self.visit_kept_id),
            ("contacts", &self.liu_id),
            ("favours", &self.favour_kept_id),
        ] {
            assert_row(server, table, id, &["deleted = FALSE"]);
        }
        for id in self.gone() {
            assert_row(server, "documents", id, &["deleted = TRUE"]);
        }
    }
}

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

    let records = Removal::log(&phone, &shared);
    sync_all(&all);
    for d in all {
        assert_eq!(d.timeline(&shared).expect("timeline").len(), 8);
        assert!(records.step_is_due(d));
    }

    // B's device receives the removals.
    records.remove(&phone, &tablet, &shared);
    sync_all(&all);
    for (n, d) in all.iter().enumerate() {
        records.assert_device(n, d, &shared);
    }
    records.assert_rows(&server);
    // A device signing in afterwards never lists them.
    let late_comer = Device::new(&server.url, "acme", "b");
    late_comer.sync().expect("sync");
    assert_eq!(late_comer.timeline(&shared).expect("timeline").len(), 3);
}

// ----- 5. rules -----

/// A visit to the plant 30 hours late, checked in 700 m away.
fn late_far_visit(plant: &str, occurred: LocalTime) -> Visit {
    Visit {
        logged_at: hours_later(occurred, 30),
        check_in: Some(north_of_plant(700.0, 20.0)),
        ..visit(plant, occurred, "Quarterly review")
    }
}

/// A successful PATCH of the rules by the admin; its answer's body.
fn patch_rules(rules_url: &str, admin: Option<&str>, body: serde_json::Value) -> serde_json::Value {
    let patched = call("PATCH", rules_url, admin, Some(&body));
    assert_eq!(
        patched.status,
        200,
        "{}",
        String::from_utf8_lossy(&patched.body)
    );
    patched.json()
}

/// Reps and managers may not read or change the rules.
fn only_the_admin_touches_the_rules(server: &TestServer, rules_url: &str) {
    let rep = login(&server.url, "acme", "a");
    let manager = login(&server.url, "acme", "manager");
    for (who, token) in [
        ("rep", &rep.access_token),
        ("manager", &manager.access_token),
    ] {
        for (method, body) in [("GET", None), ("PATCH", Some(json!({"favour_limit": 1})))] {
            let a = call(method, rules_url, Some(token.as_str()), body.as_ref());
            assert_eq!(
                a.status,
                403,
                "{who} {method}: {}",
                String::from_utf8_lossy(&a.body)
            );
            assert_eq!(a.error_code(), "forbidden", "{who} {method}");
        }
    }
}

/// Nonsense is refused whole, and changes nothing: the rules stay at `version` with a
/// favour limit of 100.
fn nonsense_rules_are_refused(rules_url: &str, admin: Option<&str>, version: u64) {
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
        let a = call("PATCH", rules_url, admin, Some(&body));
        assert_eq!(
            a.status,
            422,
            "{body}: {}",
            String::from_utf8_lossy(&a.body)
        );
        assert_eq!(a.error_code(), "invalid_input", "{body}");
    }
    let got = call("GET", rules_url, admin, None).json();
    assert_eq!(got["version"].as_u64(), Some(version));
    assert_eq!(got["rules"]["favour_limit"], json!(100.0));
}

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
        .create(&late_far_visit(&plant, at(2026, 9, 21, 10, 0)))
        .expect("visit");
    phone.sync().expect("sync");
    assert_row(&server, "favours", &favour_before, &["over_limit = FALSE"]);
    assert_row(
        &server,
        "visits",
        &visit_before,
        &["verified = FALSE", "late = TRUE"],
    );

    only_the_admin_touches_the_rules(&server, &rules_url);

    // The admin lowers the limit.
    let body = patch_rules(&rules_url, admin, json!({"favour_limit": 100}));
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

    nonsense_rules_are_refused(&rules_url, admin, version1);

    // Check-in radius and late logging follow the rules too.
    patch_rules(
        &rules_url,
        admin,
        json!({"checkin_radius_m": 1000, "late_after_hours": 48}),
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
        .create(&late_far_visit(&plant, at(2026, 9, 22, 10, 0)))
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

/// A visit with the next step `what` due on `due`.
fn with_step(v: Visit, what: &str, due: &str) -> Visit {
    Visit {
        next_step: Some(what.into()),
        next_step_due: Some(due.into()),
        ..v
    }
}

/// A VIP card holding only a birthday.
fn card(birthday: Birthday) -> Option<VipCard> {
    Some(VipCard {
        birthday: Some(birthday),
        ..Default::default()
    })
}

/// The shared account is visited every 14 days; it was last visited at 07:30 on 10
/// September, Shanghai time. Of the next steps logged, one is due in the fortnight from
/// 20 September, one is late, one long forgotten, one beyond the fortnight and one a due
/// date without a step. Returns the ids of the visits with the due and the late step.
fn log_visits_with_steps(phone: &Device, shared: &str) -> (String, String) {
    phone
        .update::<Account>(shared, |acc| acc.cadence_days = Some(14))
        .expect("cadence");
    let recent = phone
        .create(&with_step(
            visit(shared, at(2026, 9, 10, 7, 30), "Breakfast meeting"),
            "Send the revised quote",
            "2026-09-28",
        ))
        .expect("visit");
    let overdue = phone
        .create(&with_step(
            visit(shared, at(2026, 8, 20, 10, 0), "Trial order"),
            "Call back about the trial order",
            "2026-09-05",
        ))
        .expect("visit");
    phone
        .create(&with_step(
            visit(shared, at(2026, 8, 1, 10, 0), "Long ago"),
            "Forgotten",
            "2026-08-10",
        ))
        .expect("visit");
    phone
        .create(&with_step(
            visit(shared, at(2026, 8, 25, 10, 0), "Planning"),
            "Annual review",
            "2026-10-20",
        ))
        .expect("visit");
    phone
        .create(&Visit {
            next_step: None,
            next_step_due: Some("2026-09-22".into()),
            ..visit(shared, at(2026, 8, 26, 10, 0), "No step")
        })
        .expect("visit");
    (recent, overdue)
}

/// Zhou's birthday is the 20th of the 8th lunar month: 30 September in 2026. Not within
/// the fortnight: a Christmas birthday; a contact without a card; and a removed contact
/// whose birthday would be. Returns Zhou's id.
fn log_birthdays(phone: &Device, co: &Company, today: NaiveDate) -> String {
    let shared = &co.account_shared;
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
    let solar = |month, day| Birthday {
        calendar: Calendar::Solar,
        month,
        day,
        leap_month: false,
    };
    let zhou = phone
        .create(&Contact {
            key_contact: true,
            vip_card: card(lunar),
            ..contact(shared, "Zhou Min")
        })
        .expect("contact");
    phone
        .create(&Contact {
            vip_card: card(solar(12, 25)),
            ..contact(&co.account_a, "Wang Fang")
        })
        .expect("contact");
    phone
        .create(&contact(&co.account_a, "Chen Jie"))
        .expect("contact");
    let removed = phone
        .create(&Contact {
            vip_card: card(solar(9, 26)),
            ..contact(shared, "Sun Li")
        })
        .expect("contact");
    phone.remove::<Contact>(&removed).expect("remove");
    zhou
}

/// A due item on the shared account, Haorun Foods.
fn on_shared(shared: &str, date: NaiveDate, what: Due) -> DueItem {
    DueItem {
        date,
        what,
        account_id: Some(shared.to_owned()),
        account_name: Some("Haorun Foods".to_owned()),
    }
}

/// A holiday on the due list, on no account.
fn holiday(date: NaiveDate, occasion: Occasion) -> DueItem {
    DueItem {
        date,
        what: Due::Holiday(occasion),
        account_id: None,
        account_name: None,
    }
}

#[test]
fn the_due_list_shows_visits_next_steps_birthdays_and_holidays() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let shared = co.account_shared.clone();
    let phone = Device::new(&server.url, "acme", "a");
    phone.sync().expect("sync");
    let today = date(2026, 9, 20);

    // Account A (tier D, 90 days) was never visited.
    let (recent, overdue) = log_visits_with_steps(&phone, &shared);
    let zhou = log_birthdays(&phone, &co, today);

    let due = phone.due(today, 14).expect("due");
    let never_visited = DueItem {
        date: today,
        what: Due::Visit {
            last_visit: None,
            cadence_days: 90,
        },
        account_id: Some(co.account_a.clone()),
        account_name: Some("Huadong Steel".into()),
    };
    let next_step = on_shared(
        &shared,
        date(2026, 9, 28),
        Due::NextStep {
            visit_id: recent,
            step: "Send the revised quote".into(),
        },
    );
    let late_step = on_shared(
        &shared,
        date(2026, 9, 5),
        Due::NextStep {
            visit_id: overdue,
            step: "Call back about the trial order".into(),
        },
    );
    let birthday = on_shared(
        &shared,
        date(2026, 9, 30),
        Due::Birthday {
            contact_id: zhou,
            contact_name: "Zhou Min".into(),
        },
    );
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
    let cadence = on_shared(
        &shared,
        date(2026, 9, 24),
        Due::Visit {
            last_visit: Some(date(2026, 9, 10)),
            cadence_days: 14,
        },
    );
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
