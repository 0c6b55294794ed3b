//! Checks of the promises made to users, shared by the fault and convergence tests:
//! nothing acknowledged is lost, every device ends up with what the server holds, and the
//! server's own bookkeeping is whole.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::TimeZone;
use rapport_client_core::model::{LocalTime, Visit};
use rapport_client_core::{Error, SyncReport};

use crate::{Device, TestServer};

/// How many runs a stress test makes: `RAPPORT_STRESS_RUNS` when set (the long variant,
/// see docs/RELIABILITY.md), else the default suite's `default`.
pub fn stress_runs(default: usize) -> usize {
    std::env::var("RAPPORT_STRESS_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The seed of a randomised test: `RAPPORT_STRESS_SEED` when set, else `default`.
/// Tests print it, so a failure can be replayed.
pub fn stress_seed(default: u64) -> u64 {
    std::env::var("RAPPORT_STRESS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The backend under test, for the figures tests print.
pub fn backend_name(server: &TestServer) -> &'static str {
    match server.backend() {
        sea_orm::DbBackend::Postgres => "PostgreSQL",
        _ => "SQLite",
    }
}

/// A local time in ISO week 2026-W48 (Monday 23 November 2026, Shanghai), `minute`
/// minutes after 08:00 of the Monday, wrapped into Monday–Thursday.
pub fn in_week_48(minute: u64) -> LocalTime {
    let monday = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 11, 23, 8, 0, 0)
        .single()
        .expect("a valid local time");
    let minute = i64::try_from(minute % (4 * 24 * 60 - 8 * 60)).expect("small");
    LocalTime::from_datetime(&(monday + chrono::Duration::minutes(minute)))
}

/// A visit on `account` in week 2026-W48.
pub fn visit_in_week_48(account: &str, minute: u64, purpose: &str) -> Visit {
    let at = in_week_48(minute);
    Visit {
        account_id: account.to_owned(),
        occurred_at: at,
        logged_at: at,
        duration_min: 30,
        purpose: purpose.to_owned(),
        ..Visit::default()
    }
}

/// Syncs until everything waiting is acknowledged, retrying failures (a server that is
/// restarting, a cut connection) for up to `patience`.
pub fn sync_until_done(device: &Device, patience: Duration) -> SyncReport {
    let deadline = std::time::Instant::now() + patience;
    loop {
        match device.sync() {
            Ok(report) if report.waiting == 0 => return report,
            Ok(report) if std::time::Instant::now() > deadline => {
                panic!("still {} waiting after {patience:?}", report.waiting)
            }
            Err(e) if std::time::Instant::now() > deadline => {
                panic!("sync still failing after {patience:?}: {e}")
            }
            Err(Error::Offline(_) | Error::Server { .. }) | Ok(_) => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("sync failed for a reason retrying will not fix: {e}"),
        }
    }
}

/// The changes devices were told the server has: per document, the heads a device held
/// right after a sync that left nothing waiting. Each head names a change whose whole
/// history the server must keep.
#[derive(Debug, Default)]
pub struct Ledger {
    acknowledged: BTreeMap<String, BTreeSet<String>>,
}

impl Ledger {
    /// Records the heads `device` holds now of each of `ids`; call it only after a sync
    /// that acknowledged everything the device had written.
    pub fn acknowledge<'a>(&mut self, device: &Device, ids: impl IntoIterator<Item = &'a String>) {
        for id in ids {
            if let Some(heads) = device.heads(id).expect("heads") {
                self.acknowledged
                    .entry(id.clone())
                    .or_default()
                    .extend(heads);
            }
        }
    }

    /// How many acknowledged changes there are.
    pub fn len(&self) -> usize {
        self.acknowledged.values().map(BTreeSet::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The acknowledged changes the server does not hold, as `document hash`.
    pub fn lost(&self, server: &TestServer) -> Vec<String> {
        let stored: BTreeSet<String> = server
            .strings("SELECT doc_id || ' ' || hash FROM changes")
            .into_iter()
            .collect();
        self.acknowledged
            .iter()
            .flat_map(|(doc, hashes)| hashes.iter().map(move |h| format!("{doc} {h}")))
            .filter(|key| !stored.contains(key))
            .collect()
    }
}

/// Documents on which a device disagrees with the server: for each user, a new device
/// signs in straight to the server and pulls everything; every device of that user must
/// hold exactly the same documents with the same heads. Returns the differences found.
pub fn divergences(server: &TestServer, company: &str, devices: &[(&str, &Device)]) -> Vec<String> {
    let mut truth: BTreeMap<&str, Device> = BTreeMap::new();
    let mut found = Vec::new();
    for (n, (user, device)) in devices.iter().enumerate() {
        let fresh = truth.entry(user).or_insert_with(|| {
            let d = Device::new(&server.url, company, user);
            sync_until_done(&d, Duration::from_secs(30));
            d
        });
        let expected: BTreeSet<String> = fresh.document_ids().expect("ids").into_iter().collect();
        let held: BTreeSet<String> = device.document_ids().expect("ids").into_iter().collect();
        for id in expected.symmetric_difference(&held) {
            found.push(format!(
                "device {n} ({user}): document {id} held by one side only"
            ));
        }
        for id in expected.intersection(&held) {
            if fresh.heads(id).expect("heads") != device.heads(id).expect("heads") {
                found.push(format!("device {n} ({user}): document {id} differs"));
            }
        }
    }
    found
}

/// Problems in the server's own bookkeeping, after crashes: sequence numbers above the
/// tenant's counter or used twice, documents without changes, changes without documents.
/// On SQLite, also `PRAGMA integrity_check`.
pub fn bookkeeping_problems(server: &TestServer) -> Vec<String> {
    let mut problems = Vec::new();
    let checks = [
        (
            "changes numbered above their company's sequence",
            "SELECT COUNT(*) FROM changes c JOIN tenants t ON t.id = c.tenant_id WHERE c.seq > t.seq",
        ),
        (
            "sequence numbers used twice",
            "SELECT COUNT(*) FROM (SELECT tenant_id, seq FROM changes GROUP BY tenant_id, seq HAVING COUNT(*) > 1) d",
        ),
        (
            "documents without changes",
            "SELECT COUNT(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM changes c WHERE c.doc_id = d.id)",
        ),
        (
            "changes without a document",
            "SELECT COUNT(*) FROM changes c WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = c.doc_id)",
        ),
        (
            "documents updated above their company's sequence",
            "SELECT COUNT(*) FROM documents d JOIN tenants t ON t.id = d.tenant_id WHERE d.updated_seq > t.seq",
        ),
    ];
    for (what, sql) in checks {
        let n = server.count(sql);
        if n != 0 {
            problems.push(format!("{n} {what}"));
        }
    }
    if server.backend() == sea_orm::DbBackend::Sqlite {
        let integrity = server.text("PRAGMA integrity_check");
        if integrity != "ok" {
            problems.push(format!("SQLite integrity check: {integrity}"));
        }
    }
    problems
}
