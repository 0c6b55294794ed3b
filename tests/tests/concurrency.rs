//! Pulls never skip (invariant 3), with writers on two server processes sharing one
//! database: devices push through both processes at once while readers pull through both,
//! following their cursors. A change that became visible after a reader's cursor had
//! moved past it would never reach that reader; at the end every reader must hold every
//! document, identical to its writer's.
//!
//! On PostgreSQL the two processes are real peers behind a would-be load balancer; on
//! SQLite (one writer at a time across processes) the same traffic runs through both too.
//!
//! Each writer logs 12 visits in the default suite; `RAPPORT_STRESS_RUNS=N` makes it N
//! (the long variant in docs/RELIABILITY.md).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::TimeZone;
use rapport_client_core::model::{LocalTime, Visit};
use rapport_tests::invariants::{backend_name, stress_runs};
use rapport_tests::{Company, Device, TestServer};

const WRITERS: usize = 4;

fn visit(account: &str, n: usize) -> Visit {
    let at = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
        .single()
        .expect("time")
        + chrono::Duration::minutes(i64::try_from(n).expect("small"));
    Visit {
        account_id: account.to_owned(),
        occurred_at: LocalTime::from_datetime(&at),
        logged_at: LocalTime::from_datetime(&at),
        duration_min: 30,
        purpose: format!("concurrent visit {n}"),
        ..Visit::default()
    }
}

#[test]
fn no_pull_skips_a_change_with_writers_on_two_processes() {
    let visits_per_writer = stress_runs(12);
    let server = TestServer::start();
    let peer = server.peer();
    let co = Company::setup(&server, "acme");
    let urls = [server.url.clone(), peer.url.clone()];

    // Writers alternate between the two processes; so do the readers.
    let writers: Vec<Device> = (0..WRITERS)
        .map(|i| Device::new(&urls[i % 2], "acme", if i % 2 == 0 { "a" } else { "b" }))
        .collect();
    let readers: Vec<Device> = (0..2)
        .map(|i| Device::new(&urls[(i + 1) % 2], "acme", "a"))
        .collect();
    for d in writers.iter().chain(&readers) {
        d.sync().expect("first sync");
    }

    let done = Arc::new(AtomicBool::new(false));
    let pulls = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for reader in &readers {
            let (done, pulls) = (done.clone(), pulls.clone());
            s.spawn(move || {
                while !done.load(Ordering::SeqCst) {
                    reader.sync().expect("reader sync");
                    pulls.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        let handles: Vec<_> = writers
            .iter()
            .enumerate()
            .map(|(w, device)| {
                let account = co.account_shared.clone();
                s.spawn(move || {
                    for n in 0..visits_per_writer {
                        device
                            .create(&visit(&account, w * 100 + n))
                            .expect("log visit");
                        device.sync().expect("writer sync");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("writer");
        }
        done.store(true, Ordering::SeqCst);
    });

    // One last pull each: anything a reader's cursor skipped is now lost to it for good.
    for reader in &readers {
        reader.sync().expect("final sync");
    }
    let written: usize = WRITERS * visits_per_writer;
    assert_eq!(server.count("SELECT COUNT(*) FROM visits"), written as i64);
    for reader in &readers {
        let held = reader
            .list::<Visit>(Some(&co.account_shared))
            .expect("list");
        assert_eq!(held.len(), written, "a reader misses visits");
        for writer in &writers {
            let theirs = writer
                .list::<Visit>(Some(&co.account_shared))
                .expect("list");
            for id in theirs.into_iter().map(|v| v.id) {
                assert_eq!(
                    reader.heads(&id).expect("heads"),
                    writer.heads(&id).expect("heads"),
                    "document {id} differs"
                );
            }
        }
    }
    let interleavings = pulls.load(Ordering::SeqCst);
    println!(
        "pulls never skip on {}: {written} visits pushed by {WRITERS} writers through 2 server \
         processes while 2 readers pulled through both: {interleavings} pulls interleaved with \
         the pushes, none skipped a change",
        backend_name(&server)
    );
    assert!(interleavings > 0);
}
