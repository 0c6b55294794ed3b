//! The sync loop end to end: devices working offline, syncing in several orders, lost
//! responses, paging, a killed server — and the weekly report against an independent
//! count of what was logged.

use std::collections::BTreeMap;

use chrono::TimeZone;
use rapport_client_core::model::{CheckIn, Contact, LocalTime, Visit};
use rapport_tests::{Company, Device, Fault, FaultProxy, TestServer, weekly_visits};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> LocalTime {
    let local = TZ
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid local time");
    LocalTime::from_datetime(&local)
}

fn visit(account: &str, occurred: LocalTime, purpose: &str) -> Visit {
    Visit {
        account_id: account.to_owned(),
        occurred_at: occurred,
        logged_at: occurred,
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

/// Every document both devices hold has the same heads, and neither holds a duplicate.
#[track_caller]
fn assert_same_documents(a: &Device, b: &Device) {
    let ids_a = a.document_ids().expect("ids");
    let ids_b = b.document_ids().expect("ids");
    assert_eq!(ids_a, ids_b, "the two devices hold different documents");
    for id in &ids_a {
        assert_eq!(
            a.heads(id).expect("heads"),
            b.heads(id).expect("heads"),
            "document {id} differs"
        );
    }
}

#[test]
fn two_reps_three_devices_converge_and_the_report_counts_every_visit() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let proxy = FaultProxy::start(&server.url);
    // Rep A has a phone and a tablet; rep B a phone. The phone goes through a proxy that
    // can lose responses.
    let a_phone = Device::new(&proxy.url, "acme", "a");
    let a_tablet = Device::new(&server.url, "acme", "a");
    let b_phone = Device::new(&server.url, "acme", "b");
    for d in [&a_phone, &a_tablet, &b_phone] {
        d.sync().expect("first sync");
    }
    assert_eq!(
        a_phone
            .list::<rapport_client_core::model::Account>(None)
            .expect("list")
            .len(),
        2
    );

    // A contact on the shared account, seen by everyone.
    let shared_contact = a_phone
        .create(&contact(&co.account_shared, "Zhou Min"))
        .expect("create contact");
    a_phone.sync().expect("sync");
    a_tablet.sync().expect("sync");
    b_phone.sync().expect("sync");

    // Offline work everywhere. Week 2026-W40 runs Mon 28 Sep to Sun 4 Oct (Shanghai).
    let mut expected: BTreeMap<&str, u64> = BTreeMap::from([("a", 0), ("b", 0)]);
    let mut log = |d: &Device, rep: &'static str, account: &str, t: LocalTime, in_week: bool| {
        d.create(&visit(account, t, "Quarterly review"))
            .expect("log visit");
        if in_week {
            *expected.get_mut(rep).expect("rep") += 1;
        }
    };
    log(&a_phone, "a", &co.account_a, at(2026, 9, 28, 9, 30), true);
    log(
        &a_phone,
        "a",
        &co.account_shared,
        at(2026, 10, 1, 14, 0),
        true,
    );
    // 23:30 on Sunday local time is still the same ISO week...
    log(&a_tablet, "a", &co.account_a, at(2026, 10, 4, 23, 30), true);
    // ...and 00:30 on the next Monday is not; neither is the Sunday before.
    log(&a_tablet, "a", &co.account_a, at(2026, 10, 5, 0, 30), false);
    log(&b_phone, "b", &co.account_b, at(2026, 9, 27, 23, 0), false);
    log(&b_phone, "b", &co.account_b, at(2026, 9, 29, 10, 0), true);
    log(
        &b_phone,
        "b",
        &co.account_shared,
        at(2026, 10, 2, 16, 15),
        true,
    );

    // Concurrent edits of the same contact: different fields on A's two devices, and the
    // same field (notes) on both A's tablet and B's phone.
    a_phone
        .update::<Contact>(&shared_contact, |c| {
            c.title = Some("Purchasing director".into())
        })
        .expect("edit");
    a_tablet
        .update::<Contact>(&shared_contact, |c| {
            c.phone = Some("+86 21 5555 0101".into());
            c.notes = Some("prefers mornings".into());
        })
        .expect("edit");
    b_phone
        .update::<Contact>(&shared_contact, |c| {
            c.notes = Some("golf on Saturdays".into())
        })
        .expect("edit");
    assert!(a_phone.status().expect("status").store.waiting > 0);

    // The phone's response is lost: the server applied the push, the phone never heard.
    proxy.push_fault(Fault::CutResponse(0.0));
    let lost = a_phone.sync();
    assert!(
        matches!(lost, Err(rapport_client_core::Error::Offline(_))),
        "{lost:?}"
    );
    assert_eq!(proxy.stats().cut_responses, 1);
    let waiting_after_loss = a_phone.status().expect("status").store.waiting;
    assert!(
        waiting_after_loss > 0,
        "nothing was acknowledged, so nothing leaves the outbox"
    );

    // Sync in several orders; the phone's retry must not duplicate anything.
    b_phone.sync().expect("sync");
    a_phone.sync().expect("retry after the lost response");
    a_tablet.sync().expect("sync");
    b_phone.sync().expect("sync");
    a_phone.sync().expect("sync");
    a_tablet.sync().expect("sync");

    for d in [&a_phone, &a_tablet, &b_phone] {
        assert_eq!(d.status().expect("status").store.waiting, 0);
    }
    assert_same_documents(&a_phone, &a_tablet);
    // B shares only the shared account's documents with A.
    for id in b_phone.document_ids().expect("ids") {
        if let Some(heads) = a_phone.heads(&id).expect("heads") {
            assert_eq!(Some(heads), b_phone.heads(&id).expect("heads"), "{id}");
        }
    }
    let c_a = a_phone.get::<Contact>(&shared_contact).expect("contact");
    let c_b = b_phone.get::<Contact>(&shared_contact).expect("contact");
    assert_eq!(c_a, c_b);
    assert_eq!(c_a.title.as_deref(), Some("Purchasing director"));
    assert_eq!(c_a.phone.as_deref(), Some("+86 21 5555 0101"));
    assert!(
        ["prefers mornings", "golf on Saturdays"].contains(&c_a.notes.as_deref().unwrap_or("")),
        "one of the concurrent notes wins: {:?}",
        c_a.notes
    );

    // No duplicates on the server: one document per visit logged.
    assert_eq!(server.count("SELECT COUNT(*) FROM visits"), 7);
    assert_eq!(
        server.count("SELECT COUNT(*) FROM (SELECT doc_id, hash FROM changes GROUP BY doc_id, hash HAVING COUNT(*) > 1) d"),
        0
    );

    // The manager's weekly report equals the visits counted above.
    let manager = rapport_tests::login(&server.url, "acme", "manager");
    let report = weekly_visits(&server, &manager.access_token, "2026-W40");
    let expected: BTreeMap<String, u64> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(report, expected);
    // The same numbers through the client library.
    let manager_device = Device::new(&server.url, "acme", "manager");
    let via_client = manager_device
        .weekly_report(Some("2026-W40"), None)
        .expect("report");
    assert_eq!(via_client.total, 5);
    assert_eq!(via_client.time_zone, "Asia/Shanghai");
}

#[test]
fn a_large_backlog_pages_and_a_new_device_receives_everything() {
    let server = TestServer::start_with(&["--pull-page-changes", "7"]);
    let co = Company::setup(&server, "acme");
    let phone = Device::new(&server.url, "acme", "a");
    phone.sync().expect("first sync");
    for i in 0..40u32 {
        phone
            .create(&visit(
                &co.account_a,
                at(2026, 9, 1 + i % 28, 10, 0),
                &format!("visit {i}"),
            ))
            .expect("log");
    }
    let report = phone.sync().expect("sync");
    assert_eq!(report.accepted, 40);
    assert_eq!(report.waiting, 0);
    // What the phone just pushed is not sent back to it.
    assert_eq!(report.received, 0, "{report:?}");

    let tablet = Device::new(&server.url, "acme", "a");
    let report = tablet.sync().expect("sync");
    assert!(report.round_trips > 1, "a page holds 7 changes: {report:?}");
    assert_same_documents(&phone, &tablet);
    assert_eq!(
        tablet
            .list::<Visit>(Some(&co.account_a))
            .expect("list")
            .len(),
        40
    );
}

#[test]
fn a_killed_server_loses_nothing_it_acknowledged() {
    let mut server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let phone = Device::new(&server.url, "acme", "a");
    let first = phone
        .create(&visit(
            &co.account_a,
            at(2026, 9, 28, 9, 0),
            "before the crash",
        ))
        .expect("log");
    phone.sync().expect("sync");

    server.kill();
    // Offline: every record command still works, and the work waits.
    let second = phone
        .create(&visit(
            &co.account_a,
            at(2026, 9, 29, 9, 0),
            "while offline",
        ))
        .expect("log offline");
    phone
        .create(&contact(&co.account_a, "Liu Yang"))
        .expect("contact offline");
    assert!(matches!(
        phone.sync(),
        Err(rapport_client_core::Error::Offline(_))
    ));
    assert_eq!(phone.status().expect("status").store.waiting, 2);

    server.restart();
    phone.sync().expect("sync after restart");
    assert_eq!(phone.status().expect("status").store.waiting, 0);
    let other = Device::new(&server.url, "acme", "a");
    other.sync().expect("sync");
    for id in [&first, &second] {
        assert_eq!(
            other.get::<Visit>(id).expect("visit"),
            phone.get::<Visit>(id).expect("visit")
        );
    }
}

#[test]
fn an_app_killed_mid_sync_finishes_the_job_on_the_next_sync() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let dir = tempfile::tempdir().expect("dir");
    {
        let phone = rapport_client_core::Client::open(dir.path()).expect("open");
        phone
            .login(&server.url, "acme", "a", rapport_tests::PASSWORD)
            .expect("login");
        phone
            .create(&Visit {
                check_in: Some(CheckIn {
                    lat: 31.23,
                    lon: 121.47,
                    accuracy_m: 12.0,
                }),
                ..visit(&co.account_a, at(2026, 9, 28, 9, 0), "with check-in")
            })
            .expect("log");
        // The app dies here, before syncing: the store was committed by `create`.
    }
    let phone = rapport_client_core::Client::open(dir.path()).expect("reopen");
    assert_eq!(phone.status().expect("status").store.waiting, 1);
    phone.sync().expect("sync");
    assert_eq!(
        server.count("SELECT COUNT(*) FROM visits WHERE check_in_lat IS NOT NULL"),
        1
    );
}
