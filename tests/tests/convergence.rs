//! Convergence, as a property: 3–5 devices of two reps do random record work offline and
//! sync in a random order through a network that drops requests, cuts responses, and
//! delivers old requests again (duplicated and out of order). Once the network heals and
//! everyone has synced, every device holds exactly what the server holds, nothing
//! acknowledged is missing, and the server's weekly report counts exactly the visits the
//! devices hold.
//!
//! One real server serves every case (each case is its own company). `PROPTEST_CASES`
//! sets the number of cases (default 12; docs/RELIABILITY.md gives the long variant).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rapport_client_core::model::Visit;
use rapport_tests::invariants::{
    Ledger, backend_name, divergences, sync_until_done, visit_in_week_48,
};
use rapport_tests::{Company, Device, Fault, FaultProxy, TestServer, login, weekly_visits};

#[derive(Debug, Clone, Copy)]
enum Net {
    Deliver,
    /// The request is lost before the server sees all of it.
    DropRequest,
    /// The request is cut at this fraction of its bytes.
    CutRequest(f64),
    /// The server handles the request; the response is cut at this fraction.
    CutResponse(f64),
}

#[derive(Debug, Clone)]
enum Step {
    /// Log a visit on the device's own account (false) or the shared one (true).
    Log {
        device: usize,
        shared: bool,
        minute: u64,
    },
    /// Change the duration of a visit the device holds.
    Edit {
        device: usize,
        pick: usize,
        duration: i64,
    },
    /// Remove a visit the device holds.
    Remove {
        device: usize,
        pick: usize,
    },
    Sync {
        device: usize,
        net: Net,
    },
    /// Deliver an earlier sync request again.
    Replay {
        pick: usize,
    },
}

fn net() -> impl Strategy<Value = Net> {
    prop_oneof![
        4 => Just(Net::Deliver),
        1 => Just(Net::DropRequest),
        1 => (0.0..1.0f64).prop_map(Net::CutRequest),
        2 => (0.0..1.0f64).prop_map(Net::CutResponse),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..5usize, any::<bool>(), 0..3000u64)
            .prop_map(|(device, shared, minute)| Step::Log { device, shared, minute }),
        2 => (0..5usize, any::<usize>(), 5..300i64)
            .prop_map(|(device, pick, duration)| Step::Edit { device, pick, duration }),
        1 => (0..5usize, any::<usize>()).prop_map(|(device, pick)| Step::Remove { device, pick }),
        4 => (0..5usize, net()).prop_map(|(device, net)| Step::Sync { device, net }),
        1 => any::<usize>().prop_map(|pick| Step::Replay { pick }),
    ]
}

/// Visits per rep name in 2026-W48, from the server's report, as the manager reads it.
fn weekly_report(server: &TestServer, company: &str) -> BTreeMap<String, u64> {
    let token = login(&server.url, company, "manager").access_token;
    weekly_visits(server, &token, "2026-W48")
}

struct Totals {
    cases: AtomicUsize,
    steps: AtomicUsize,
    faults: AtomicUsize,
    replays: AtomicUsize,
    acknowledged: AtomicUsize,
}

/// The visits `device` lists that `user` logged: only a record's author changes it.
fn own_visits(
    device: &Device,
    authors: &BTreeMap<String, &str>,
    user: &str,
) -> Vec<rapport_client_core::Item<Visit>> {
    device
        .list::<Visit>(None)
        .expect("list")
        .into_iter()
        .filter(|v| authors.get(&v.id) == Some(&user))
        .collect()
}

fn run_case(
    server: &TestServer,
    totals: &Totals,
    devices_n: usize,
    steps: &[Step],
) -> Result<(), TestCaseError> {
    let case = totals.cases.fetch_add(1, Ordering::SeqCst);
    let slug = format!("case{case}");
    let co = Company::setup(server, &slug);
    let proxy = FaultProxy::start(&server.url);
    let users: Vec<&str> = (0..devices_n)
        .map(|i| if i % 2 == 0 { "a" } else { "b" })
        .collect();
    let devices: Vec<Device> = users
        .iter()
        .map(|u| Device::new(&proxy.url, &slug, u))
        .collect();
    let mut authors: BTreeMap<String, &str> = BTreeMap::new();
    let mut touched = vec![BTreeSet::new(); devices_n];
    let mut ledger = Ledger::default();
    let mut rejected = 0;
    for step in steps {
        match *step {
            Step::Log {
                device,
                shared,
                minute,
            } => {
                let n = device % devices_n;
                let own = if users[n] == "a" {
                    &co.account_a
                } else {
                    &co.account_b
                };
                let account = if shared { &co.account_shared } else { own };
                let id = devices[n]
                    .create(&visit_in_week_48(account, minute, "proptest"))
                    .map_err(|e| TestCaseError::fail(format!("log: {e}")))?;
                authors.insert(id.clone(), users[n]);
                touched[n].insert(id);
            }
            Step::Edit {
                device,
                pick,
                duration,
            } => {
                let n = device % devices_n;
                let visits = own_visits(&devices[n], &authors, users[n]);
                if let Some(item) = visits.get(pick % visits.len().max(1)) {
                    devices[n]
                        .update::<Visit>(&item.id, |v| v.duration_min = duration)
                        .map_err(|e| TestCaseError::fail(format!("edit: {e}")))?;
                    touched[n].insert(item.id.clone());
                }
            }
            Step::Remove { device, pick } => {
                let n = device % devices_n;
                let visits = own_visits(&devices[n], &authors, users[n]);
                if let Some(item) = visits.get(pick % visits.len().max(1)) {
                    devices[n]
                        .remove::<Visit>(&item.id)
                        .map_err(|e| TestCaseError::fail(format!("remove: {e}")))?;
                    touched[n].insert(item.id.clone());
                }
            }
            Step::Sync { device, net } => {
                let n = device % devices_n;
                match net {
                    Net::Deliver => {}
                    Net::DropRequest => proxy.push_fault(Fault::CutRequest(0.0)),
                    Net::CutRequest(f) => proxy.push_fault(Fault::CutRequest(f)),
                    Net::CutResponse(f) => proxy.push_fault(Fault::CutResponse(f)),
                }
                if !matches!(net, Net::Deliver) {
                    totals.faults.fetch_add(1, Ordering::SeqCst);
                }
                if let Ok(report) = devices[n].sync() {
                    rejected += report.rejected;
                    if report.waiting == 0 {
                        ledger.acknowledge(&devices[n], &touched[n]);
                    }
                }
            }
            Step::Replay { pick } => {
                let recorded = proxy.recorded();
                if recorded > 0 {
                    let status = proxy.replay(pick % recorded);
                    totals.replays.fetch_add(1, Ordering::SeqCst);
                    prop_assert_eq!(status, 200, "a replayed sync request was refused");
                }
            }
        }
        totals.steps.fetch_add(1, Ordering::SeqCst);
    }

    // The network heals.
    for _ in 0..2 {
        for d in &devices {
            rejected += sync_until_done(d, Duration::from_secs(60)).rejected;
        }
    }
    prop_assert_eq!(rejected, 0, "the server rejected honest work");
    for (n, d) in devices.iter().enumerate() {
        ledger.acknowledge(d, &touched[n]);
    }
    totals
        .acknowledged
        .fetch_add(ledger.len(), Ordering::SeqCst);
    let lost = ledger.lost(server);
    prop_assert!(lost.is_empty(), "acknowledged changes lost: {:?}", lost);
    let pairs: Vec<(&str, &Device)> = users.iter().copied().zip(devices.iter()).collect();
    let diverged = divergences(server, &slug, &pairs);
    prop_assert!(diverged.is_empty(), "devices diverged: {:?}", diverged);

    // The report agrees with the records: live visits per author, as the devices hold them.
    let mut live: BTreeSet<String> = BTreeSet::new();
    for d in &devices {
        live.extend(
            d.list::<Visit>(None)
                .expect("list")
                .into_iter()
                .map(|i| i.id),
        );
    }
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for id in &live {
        let author = authors.get(id).copied().unwrap_or("?");
        *expected.entry(author.to_owned()).or_default() += 1;
    }
    let report: BTreeMap<String, u64> = weekly_report(server, &slug)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    prop_assert_eq!(
        report,
        expected,
        "the weekly report disagrees with the records"
    );
    Ok(())
}

#[test]
fn devices_and_the_server_converge_under_lost_duplicated_and_reordered_requests() {
    let server = TestServer::start();
    let totals = Totals {
        cases: AtomicUsize::new(0),
        steps: AtomicUsize::new(0),
        faults: AtomicUsize::new(0),
        replays: AtomicUsize::new(0),
        acknowledged: AtomicUsize::new(0),
    };
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut runner = TestRunner::new(Config {
        cases,
        // Each case talks to a real server: keep shrinking short.
        max_shrink_iters: 64,
        ..Config::default()
    });
    let strategy = (3..=5usize, proptest::collection::vec(step(), 10..40));
    let result = runner.run(&strategy, |(devices, steps)| {
        run_case(&server, &totals, devices, &steps)
    });
    println!(
        "convergence on {}: {} cases, {} steps, {} requests broken, {} requests delivered \
         again, {} acknowledged changes checked",
        backend_name(&server),
        totals.cases.load(Ordering::SeqCst),
        totals.steps.load(Ordering::SeqCst),
        totals.faults.load(Ordering::SeqCst),
        totals.replays.load(Ordering::SeqCst),
        totals.acknowledged.load(Ordering::SeqCst)
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
