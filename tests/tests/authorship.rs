//! Who may change a record, and what a rep keeps when taken off an account (issue 12).
//!
//! 1. A record a rep logged (a visit, favour, intelligence, customer info report,
//!    greeting or relationship event) is theirs: a teammate's change or removal of it is
//!    rejected with `not_author` and nothing is stored; a manager's or admin's correction
//!    is accepted, recorded as theirs, and the record stays its author's. Shared records
//!    (accounts, contacts and their VIP cards, opportunities) are co-edited by the account
//!    team, but only their author, a manager or an admin removes one.
//! 2. A rep taken off an account keeps the work logged before (even offline, pushed
//!    later) and what they authored; after their device has synced the change, new records
//!    on the account are rejected with `removed_from_account`, the account's other
//!    records leave the device, and the device says why.

use std::process::Command;

use rapport_client_core::ffi::RapportClient;
use rapport_client_core::model::{
    Channel, Confidence, Contact, EventKind, Favour, FavourKind, Greeting, InfoKind, InfoReport,
    Intel, Occasion, Opportunity, RelationshipEvent, VipCard, Visit,
};
use rapport_tests::raw::{self, assert_rejected};
use rapport_tests::{
    Company, Device, TestServer, call, cli_bin, in_week, login, visit_in_week, weekly_visits,
};

const WEEK: &str = "2026-W40";

/// The ids of the favours over the limit in the test week, as `token` (a manager) reads them.
fn over_limit(server: &TestServer, token: &str) -> Vec<String> {
    let a = call(
        "GET",
        &format!("{}/v1/reports/favours-over-limit?period={WEEK}", server.url),
        Some(token),
        None,
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Everything the server stores about records, to compare before and after a refused push.
fn stored(server: &TestServer) -> Vec<i64> {
    let mut all = server.fingerprint();
    for q in [
        "SELECT COUNT(*) FROM favours",
        "SELECT COUNT(*) FROM intel",
        "SELECT COUNT(*) FROM info_reports",
        "SELECT COUNT(*) FROM greetings",
        "SELECT COUNT(*) FROM relationship_events",
        "SELECT COUNT(*) FROM visits WHERE deleted = TRUE",
        "SELECT COUNT(*) FROM favours WHERE deleted = TRUE OR over_limit = FALSE",
        "SELECT COUNT(*) FROM intel WHERE deleted = TRUE",
        "SELECT COUNT(*) FROM info_reports WHERE deleted = TRUE",
        "SELECT COUNT(*) FROM greetings WHERE deleted = TRUE",
        "SELECT COUNT(*) FROM relationship_events WHERE deleted = TRUE",
        "SELECT COUNT(*) FROM contacts WHERE deleted = TRUE",
    ] {
        all.push(server.count(q));
    }
    all
}

fn rejection_of(device: &Device, id: &str) -> Option<String> {
    device
        .status()
        .expect("status")
        .store
        .rejected
        .into_iter()
        .find(|(d, _)| d == id)
        .map(|(_, reason)| reason)
}

// ----- 1. authorship -----

/// One record of every authored kind that rep A logs on the shared account, a contact
/// and an opportunity.
struct RecordsOfA {
    visit_id: String,
    favour_id: String,
    intel_id: String,
    info_id: String,
    greeting_id: String,
    event_id: String,
    contact_id: String,
    opportunity_id: String,
}

impl RecordsOfA {
    fn log(a: &Device, shared: &str) -> RecordsOfA {
        let account_id = shared.to_owned();
        let visit_id = a
            .create(&visit_in_week(shared, "Quarterly review"))
            .expect("visit");
        let favour_id = a
            .create(&Favour {
                account_id: account_id.clone(),
                kind: FavourKind::Business,
                description: "Banquet for the purchasing team".into(),
                value: Some(1800.0),
                occurred_at: in_week(),
                ..Default::default()
            })
            .expect("favour");
        let intel_id = a
            .create(&Intel {
                account_id: account_id.clone(),
                competitor: "Baosteel Trading".into(),
                observation: "quoted 5% under us".into(),
                confidence: Confidence::High,
                occurred_at: in_week(),
                ..Default::default()
            })
            .expect("intel");
        let info_id = a
            .create(&InfoReport {
                account_id: account_id.clone(),
                kind: InfoKind::Inventory,
                figure: Some(1200.0),
                details: "three weeks of stock".into(),
                occurred_at: in_week(),
                ..Default::default()
            })
            .expect("info report");
        let greeting_id = a
            .create(&Greeting {
                account_id: account_id.clone(),
                occasion: Occasion::MidAutumn,
                channel: Channel::WeChat,
                occurred_at: in_week(),
                ..Default::default()
            })
            .expect("greeting");
        let event_id = a
            .create(&RelationshipEvent {
                account_id: account_id.clone(),
                kind: EventKind::FirstThought,
                description: "called us first about the new line".into(),
                occurred_at: in_week(),
                ..Default::default()
            })
            .expect("event");
        let contact_id = a
            .create(&Contact {
                account_id: account_id.clone(),
                name: "Zhou Min".into(),
                key_contact: true,
                ..Default::default()
            })
            .expect("contact");
        let opportunity_id = a
            .create(&Opportunity {
                account_id,
                name: "Line 3 packaging upgrade".into(),
                ..Default::default()
            })
            .expect("opportunity");
        RecordsOfA {
            visit_id,
            favour_id,
            intel_id,
            info_id,
            greeting_id,
            event_id,
            contact_id,
            opportunity_id,
        }
    }

    /// The attack: B removes A's visit, lowers A's favour to 1, and removes or rewrites
    /// every other record A logged, and removes A's contact. Every change is rejected and
    /// B's device shows why.
    fn teammate_attacks(&self, b: &Device) {
        b.remove::<Visit>(&self.visit_id)
            .expect("remove on the device");
        b.update::<Favour>(&self.favour_id, |f| f.value = Some(1.0))
            .expect("edit on the device");
        b.update::<Intel>(&self.intel_id, |i| i.observation = "nothing new".into())
            .expect("edit");
        b.remove::<InfoReport>(&self.info_id).expect("remove");
        b.update::<Greeting>(&self.greeting_id, |g| g.channel = Channel::Phone)
            .expect("edit");
        b.remove::<RelationshipEvent>(&self.event_id)
            .expect("remove");
        b.remove::<Contact>(&self.contact_id).expect("remove");
        let report = b.sync().expect("sync");
        assert_eq!(report.rejected, 7, "{report:?}");
        assert_eq!(report.accepted, 0, "{report:?}");
        for id in [
            &self.visit_id,
            &self.favour_id,
            &self.intel_id,
            &self.info_id,
            &self.greeting_id,
            &self.event_id,
            &self.contact_id,
        ] {
            let reason =
                rejection_of(b, id).unwrap_or_else(|| panic!("{id} is not shown as rejected"));
            assert!(
                reason.contains("only its author"),
                "{id}: the reason shown is {reason:?}"
            );
        }
    }

    /// Shared records stay co-edited: B fills in the VIP card of A's contact and edits
    /// A's opportunity (on another device: the first one holds the rejected removal of the
    /// contact, which it would send again with the next edit).
    fn teammate_co_edits_shared_records(&self, server: &TestServer) {
        let b2 = Device::new(&server.url, "acme", "b");
        b2.sync().expect("sync");
        b2.update::<Contact>(&self.contact_id, |c| {
            c.vip_card = Some(VipCard {
                knows_rep_name: true,
                ..Default::default()
            })
        })
        .expect("edit the card");
        b2.update::<Opportunity>(&self.opportunity_id, |o| {
            o.notes = "decision in November".into()
        })
        .expect("edit the opportunity");
        let report = b2.sync().expect("sync");
        assert_eq!((report.accepted, report.rejected), (2, 0), "{report:?}");
    }

    /// A manager on the account's team corrects A's favour and removes A's visit:
    /// accepted, recorded as the manager's, and the records stay A's.
    fn manager_corrects(&self, server: &TestServer, co: &Company, manager_token: &str) {
        co.assign(server, &co.account_shared, "manager");
        let manager = Device::new(&server.url, "acme", "manager");
        manager.sync().expect("sync");
        manager
            .update::<Favour>(&self.favour_id, |f| f.value = Some(1.0))
            .expect("correct");
        manager.remove::<Visit>(&self.visit_id).expect("remove");
        let report = manager.sync().expect("sync");
        assert_eq!((report.accepted, report.rejected), (2, 0), "{report:?}");
        assert_eq!(
            weekly_visits(server, manager_token, WEEK).get("a").copied(),
            Some(0)
        );
        assert!(over_limit(server, manager_token).is_empty());
        for (table, id) in [("visits", &self.visit_id), ("favours", &self.favour_id)] {
            assert_eq!(
                server.text(&format!("SELECT author_id FROM {table} WHERE id = '{id}'")),
                co.user_id("a"),
                "{table}: the author changed"
            );
            assert_eq!(
                server.strings(&format!(
                    "SELECT by_user FROM corrections WHERE doc_id = '{id}'"
                )),
                vec![co.user_id("manager").to_owned()],
                "{table}: the correction is not recorded as the manager's"
            );
        }
    }

    /// An admin, put on the account's team, corrects A's intel; the correction is recorded.
    fn admin_corrects(&self, server: &TestServer, co: &Company) {
        let admin_id = login(&server.url, "acme", "admin").user_id;
        let put = call(
            "PUT",
            &format!(
                "{}/v1/admin/accounts/{}/team/{admin_id}",
                server.url, co.account_shared
            ),
            Some(&co.admin_token),
            None,
        );
        assert_eq!(put.status, 204, "{}", String::from_utf8_lossy(&put.body));
        let admin = Device::new(&server.url, "acme", "admin");
        admin.sync().expect("sync");
        admin
            .update::<Intel>(&self.intel_id, |i| i.price = Some(98.5))
            .expect("correct");
        assert_eq!(admin.sync().expect("sync").rejected, 0);
        assert_eq!(
            server.count(&format!(
                "SELECT COUNT(*) FROM corrections WHERE doc_id = '{}'",
                self.intel_id
            )),
            1
        );
    }
}

/// The removal of A's visit pushed raw, from a session of B's: rejected with its code.
fn a_raw_removal_is_not_the_authors(server: &TestServer, visit_id: &str) {
    let b_session = login(&server.url, "acme", "b");
    let mut doc = pull_doc(server, &b_session.access_token, visit_id);
    doc.set_actor(raw::actor(&b_session));
    let mut visit: Visit = rapport_client_core::model::read_record(&doc).expect("visit");
    visit.deleted = true;
    let changes =
        raw::wire(rapport_client_core::model::write_record(&mut doc, &visit).expect("write"));
    let outcome = raw::push_one(server, &b_session.access_token, visit_id, "visit", changes);
    let reason = assert_rejected(&outcome, "not_author");
    assert!(reason.contains("only its author"), "{reason}");
}

#[test]
fn a_teammate_cannot_remove_or_rewrite_a_colleagues_records_but_a_manager_corrects_them() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let a = Device::new(&server.url, "acme", "a");
    let b = Device::new(&server.url, "acme", "b");
    a.sync().expect("sync");
    b.sync().expect("sync");

    let records = RecordsOfA::log(&a, &co.account_shared);
    assert_eq!(a.sync().expect("sync").rejected, 0);
    b.sync().expect("sync");

    let manager_token = login(&server.url, "acme", "manager").access_token;
    let favour_id = &records.favour_id;
    assert_eq!(weekly_visits(&server, &manager_token, WEEK)["a"], 1);
    assert_eq!(over_limit(&server, &manager_token), vec![favour_id.clone()]);
    let before = stored(&server);

    records.teammate_attacks(&b);
    assert_eq!(stored(&server), before, "a refused change was stored");
    assert_eq!(weekly_visits(&server, &manager_token, WEEK)["a"], 1);
    assert_eq!(over_limit(&server, &manager_token), vec![favour_id.clone()]);

    a_raw_removal_is_not_the_authors(&server, &records.visit_id);
    assert_eq!(stored(&server), before, "a refused change was stored");

    records.teammate_co_edits_shared_records(&server);
    records.manager_corrects(&server, &co, &manager_token);
    // A's own device receives the correction.
    a.sync().expect("sync");
    assert_eq!(a.get::<Favour>(favour_id).expect("favour").value, Some(1.0));
    assert!(a.get::<Visit>(&records.visit_id).expect("visit").deleted);

    // An admin may correct too.
    records.admin_corrects(&server, &co);
    // And the author keeps editing their own record.
    a.sync().expect("sync");
    a.update::<Intel>(&records.intel_id, |i| {
        i.product = Some("cold-rolled coil".into())
    })
    .expect("edit");
    assert_eq!(a.sync().expect("sync").rejected, 0);
}

/// The document `id` as `token`'s user pulls it from cursor 0.
fn pull_doc(server: &TestServer, token: &str, id: &str) -> automerge::AutoCommit {
    let resp = raw::sync_ok(server, token, &raw::request(vec![]));
    let pulled = resp
        .docs
        .into_iter()
        .find(|d| d.doc_id == id)
        .unwrap_or_else(|| panic!("{id} not pulled"));
    let mut doc = match &pulled.snapshot {
        Some(s) => automerge::AutoCommit::load(&s.0).expect("snapshot"),
        None => automerge::AutoCommit::new(),
    };
    doc.apply_changes(
        pulled
            .changes
            .iter()
            .map(|c| rapport_client_core::model::parse_change(&c.0).expect("a change")),
    )
    .expect("apply");
    doc
}

// ----- 5. reassignment -----

fn unassign(server: &TestServer, co: &Company, account: &str, user: &str) {
    let a = call(
        "DELETE",
        &format!(
            "{}/v1/admin/accounts/{account}/team/{}",
            server.url,
            co.user_id(user)
        ),
        Some(&co.admin_token),
        None,
    );
    assert_eq!(a.status, 204, "{}", String::from_utf8_lossy(&a.body));
}

fn cli_status(device: &Device) -> String {
    let out = Command::new(cli_bin())
        .arg("--home")
        .arg(device.path())
        .arg("--lang")
        .arg("en")
        .arg("status")
        .output()
        .expect("run rapport");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_rep_taken_off_an_account_keeps_earlier_work_but_logs_nothing_new_on_it() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let shared = co.account_shared.clone();
    let phone = Device::new(&server.url, "acme", "a");
    let tablet = Device::new(&server.url, "acme", "a");
    let b = Device::new(&server.url, "acme", "b");
    // B's records on the shared account, which A's devices receive.
    let b_visit = b
        .create(&visit_in_week(&shared, "B's plant tour"))
        .expect("visit");
    let b_contact = b
        .create(&Contact {
            account_id: shared.clone(),
            name: "Li Qiang".into(),
            ..Default::default()
        })
        .expect("contact");
    b.sync().expect("sync");
    for d in [&phone, &tablet] {
        d.sync().expect("sync");
        assert!(d.get::<Visit>(&b_visit).is_ok());
    }
    let a_synced = phone
        .create(&visit_in_week(&shared, "A's review, synced"))
        .expect("visit");
    phone.sync().expect("sync");

    // Offline, before the change: a visit on each of A's devices, and an edit.
    let before_phone = phone
        .create(&visit_in_week(&shared, "logged offline on the phone"))
        .expect("visit");
    let before_tablet = tablet
        .create(&visit_in_week(&shared, "logged offline on the tablet"))
        .expect("visit");
    phone
        .update::<Visit>(&a_synced, |v| v.notes = "edited offline".into())
        .expect("edit");

    // The admin takes A off the shared account.
    unassign(&server, &co, &shared, "a");

    // The phone's earlier work is accepted: it was logged before the change.
    let report = phone.sync().expect("sync");
    assert_eq!(report.rejected, 0, "{:?}", phone.status());
    let manager = login(&server.url, "acme", "manager").access_token;
    assert_eq!(weekly_visits(&server, &manager, WEEK)["a"], 2);

    // The account has left the phone: B's records are gone, A's own stay readable.
    assert!(phone.get::<Visit>(&b_visit).is_err(), "B's visit stayed");
    assert!(
        phone.get::<Contact>(&b_contact).is_err(),
        "B's contact stayed"
    );
    for id in [&a_synced, &before_phone] {
        assert!(phone.get::<Visit>(id).is_ok(), "{id}: A's own visit left");
    }
    // And the phone says why: in client-core's status, the mobile bindings and the CLI.
    let messages = phone.status().expect("status").removal_messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("removed from Haorun Foods's team on 20"),
        "{messages:?}"
    );
    let app = RapportClient::open(phone.path().display().to_string()).expect("open");
    let removals = app.status().expect("status").removals;
    assert_eq!(removals.len(), 1, "{removals:?}");
    assert_eq!(removals[0].account_id, shared);
    assert_eq!(removals[0].message, messages[0]);
    let shown = cli_status(&phone);
    assert!(
        shown.contains("Removed from Haorun Foods's team on 20"),
        "{shown}"
    );

    // A new visit on the account, logged after the phone learnt of the change: rejected
    // with a reason the rep sees, nothing stored.
    let before = server.fingerprint();
    let after_id = phone
        .create(&visit_in_week(&shared, "logged after the change"))
        .expect("visit");
    let report = phone.sync().expect("sync");
    assert_eq!(report.rejected, 1, "{report:?}");
    let reason = rejection_of(&phone, &after_id).expect("shown as rejected");
    assert!(reason.contains("taken off Haorun Foods's team"), "{reason}");
    assert!(
        cli_status(&phone).contains(&reason),
        "{}",
        cli_status(&phone)
    );
    assert_eq!(server.fingerprint(), before);
    assert_eq!(weekly_visits(&server, &manager, WEEK)["a"], 2);

    // Forging the cursor changes nothing: the server remembers what it told the device.
    let session = phone
        .session()
        .expect("session")
        .expect("signed in")
        .session;
    let (id, _, changes) = raw::new_record(
        raw::actor(&session),
        &visit_in_week(&shared, "pushed raw from cursor 0"),
    );
    let outcome = raw::push_one(&server, &session.access_token, &id, "visit", changes);
    assert_rejected(&outcome, "removed_from_account");
    // Nor does a new sign-in: a new device has missed no change.
    let fresh = login(&server.url, "acme", "a");
    let (id, _, changes) = raw::new_record(
        raw::actor(&fresh),
        &visit_in_week(&shared, "pushed from a new device"),
    );
    let outcome = raw::push_one(&server, &fresh.access_token, &id, "visit", changes);
    assert_rejected(&outcome, "removed_from_account");
    assert_eq!(server.fingerprint(), before);

    // The tablet, offline since before the change, still delivers what it logged then.
    let report = tablet.sync().expect("sync");
    assert_eq!(report.rejected, 0, "{:?}", tablet.status());
    assert_eq!(weekly_visits(&server, &manager, WEEK)["a"], 3);
    assert!(tablet.get::<Visit>(&b_visit).is_err(), "B's visit stayed");
    assert!(tablet.get::<Visit>(&before_tablet).is_ok());

    // A keeps editing what they authored.
    phone
        .update::<Visit>(&before_phone, |v| v.duration_min = 90)
        .expect("edit");
    let report = phone.sync().expect("sync");
    assert_eq!(report.accepted, 1, "{report:?}");
    assert_eq!(
        server.count(&format!(
            "SELECT CAST(duration_min AS BIGINT) FROM visits WHERE id = '{before_phone}'"
        )),
        90
    );
}
