//! Corrupt input from disk or the network must give `Err`, never a panic: stored
//! documents, pulled documents and changes. The fixtures in `fixtures/corrupt/` are kept
//! as regression inputs; more are derived at run time from a real document by truncating
//! it and flipping its bytes.

use std::path::Path;

use automerge::ActorId;
use rapport_client_core::model::{self, Contact};
use rapport_client_core::protocol::{Change, PulledDoc, SyncResponse};
use rapport_client_core::store::{PushBatch, Store};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corrupt");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| {
            let path = e.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read fixture");
            (path.display().to_string(), bytes)
        })
        .collect();
    out.sort();
    assert!(out.len() >= 5, "fixtures missing from {}", dir.display());
    out
}

fn real_document() -> Vec<u8> {
    let mut doc = model::new_document(ActorId::random());
    model::write_record(
        &mut doc,
        &Contact {
            account_id: model::new_id(),
            name: "Zhang Wei".into(),
            title: Some("Purchasing director".into()),
            phone: None,
            notes: Some("prefers tea".into()),
            deleted: false,
            ..Default::default()
        },
    )
    .expect("write");
    doc.save()
}

#[test]
fn corrupt_fixtures_do_not_load_as_documents_or_changes() {
    for (name, bytes) in fixtures() {
        assert!(
            model::load_document(&bytes, None).is_err() || bytes.is_empty(),
            "{name} loaded"
        );
        assert!(
            model::parse_change(&bytes).is_err(),
            "{name} parsed as a change"
        );
    }
}

#[test]
fn truncated_and_flipped_documents_give_errors_not_panics() {
    let good = real_document();
    assert!(model::load_document(&good, None).is_ok());
    for n in 1..good.len() {
        // Any outcome but a panic is acceptable for a prefix; most are errors.
        let _ = model::load_document(&good[..n], None);
    }
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x5a;
        let _ = model::load_document(&bad, None);
    }
}

fn pulled(doc_id: &str, snapshot: Vec<u8>) -> SyncResponse {
    SyncResponse {
        results: vec![],
        docs: vec![PulledDoc {
            doc_id: doc_id.into(),
            kind: "contact".into(),
            account_id: model::new_id(),
            snapshot: Some(Change(snapshot)),
            changes: vec![],
        }],
        cursor: 10,
        has_more: false,
        rules: None,
        removals: vec![],
    }
}

#[test]
fn a_corrupt_pulled_document_is_an_error_and_changes_nothing() {
    let mut store = Store::open_in_memory().expect("store");
    let id = model::new_id();
    // A good pull first, so there is state to keep.
    store
        .apply_sync(&PushBatch::default(), &pulled(&id, real_document()))
        .expect("good pull");
    let before = (
        store.document_ids().expect("ids"),
        store.cursor().expect("cursor"),
    );
    for (name, bytes) in fixtures() {
        if bytes.is_empty() {
            continue;
        }
        let mut response = pulled(&id, bytes);
        response.cursor = 99;
        assert!(
            store.apply_sync(&PushBatch::default(), &response).is_err(),
            "{name} was merged"
        );
        let after = (
            store.document_ids().expect("ids"),
            store.cursor().expect("cursor"),
        );
        assert_eq!(before, after, "{name} changed the store");
    }
    let mut unknown = pulled(&model::new_id(), real_document());
    unknown.docs[0].kind = "spaceship".into();
    assert!(store.apply_sync(&PushBatch::default(), &unknown).is_err());
    assert_eq!(store.cursor().expect("cursor"), 10);
}

#[test]
fn a_store_file_that_is_not_a_database_is_an_error() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("rapport.db");
    std::fs::write(&path, b"this is not an SQLite database, just text").expect("write");
    assert!(Store::open(&path).is_err());
}
