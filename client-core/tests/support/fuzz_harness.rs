//! The bodies of Rapport's fuzz targets, shared by the targets (`fuzz/`, built with
//! cargo-fuzz) and by `tests/fuzz_fixtures.rs`, which replays every kept input in the
//! ordinary test suite.
//!
//! - [`sync_push`]: bytes as a sync request body, decoded and checked as the server does,
//!   then every document verified and merged as a new document and over a stored visit;
//! - [`store_load`]: bytes as a document in the device store (opened from its row), and
//!   as a snapshot and as a change the server sends in a sync response.

#![allow(dead_code)]

use std::cell::RefCell;

use automerge::AutoCommit;
use automerge::transaction::CommitOptions;
use rapport_client_core::model::{self, AnyRecord, DocKind, LocalTime, Visit};
use rapport_client_core::protocol::{self, Change, PulledDoc, SyncResponse};
use rapport_client_core::store::{PushBatch, Store};
use rapport_client_core::verify::{self, Budget, Refused, Verified};

/// The device actor the harness pushes as: inputs built with it get past the actor check.
pub const ACTOR: &str = "0123456789abcdef0123456789abcdef";
/// The account of the stored visit.
pub const ACCOUNT: &str = "01936f3a-0000-7000-8000-000000000001";
/// The id the store target's document is kept under.
pub const DOC_ID: &str = "01936f3a-0000-7000-8000-0000000000f0";

fn actor() -> automerge::ActorId {
    automerge::ActorId::try_from(ACTOR).expect("a hex actor")
}

/// A valid visit, written by [`ACTOR`] at a fixed time, so its bytes (and the hashes of
/// changes built on it) are the same in every run.
pub fn stored_visit() -> AutoCommit {
    let at = LocalTime {
        utc_ms: 1_764_000_000_000,
        offset_min: 480,
    };
    let visit = Visit {
        account_id: ACCOUNT.to_owned(),
        occurred_at: at,
        logged_at: at,
        duration_min: 45,
        purpose: "Quarterly review".to_owned(),
        ..Default::default()
    };
    let mut doc = model::new_document(actor());
    autosurgeon::reconcile(&mut doc, &visit).expect("reconcile");
    doc.commit_with(CommitOptions::default().with_time(0));
    doc
}

/// What one document of a pushed request came to, against no stored document and
/// against the stored visit.
#[derive(Debug)]
pub struct PushOutcome {
    pub as_new: Result<bool, Refused>,
    pub over_stored: Result<bool, Refused>,
}

/// `Ok(true)` for merged, `Ok(false)` for nothing new.
fn summary(checked: Option<verify::Checked>) -> Result<bool, Refused> {
    checked
        .expect("every document is given a base")
        .result
        .map(|v| matches!(v, Verified::Merged(_)))
        .map_err(Refused::Document)
}

/// Decodes `data` as the server decodes a sync body, then verifies every document as the
/// server does: in order, against one budget for the whole request, stopping at the first
/// change past it. Once as new documents, once over the stored visit.
pub fn sync_push(data: &[u8]) -> Result<Vec<PushOutcome>, verify::RequestError> {
    let request = verify::decode_request(data)?;
    let stored = stored_visit().save();
    let as_new = verify::verify_documents(
        request
            .push
            .iter()
            .map(|push| verify::ToVerify {
                push,
                base: Some(None),
            })
            .collect(),
        ACTOR,
        &mut Budget::default(),
    )?;
    let over_stored = verify::verify_documents(
        request
            .push
            .iter()
            .map(|push| verify::ToVerify {
                push,
                base: Some(Some(
                    AutoCommit::load(&stored).expect("the stored visit loads"),
                )),
            })
            .collect(),
        ACTOR,
        &mut Budget::default(),
    )?;
    Ok(as_new
        .into_iter()
        .zip(over_stored)
        .map(|(as_new, over_stored)| PushOutcome {
            as_new: summary(as_new),
            over_stored: summary(over_stored),
        })
        .collect())
}

/// What the store made of one input.
#[derive(Debug, Default)]
pub struct LoadOutcome {
    /// The input as a stored document's bytes: loaded, and read as each kind.
    pub stored: Option<Vec<bool>>,
    /// The input as a pulled snapshot: merged (and then read back) or refused.
    pub pulled_snapshot: bool,
    /// The input as one pulled change.
    pub pulled_change: bool,
}

impl LoadOutcome {
    /// Whether any path took the input as data (rather than refusing it).
    pub fn accepted_anything(&self) -> bool {
        self.stored.is_some() || self.pulled_snapshot || self.pulled_change
    }
}

thread_local! {
    /// An in-memory store shared by a second connection that writes raw rows into it.
    static STORE: RefCell<Option<(Store, rusqlite::Connection)>> = const { RefCell::new(None) };
}

/// Numbers each thread's in-memory database: a shared-cache name is global to the
/// process, and tests run on several threads at once.
static STORES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn with_store<T>(f: impl FnOnce(&mut Store, &rusqlite::Connection) -> T) -> T {
    STORE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let n = STORES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let uri = format!("file:rapport-fuzz-store-{n}?mode=memory&cache=shared");
            // The raw connection first: it keeps the shared in-memory database alive.
            let raw = rusqlite::Connection::open(&uri).expect("open raw");
            let store = Store::open(std::path::Path::new(&uri)).expect("open store");
            *slot = Some((store, raw));
        }
        let (store, raw) = slot.as_mut().expect("just set");
        f(store, raw)
    })
}

/// Feeds `data` to the device store: as the bytes of a stored document, loaded the way
/// the app opens a record; and as what a sync response may carry for a document (a
/// snapshot, a change), merged the way the store applies a response.
pub fn store_load(data: &[u8]) -> LoadOutcome {
    with_store(|store, raw| {
        let mut out = LoadOutcome::default();
        raw.execute("DELETE FROM documents", []).expect("clear");
        raw.execute(
            "INSERT INTO documents (id, kind, account_id, data) VALUES (?1, 'visit', '', ?2)",
            rusqlite::params![DOC_ID, data],
        )
        .expect("insert");
        if let Ok(Some((_, doc))) = store.load(DOC_ID) {
            out.stored = Some(
                DocKind::ALL
                    .iter()
                    .map(|k| AnyRecord::read(*k, &doc).is_ok())
                    .collect(),
            );
        }
        raw.execute("DELETE FROM documents", []).expect("clear");
        let pulled = |snapshot: Option<Change>, changes: Vec<Change>| SyncResponse {
            results: vec![],
            docs: vec![PulledDoc {
                doc_id: DOC_ID.to_owned(),
                kind: "visit".to_owned(),
                account_id: ACCOUNT.to_owned(),
                snapshot,
                changes,
            }],
            cursor: 1,
            has_more: false,
            rules: None,
            removals: vec![],
        };
        let batch = PushBatch::default();
        out.pulled_snapshot = store
            .apply_sync(&batch, &pulled(Some(Change(data.to_vec())), vec![]))
            .is_ok()
            && store.load(DOC_ID).is_ok_and(|d| d.is_some());
        raw.execute("DELETE FROM documents", []).expect("clear");
        out.pulled_change = store
            .apply_sync(&batch, &pulled(None, vec![Change(data.to_vec())]))
            .is_ok();
        raw.execute("DELETE FROM documents", []).expect("clear");
        out
    })
}

/// Valid sync request bodies, the seeds of `sync_push`: a new visit (plain and
/// compressed changes), an edit of the stored visit, several documents in one request.
pub fn push_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let encode = |push: Vec<protocol::PushDoc>| {
        postcard::to_stdvec(&protocol::SyncRequest {
            version: protocol::PROTOCOL_VERSION,
            cursor: 0,
            rules_version: 0,
            push,
        })
        .expect("encode")
    };
    let doc = |id: &str, kind: &str, changes: Vec<Change>| protocol::PushDoc {
        doc_id: id.to_owned(),
        kind: kind.to_owned(),
        changes,
    };
    let mut new_visit = stored_visit();
    let plain: Vec<Change> = new_visit
        .get_changes(&[])
        .iter()
        .map(|c| Change(c.raw_bytes().to_vec()))
        .collect();
    let compressed: Vec<Change> = new_visit
        .get_changes(&[])
        .into_iter()
        .map(|mut c| Change(c.bytes().into_owned()))
        .collect();
    let mut edited = stored_visit();
    let heads = edited.get_heads();
    let mut visit: Visit = model::read_record(&edited).expect("read");
    visit.notes = "Asked about the new line; send the brochure.".repeat(4);
    visit.contacts_met = vec![DOC_ID.to_owned()];
    autosurgeon::reconcile(&mut edited, &visit).expect("reconcile");
    edited.commit_with(CommitOptions::default().with_time(0));
    let edit: Vec<Change> = edited
        .get_changes(&heads)
        .into_iter()
        .map(|mut c| Change(c.bytes().into_owned()))
        .collect();
    let second = "01936f3a-0000-7000-8000-0000000000f1";
    vec![
        (
            "new_visit",
            encode(vec![doc(DOC_ID, "visit", plain.clone())]),
        ),
        (
            "new_visit_compressed",
            encode(vec![doc(DOC_ID, "visit", compressed)]),
        ),
        (
            "edit_visit",
            encode(vec![doc(DOC_ID, "visit", edit.clone())]),
        ),
        (
            "two_docs",
            encode(vec![
                doc(DOC_ID, "visit", plain),
                doc(second, "contact", edit),
            ]),
        ),
        ("empty", encode(vec![])),
    ]
}

/// Valid inputs of `store_load`: a saved visit, and one change of it.
pub fn store_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut doc = stored_visit();
    let change = doc.get_changes(&[])[0].raw_bytes().to_vec();
    vec![("saved_visit", doc.save()), ("visit_change", change)]
}
