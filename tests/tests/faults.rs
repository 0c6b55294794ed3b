//! Rapport under faults: connections cut at random points of requests and responses, the
//! server killed with SIGKILL in the middle of syncs, fifty devices editing one account at
//! once, and a graceful stop (SIGTERM) with syncs in flight. In every case nothing a
//! device was told is stored may be lost, and every device ends up with what the server
//! holds.
//!
//! The default suite runs a few runs of each; `RAPPORT_STRESS_RUNS=N` runs N (the long
//! variant; docs/RELIABILITY.md gives the commands and the figures).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapport_client_core::model::{self, Account, Stage, StageStep, Visit};
use rapport_tests::invariants::{
    Ledger, backend_name, bookkeeping_problems, divergences, in_week_48, stress_runs, stress_seed,
    sync_until_done, visit_in_week_48,
};
use rapport_tests::{Company, Device, FaultProxy, TestServer};

const PATIENCE: Duration = Duration::from_secs(60);

/// The accounts a test company's rep serves: their own and the shared one.
fn accounts_of(co: &Company, user: &str) -> [String; 2] {
    let own = if user == "a" {
        &co.account_a
    } else {
        &co.account_b
    };
    [own.clone(), co.account_shared.clone()]
}

/// One random piece of offline work on `device`: log a visit, or edit one it can see
/// that its user logged (`mine`: a visit is its author's to change). Returns the id of the
/// record touched.
fn random_work(
    rng: &mut ChaCha8Rng,
    device: &Device,
    accounts: &[String; 2],
    label: &str,
    mine: &mut BTreeSet<String>,
) -> String {
    let visits: Vec<_> = device
        .list::<Visit>(None)
        .expect("list visits")
        .into_iter()
        .filter(|v| mine.contains(&v.id))
        .collect();
    if visits.is_empty() || rng.gen_bool(0.5) {
        let account = &accounts[rng.gen_range(0..2)];
        let minute = rng.gen_range(0..3000);
        let id = device
            .create(&visit_in_week_48(account, minute, label))
            .expect("log a visit");
        mine.insert(id.clone());
        id
    } else {
        let id = visits[rng.gen_range(0..visits.len())].id.clone();
        let duration = rng.gen_range(10..240);
        let notes = format!("edited: {label}");
        device
            .update::<Visit>(&id, |v| {
                v.duration_min = duration;
                v.notes = notes;
            })
            .expect("edit a visit");
        id
    }
}

#[test]
fn interrupted_syncs_lose_nothing_and_devices_converge() {
    let runs = stress_runs(60);
    let seed = stress_seed(20_261_127);
    // Access tokens shorter than the devices' refresh margin: every sync refreshes first,
    // so refreshes are cut too (a lost refresh answer must not sign the rep out).
    let server = TestServer::start_with(&["--access-token-ttl", "30"]);
    let co = Company::setup(&server, "acme");
    let proxy = FaultProxy::start(&server.url);
    // Two phones of rep a and one of rep b; all three share one account.
    let users = ["a", "a", "b"];
    let devices: Vec<Device> = users
        .iter()
        .map(|u| Device::new(&proxy.url, "acme", u))
        .collect();
    for d in &devices {
        sync_until_done(d, PATIENCE);
    }

    // From here, 45% of requests are cut, at a random byte of the request or response.
    proxy.set_random(seed, 0.45);
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(1));
    let mut ledger = Ledger::default();
    let mut touched = vec![BTreeSet::new(); devices.len()];
    let mut created = BTreeSet::new();
    let mut mine: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let (mut completed, mut broken, mut rejected) = (0usize, 0usize, 0u64);
    for run in 0..runs {
        let n = rng.gen_range(0..devices.len());
        let device = &devices[n];
        for _ in 0..rng.gen_range(1..=3) {
            let before = device.list::<Visit>(None).expect("list").len();
            let id = random_work(
                &mut rng,
                device,
                &accounts_of(&co, users[n]),
                &format!("run {run}, device {n}"),
                mine.entry(users[n]).or_default(),
            );
            if device.list::<Visit>(None).expect("list").len() > before {
                created.insert(id.clone());
            }
            touched[n].insert(id);
        }
        match device.sync() {
            Ok(report) => {
                completed += 1;
                rejected += report.rejected;
                if report.waiting == 0 {
                    ledger.acknowledge(device, &touched[n]);
                }
            }
            Err(_) => broken += 1,
        }
    }

    // The network heals: every device syncs until nothing waits, then once more to pull
    // what the others pushed last.
    proxy.set_random(0, 0.0);
    for _ in 0..2 {
        for d in &devices {
            rejected += sync_until_done(d, PATIENCE).rejected;
        }
    }
    for (n, d) in devices.iter().enumerate() {
        ledger.acknowledge(d, &touched[n]);
    }
    let stats = proxy.stats();
    let lost = ledger.lost(&server);
    let pairs: Vec<(&str, &Device)> = users.iter().copied().zip(devices.iter()).collect();
    let diverged = divergences(&server, "acme", &pairs);
    let stored_visits = server.count("SELECT COUNT(*) FROM visits");
    println!(
        "interrupted sync on {}: {runs} runs (seed {seed}), {completed} syncs completed, \
         {broken} broken; {} requests cut on the way in, {} responses cut, {} delivered \
         ({} of all requests were token refreshes); {} acknowledged changes: lost {}; \
         documents diverged: {}",
        backend_name(&server),
        stats.cut_requests,
        stats.cut_responses,
        stats.passed,
        stats.refreshes,
        ledger.len(),
        lost.len(),
        diverged.len()
    );
    assert!(
        stats.cut_requests > 0 && stats.cut_responses > 0 && broken > 0,
        "the proxy broke nothing: the test tested nothing ({stats:?})"
    );
    assert!(
        stats.refreshes > 0,
        "no token refresh went through the proxy"
    );
    assert!(!ledger.is_empty(), "nothing was acknowledged");
    assert_eq!(lost, Vec::<String>::new(), "acknowledged changes lost");
    assert_eq!(diverged, Vec::<String>::new(), "devices diverged");
    assert_eq!(rejected, 0, "the server rejected retried work");
    // A create retried after a lost response is stored once.
    assert_eq!(
        stored_visits,
        i64::try_from(created.len()).expect("count"),
        "visits stored"
    );
}

#[test]
fn a_server_killed_mid_sync_loses_nothing_it_acknowledged() {
    let runs = stress_runs(6);
    let seed = stress_seed(7);
    let mut server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let users = ["a", "b", "a"];
    let devices: Vec<Device> = users
        .iter()
        .map(|u| Device::new(&server.url, "acme", u))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ledger = Ledger::default();
    let mut touched = vec![BTreeSet::new(); devices.len()];
    let (mut acknowledged_before_kill, mut cut_by_kill) = (0usize, 0usize);
    let mut mine: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for run in 0..runs {
        for (n, device) in devices.iter().enumerate() {
            for _ in 0..rng.gen_range(1..=8) {
                let id = random_work(
                    &mut rng,
                    device,
                    &accounts_of(&co, users[n]),
                    &format!("run {run}, device {n}"),
                    mine.entry(users[n]).or_default(),
                );
                touched[n].insert(id);
            }
        }
        // Every device syncs at once; the server dies a random moment later.
        let delay = Duration::from_millis(rng.gen_range(0..60));
        let outcomes: Vec<bool> = std::thread::scope(|s| {
            let handles: Vec<_> = devices.iter().map(|d| s.spawn(move || d.sync())).collect();
            std::thread::sleep(delay);
            server.kill();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .expect("sync thread")
                        .is_ok_and(|report| report.waiting == 0)
                })
                .collect()
        });
        for (n, done) in outcomes.into_iter().enumerate() {
            if done {
                acknowledged_before_kill += 1;
                ledger.acknowledge(&devices[n], &touched[n]);
            } else {
                cut_by_kill += 1;
            }
        }
        // What the server acknowledged before it died must be there after the restart.
        server.restart();
        let lost = ledger.lost(&server);
        assert_eq!(
            lost,
            Vec::<String>::new(),
            "run {run}: acknowledged changes lost"
        );
        for (n, device) in devices.iter().enumerate() {
            let report = sync_until_done(device, PATIENCE);
            assert_eq!(report.rejected, 0, "run {run}: retried work rejected");
            ledger.acknowledge(device, &touched[n]);
        }
    }
    for d in &devices {
        sync_until_done(d, PATIENCE);
    }
    // A last kill, with nothing in flight, then the checks on the database itself.
    server.kill();
    let problems = bookkeeping_problems(&server);
    server.restart();
    let lost = ledger.lost(&server);
    let pairs: Vec<(&str, &Device)> = users.iter().copied().zip(devices.iter()).collect();
    let diverged = divergences(&server, "acme", &pairs);
    println!(
        "SIGKILL mid-sync on {}: {runs} kills (seed {seed}); {acknowledged_before_kill} syncs \
         acknowledged before a kill, {cut_by_kill} cut by one; {} acknowledged changes: lost {}; \
         documents diverged: {}; bookkeeping problems: {}",
        backend_name(&server),
        ledger.len(),
        lost.len(),
        diverged.len(),
        problems.len()
    );
    assert!(cut_by_kill > 0, "no kill landed during a sync");
    assert_eq!(lost, Vec::<String>::new(), "acknowledged changes lost");
    assert_eq!(diverged, Vec::<String>::new(), "devices diverged");
    assert_eq!(problems, Vec::<String>::new(), "the database is damaged");
}

#[test]
fn fifty_devices_editing_one_account_keep_every_change() {
    const DEVICES: usize = 50;
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let users: Vec<&str> = (0..DEVICES)
        .map(|i| if i % 2 == 0 { "a" } else { "b" })
        .collect();
    let devices: Vec<Device> = std::thread::scope(|s| {
        let handles: Vec<_> = users
            .iter()
            .map(|u| {
                let url = server.url.clone();
                s.spawn(move || {
                    let d = Device::new(&url, "acme", u);
                    sync_until_done(&d, PATIENCE);
                    d
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("device"))
            .collect()
    });

    // Offline, every device moves the shared account's stage (one step each in its
    // history) and logs a visit on it.
    let mut steps = BTreeSet::new();
    let mut visits = BTreeSet::new();
    for (n, d) in devices.iter().enumerate() {
        let step = model::new_id();
        let stage = if n % 2 == 0 {
            Stage::Intermediate
        } else {
            Stage::Advanced
        };
        let at = in_week_48(u64::try_from(n).expect("small") * 7);
        let step_id = step.clone();
        d.update::<Account>(&co.account_shared, move |a| {
            a.stage = Some(stage);
            a.stage_history.push(StageStep {
                id: step_id,
                stage,
                at,
            });
        })
        .expect("move the stage");
        steps.insert(step);
        visits.insert(
            d.create(&visit_in_week_48(
                &co.account_shared,
                u64::try_from(n).expect("small"),
                &format!("device {n}"),
            ))
            .expect("log"),
        );
    }

    // All fifty sync at the same moment.
    let barrier = std::sync::Barrier::new(DEVICES);
    let reports: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = devices
            .iter()
            .map(|d| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    d.sync()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("sync thread"))
            .collect()
    });
    let mut ledger = Ledger::default();
    let mut first_try = 0;
    for (d, report) in devices.iter().zip(&reports) {
        match report {
            Ok(r) => {
                assert_eq!(r.rejected, 0, "a concurrent edit was rejected");
                if r.waiting == 0 {
                    first_try += 1;
                    ledger.acknowledge(d, [&co.account_shared]);
                }
            }
            Err(e) => panic!("a sync failed under contention: {e}"),
        }
    }
    for _ in 0..2 {
        for d in &devices {
            sync_until_done(d, PATIENCE);
        }
    }
    for d in &devices {
        ledger.acknowledge(d, [&co.account_shared]);
        let account = d.get::<Account>(&co.account_shared).expect("account");
        let held: BTreeSet<String> = account.stage_history.iter().map(|s| s.id.clone()).collect();
        assert_eq!(held, steps, "a device misses stage moves");
    }
    let lost = ledger.lost(&server);
    let pairs: Vec<(&str, &Device)> = users.iter().copied().zip(devices.iter()).collect();
    let diverged = divergences(&server, "acme", &pairs);
    let stored = server.count(&format!(
        "SELECT COUNT(*) FROM visits WHERE account_id = '{}'",
        co.account_shared
    ));
    println!(
        "contention on {}: {DEVICES} devices editing one account at once, {first_try} \
         acknowledged at the first try; stage moves kept {}/{DEVICES}; visits stored \
         {stored}/{DEVICES}; lost {}; documents diverged {}",
        backend_name(&server),
        steps.len(),
        lost.len(),
        diverged.len()
    );
    assert_eq!(first_try, DEVICES, "every concurrent sync is acknowledged");
    assert_eq!(stored, i64::try_from(visits.len()).expect("count"));
    assert_eq!(lost, Vec::<String>::new(), "acknowledged changes lost");
    assert_eq!(diverged, Vec::<String>::new(), "devices diverged");
}

/// Eight devices with a large offline backlog each all sync at once; the server is told
/// to stop while their pushes are in flight. Returns, per device, whether its sync
/// succeeded and how many of its visits the server held after the stop.
fn stop_with_syncs_in_flight(grace_secs: &str, backlog: usize) -> (TestServer, Vec<(bool, i64)>) {
    let mut server = TestServer::start_with(&["--shutdown-grace-secs", grace_secs]);
    let co = Company::setup(&server, "acme");
    let users = ["a", "b", "a", "b", "a", "b", "a", "b"];
    let devices: Vec<Device> = users
        .iter()
        .map(|u| Device::new(&server.url, "acme", u))
        .collect();
    let mut logged: Vec<Vec<String>> = Vec::new();
    for (n, d) in devices.iter().enumerate() {
        let accounts = accounts_of(&co, users[n]);
        logged.push(
            (0..backlog)
                .map(|i| {
                    d.create(&visit_in_week_48(
                        &accounts[i % 2],
                        u64::try_from(i).expect("small"),
                        &format!("backlog {i} of device {n}"),
                    ))
                    .expect("log")
                })
                .collect(),
        );
    }
    let changes_before = server.count("SELECT COUNT(*) FROM changes");
    let results: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = devices.iter().map(|d| s.spawn(move || d.sync())).collect();
        // Wait until the first push is stored: the others are queued behind it.
        let deadline = std::time::Instant::now() + PATIENCE;
        while server.count("SELECT COUNT(*) FROM changes") == changes_before {
            assert!(std::time::Instant::now() < deadline, "no push was stored");
            std::thread::sleep(Duration::from_millis(5));
        }
        let took = server
            .terminate(Duration::from_secs(60))
            .expect("the server stops within a minute of SIGTERM");
        println!("stopped {took:?} after SIGTERM (grace {grace_secs} s)");
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .expect("sync thread")
                    .is_ok_and(|report| report.waiting == 0)
            })
            .collect()
    });
    server.restart();
    // How many of `ids` the server holds.
    let stored = |ids: &[String]| {
        let list = ids
            .iter()
            .map(|id| format!("'{id}'"))
            .collect::<Vec<_>>()
            .join(",");
        server.count(&format!(
            "SELECT COUNT(*) FROM documents WHERE id IN ({list})"
        ))
    };
    let held: Vec<i64> = logged.iter().map(|ids| stored(ids)).collect();
    // Afterwards every device finishes its job.
    for (d, ids) in devices.iter().zip(&logged) {
        sync_until_done(d, PATIENCE);
        assert_eq!(
            stored(ids),
            i64::try_from(ids.len()).expect("count"),
            "a device's backlog is incomplete after the restart"
        );
    }
    let problems = bookkeeping_problems(&server);
    assert_eq!(problems, Vec::<String>::new(), "the database is damaged");
    (server, results.into_iter().zip(held).collect())
}

/// Each device's backlog is one request: stored whole or not at all, and whole when the
/// sync was acknowledged. `outcomes`: per device, acknowledged and the records stored.
fn assert_whole(outcomes: &[(bool, i64)], backlog: i64) {
    for (ok, held) in outcomes {
        assert!(
            *held == 0 || *held == backlog,
            "half a sync stored: {held}/{backlog}"
        );
        if *ok {
            assert_eq!(*held, backlog, "an acknowledged sync is missing records");
        }
    }
}

#[test]
fn sigterm_lets_syncs_in_flight_finish_and_cuts_none_in_half() {
    const BACKLOG: usize = 60;
    let backlog = i64::try_from(BACKLOG).expect("count");
    // With time to finish: every sync that reached the server completes.
    let (server, outcomes) = stop_with_syncs_in_flight("30", BACKLOG);
    let finished = outcomes.iter().filter(|(ok, _)| *ok).count();
    assert_whole(&outcomes, backlog);
    println!(
        "SIGTERM with a 30 s grace on {}: {finished}/{} syncs in flight finished",
        backend_name(&server),
        outcomes.len()
    );
    assert!(finished > 0, "no sync finished during the grace period");
    drop(server);

    // With no grace at all: the stop cuts syncs off, and each is rolled back whole.
    let (server, outcomes) = stop_with_syncs_in_flight("0", BACKLOG);
    let cut = outcomes.iter().filter(|(ok, _)| !*ok).count();
    assert_whole(&outcomes, backlog);
    println!(
        "SIGTERM with no grace on {}: {cut}/{} syncs cut off, none half-applied",
        backend_name(&server),
        outcomes.len()
    );
}
