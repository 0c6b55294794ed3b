//! Replays the inputs the fuzz targets (`fuzz/`, `scripts/fuzz`) found or started from,
//! in the ordinary test suite: every input that once crashed, hung or exhausted memory
//! (`fixtures/fuzz/<target>/crashes/`) must now be refused, and every kept corpus input
//! (`fixtures/fuzz/<target>/corpus/`) must run without a panic. The seeds the fuzzer
//! starts from are checked to pass, so the targets are known to reach past decoding.

#[path = "support/fuzz_harness.rs"]
mod harness;

use std::path::Path;
use std::time::{Duration, Instant};

use rapport_client_core::verify::Refused;

/// The files of `fixtures/fuzz/<target>/<set>/`, sorted; none when the directory is absent.
fn inputs(target: &str, set: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target)
        .join(set);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| {
            let path = e.expect("fixture entry").path();
            let bytes = std::fs::read(&path).expect("read fixture");
            (path.display().to_string(), bytes)
        })
        .collect();
    out.sort();
    out
}

/// Each input is handled within a bound: the limits must keep even hostile input cheap.
#[track_caller]
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(10), "{what} took {took:?}");
    out
}

#[test]
fn sync_push_crashes_are_refused() {
    let crashes = inputs("sync_push", "crashes");
    assert!(
        !crashes.is_empty(),
        "the sync_push crash fixtures are missing"
    );
    for (name, bytes) in crashes {
        match timed(&name, || harness::sync_push(&bytes)) {
            Err(_) => {}
            Ok(docs) => {
                assert!(!docs.is_empty(), "{name}: decoded, but pushes nothing");
                for d in docs {
                    assert!(
                        d.as_new.is_err() && d.over_stored.is_err(),
                        "{name}: a document was accepted: {d:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn store_load_crashes_are_refused() {
    let crashes = inputs("store_load", "crashes");
    assert!(
        !crashes.is_empty(),
        "the store_load crash fixtures are missing"
    );
    for (name, bytes) in crashes {
        let out = timed(&name, || harness::store_load(&bytes));
        assert!(!out.accepted_anything(), "{name}: accepted: {out:?}");
    }
}

#[test]
fn corpus_inputs_run_without_panic() {
    for target in ["sync_push", "store_load"] {
        for (name, bytes) in inputs(target, "corpus") {
            timed(&name, || {
                if target == "sync_push" {
                    let _ = harness::sync_push(&bytes);
                } else {
                    let _ = harness::store_load(&bytes);
                }
            });
        }
    }
}

#[test]
fn push_seeds_reach_the_merge() {
    let seeds: Vec<_> = harness::push_seeds();
    let get = |name: &str| {
        let bytes = &seeds.iter().find(|(n, _)| *n == name).expect("seed").1;
        harness::sync_push(bytes).expect("a seed decodes")
    };
    for name in ["new_visit", "new_visit_compressed"] {
        let docs = get(name);
        assert!(matches!(docs[0].as_new, Ok(true)), "{name}: {docs:?}");
        // Over the stored visit, the same changes are already there.
        assert!(matches!(docs[0].over_stored, Ok(false)), "{name}: {docs:?}");
    }
    let edit = get("edit_visit");
    assert!(matches!(edit[0].over_stored, Ok(true)), "{edit:?}");
    match &edit[0].as_new {
        Err(Refused::Document(r)) => assert_eq!(r.code, "missing_dependencies"),
        other => panic!("an edit alone is not a document: {other:?}"),
    }
    let two = get("two_docs");
    assert_eq!(two.len(), 2);
    match &two[1].over_stored {
        Err(Refused::Document(r)) => assert_eq!(r.code, "invalid_document"),
        other => panic!("a visit's edit is not a contact: {other:?}"),
    }
    assert!(get("empty").is_empty());
}

#[test]
fn store_seeds_load() {
    for (name, bytes) in harness::store_seeds() {
        let out = harness::store_load(&bytes);
        match name {
            "saved_visit" => {
                let kinds = out.stored.as_ref().expect("a saved visit loads");
                assert_eq!(kinds.iter().filter(|ok| **ok).count(), 1, "{out:?}");
                assert!(out.pulled_snapshot, "{out:?}");
            }
            _ => assert!(out.pulled_change, "{name}: {out:?}"),
        }
    }
}
