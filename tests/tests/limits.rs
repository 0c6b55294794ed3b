//! Resource limits on what a device pushes: a record's history in operations, nesting
//! depth, a huge field, a huge list, a change claiming billions of operations in a few
//! bytes, a DEFLATE bomb, a compressed request body. Each is refused with a clear code
//! or status, quickly; nothing of it is stored; and another rep's ordinary sync, running
//! at the same time, is served.

use std::io::Write;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ScalarValue};
use rapport_client_core::model;
use rapport_client_core::protocol::{self, Change, Outcome};
use rapport_client_core::verify;
use rapport_tests::raw::*;
use rapport_tests::{Company, Device, TestServer, login, visit_in_week};
use sha2::{Digest, Sha256};

/// A valid visit by `actor`, then `extra` applied in the same change: the hostile part.
fn visit_with(actor: ActorId, account: &str, extra: impl FnOnce(&mut AutoCommit)) -> AutoCommit {
    let mut doc = model::new_document(actor);
    autosurgeon::reconcile(&mut doc, visit_in_week(account, "Quarterly review"))
        .expect("reconcile");
    extra(&mut doc);
    doc.commit();
    doc
}

/// The changes of `doc` as a device sends them (compressed above 256 bytes).
fn sent(doc: &mut AutoCommit) -> Vec<Change> {
    wire(doc.get_changes(&[]))
}

/// The changes of `doc` uncompressed.
fn sent_raw(doc: &mut AutoCommit) -> Vec<Change> {
    doc.get_changes(&[])
        .iter()
        .map(|c| Change(c.raw_bytes().to_vec()))
        .collect()
}

struct Setup {
    server: TestServer,
    co: Company,
    token: String,
    actor: ActorId,
}

fn setup() -> Setup {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    Setup {
        actor: actor(&rep),
        token: rep.access_token,
        server,
        co,
    }
}

/// Pushes `changes` as a new visit while rep b logs and syncs a visit of their own on
/// another thread. The push must be rejected with `code`, in bounded time; b's sync must
/// be accepted; and nothing of the refused document may be stored.
#[track_caller]
fn refused_while_others_are_served(s: &Setup, what: &str, changes: Vec<Change>, code: &str) {
    let before = s.server.fingerprint();
    let id = model::new_id();
    let b = Device::new(&s.server.url, &s.co.slug, "b");
    b.sync().expect("b's first sync");
    b.create(&visit_in_week(&s.co.account_b, what))
        .expect("log");
    let start = Instant::now();
    let (outcome, report) = std::thread::scope(|scope| {
        let other = scope.spawn(|| b.sync());
        let outcome = push_one(&s.server, &s.token, &id, "visit", changes);
        (outcome, other.join().expect("b's sync thread"))
    });
    let took = start.elapsed();
    let reason = assert_rejected(&outcome, code);
    assert!(!reason.is_empty(), "{what}: no reason");
    assert!(took < Duration::from_secs(30), "{what}: took {took:?}");
    let report = report.expect("b's sync while the hostile push ran");
    assert_eq!(
        (report.accepted, report.rejected, report.waiting),
        (1, 0, 0),
        "{what}: {report:?}"
    );
    assert!(s.server.is_healthy(), "{what}: the server is unwell");
    // b's visit is the only thing stored: one document, its changes, one visit row.
    let after = s.server.fingerprint();
    assert_eq!(
        after[1],
        before[1] + 1,
        "{what}: documents {before:?} -> {after:?}"
    );
    assert_eq!(
        after[4],
        before[4] + 1,
        "{what}: visits {before:?} -> {after:?}"
    );
    for table in [
        "changes WHERE doc_id",
        "documents WHERE id",
        "visits WHERE id",
    ] {
        assert_eq!(
            s.server
                .count(&format!("SELECT COUNT(*) FROM {table} = '{id}'")),
            0,
            "{what}: {table} holds the refused document"
        );
    }
    eprintln!("{what}: rejected {code} in {took:?} (with b's sync alongside)");
}

#[test]
fn a_history_of_too_many_operations_is_refused_even_when_it_compresses_small() {
    let s = setup();
    // 120,000 writes of one flag: small on the wire, and a snapshot well under the size
    // limit, so only the count of operations can refuse it.
    let mut doc = visit_with(s.actor.clone(), &s.co.account_a, |doc| {
        for i in 0..120_000i64 {
            doc.put(ROOT, "deleted", i % 2 == 0).expect("put");
        }
    });
    let changes = sent(&mut doc);
    let wire_bytes: usize = changes.iter().map(|c| c.0.len()).sum();
    let snapshot = doc.save().len();
    eprintln!("120,000 operations: {wire_bytes} bytes on the wire, snapshot {snapshot} bytes");
    assert!(wire_bytes < 256 * 1024, "{wire_bytes} bytes");
    assert!(snapshot < verify::MAX_DOCUMENT_BYTES, "{snapshot} bytes");
    refused_while_others_are_served(
        &s,
        "120,000 operations in one change",
        changes,
        "history_too_long",
    );

    // The same history in 24 changes of 5,000 operations.
    let mut doc = visit_with(s.actor.clone(), &s.co.account_a, |_| {});
    for round in 0..24i64 {
        for i in 0..5_000i64 {
            doc.put(ROOT, "deleted", (round * 5_000 + i) % 2 == 0)
                .expect("put");
        }
        doc.commit();
    }
    refused_while_others_are_served(
        &s,
        "120,000 operations in 24 changes",
        sent(&mut doc),
        "history_too_long",
    );

    // The stored history counts: 60,000 operations are accepted, 50,000 more are not.
    let mut doc = visit_with(s.actor.clone(), &s.co.account_a, |doc| {
        for i in 0..60_000i64 {
            doc.put(ROOT, "deleted", i % 2 == 0).expect("put");
        }
    });
    let id = model::new_id();
    assert_eq!(
        push_one(&s.server, &s.token, &id, "visit", sent(&mut doc)),
        Outcome::Accepted
    );
    let heads = doc.get_heads();
    for i in 0..50_000i64 {
        doc.put(ROOT, "deleted", i % 2 == 0).expect("put");
    }
    doc.commit();
    let before = s.server.fingerprint();
    assert_rejected(
        &push_one(
            &s.server,
            &s.token,
            &id,
            "visit",
            wire(doc.get_changes(&heads)),
        ),
        "history_too_long",
    );
    assert_eq!(
        s.server.fingerprint(),
        before,
        "the refused edit changed something"
    );
    assert_eq!(
        s.server.count(&format!(
            "SELECT COUNT(*) FROM changes WHERE doc_id = '{id}'"
        )),
        1
    );
}

#[test]
fn deep_nesting_is_refused_before_the_record_is_read() {
    let s = setup();
    let mut doc = visit_with(s.actor.clone(), &s.co.account_a, |doc| {
        let mut obj = doc.put_object(ROOT, "deep", ObjType::Map).expect("map");
        for _ in 0..10_000 {
            obj = doc.put_object(&obj, "d", ObjType::Map).expect("map");
        }
    });
    refused_while_others_are_served(&s, "10,000 nested maps", sent(&mut doc), "too_deep");
    // Lists nest alike.
    let mut doc = visit_with(s.actor.clone(), &s.co.account_a, |doc| {
        let mut obj = doc.put_object(ROOT, "deep", ObjType::List).expect("list");
        for _ in 0..(verify::MAX_DEPTH + 1) {
            obj = doc.insert_object(&obj, 0, ObjType::List).expect("list");
        }
    });
    refused_while_others_are_served(&s, "33 nested lists", sent(&mut doc), "too_deep");
}

#[test]
fn a_huge_field_and_a_huge_list_are_refused() {
    let s = setup();
    let huge = "x".repeat(5 * 1024 * 1024);
    let mut doc = visit_with(s.actor.clone(), &s.co.account_a, |doc| {
        doc.put(ROOT, "purpose", huge.as_str()).expect("put");
    });
    let compressed = sent(&mut doc);
    assert!(compressed[0].0.len() < 64 * 1024, "it compresses small");
    refused_while_others_are_served(&s, "a 5 MB field, compressed", compressed, "too_large");
    refused_while_others_are_served(
        &s,
        "a 5 MB field, uncompressed",
        sent_raw(&mut doc),
        "too_large",
    );

    let mut doc = visit_with(s.actor.clone(), &s.co.account_a, |doc| {
        let list = doc.put_object(ROOT, "list", ObjType::List).expect("list");
        doc.splice(&list, 0, 0, (0..1_000_000).map(|_| ScalarValue::Null))
            .expect("splice");
    });
    refused_while_others_are_served(
        &s,
        "a list of 1,000,000 elements",
        sent(&mut doc),
        "history_too_long",
    );
}

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, v: i64) {
    let mut v = v;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0);
        out.push(if done { b } else { b | 0x80 });
        if done {
            return;
        }
    }
}

/// A change chunk (Automerge's binary format) of `n` identical operations — "set key `k`
/// of the root to null" — every column one run-length run, so it takes a few dozen bytes
/// whatever `n` is.
fn run_length_change(actor: &ActorId, n: u64) -> Vec<u8> {
    let n = i64::try_from(n).expect("a run length");
    let mut key = Vec::new();
    sleb(&mut key, n);
    uleb(&mut key, 1);
    key.push(b'k');
    let mut insert = Vec::new(); // booleans: a run of `n` falses
    uleb(&mut insert, n as u64);
    let mut action = Vec::new();
    sleb(&mut action, n);
    uleb(&mut action, 1); // set
    let mut meta = Vec::new();
    sleb(&mut meta, n);
    uleb(&mut meta, 0); // null
    let mut pred = Vec::new();
    sleb(&mut pred, n);
    uleb(&mut pred, 0); // no predecessors
    let columns: [(u64, &[u8]); 5] = [
        (0x15, &key),
        (0x34, &insert),
        (0x42, &action),
        (0x56, &meta),
        (0x70, &pred),
    ];
    let mut body = Vec::new();
    uleb(&mut body, 0); // dependencies
    uleb(&mut body, actor.to_bytes().len() as u64);
    body.extend_from_slice(actor.to_bytes());
    uleb(&mut body, 1); // seq
    uleb(&mut body, 1); // start op
    sleb(&mut body, 0); // time
    uleb(&mut body, 0); // message
    uleb(&mut body, 0); // other actors
    uleb(&mut body, columns.len() as u64);
    for (spec, data) in &columns {
        uleb(&mut body, *spec);
        uleb(&mut body, data.len() as u64);
    }
    for (_, data) in &columns {
        body.extend_from_slice(data);
    }
    let mut typed = vec![1u8];
    uleb(&mut typed, body.len() as u64);
    typed.extend_from_slice(&body);
    let hash = Sha256::digest(&typed);
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83];
    chunk.extend_from_slice(&hash[..4]);
    chunk.extend_from_slice(&typed);
    chunk
}

#[test]
fn a_change_claiming_a_trillion_operations_in_a_few_bytes_is_refused_unread() {
    let s = setup();
    // The crafted encoding is a real change: three operations parse as three.
    let small = run_length_change(&s.actor, 3);
    assert_eq!(
        model::parse_change(&small).expect("a valid change").len(),
        3
    );
    // 2^40 operations in the same few bytes: reading them would take hours.
    let bomb = run_length_change(&s.actor, 1 << 40);
    assert!(bomb.len() < 100, "{} bytes", bomb.len());
    refused_while_others_are_served(
        &s,
        "2^40 operations in one change",
        vec![Change(bomb)],
        "history_too_long",
    );
}

/// A compressed change chunk whose data is `inflated` zero bytes, deflated.
fn deflate_bomb(inflated: usize) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(zeros.len());
        enc.write_all(&zeros[..n]).expect("deflate");
        left -= n;
    }
    let data = enc.finish().expect("deflate");
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    uleb(&mut chunk, data.len() as u64);
    chunk.extend_from_slice(&data);
    chunk
}

#[test]
fn a_deflate_bomb_is_refused_without_inflating_it() {
    let s = setup();
    let bomb = deflate_bomb(1024 * 1024 * 1024);
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    eprintln!("deflate bomb: {} bytes inflate to 1 GiB", bomb.len());
    refused_while_others_are_served(
        &s,
        "a change inflating to 1 GiB",
        vec![Change(bomb)],
        "too_large",
    );
    // Many of them in one request, one per document: the request's budget is spent long
    // before memory or time, and the whole request is refused.
    let small = deflate_bomb(verify::MAX_CHANGE_BYTES);
    let many = (0..300)
        .map(|_| push_doc(&model::new_id(), "visit", vec![Change(small.clone())]))
        .collect();
    let before = s.server.fingerprint();
    let a = rapport_tests::raw_sync(&s.server.url, &s.token, &request(many))
        .expect_err("over the request's budget");
    assert_eq!(a.status, 413, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.error_code(), "too_large");
    assert_eq!(s.server.fingerprint(), before);
    assert!(s.server.is_healthy());
}

#[test]
fn a_request_is_refused_at_the_first_change_past_its_budget() {
    let s = setup();
    // As it was found: many documents of compressed changes, each inflating to nearly
    // the most a change may. A real change by the device, repeated: a repeat is inflated,
    // checked and parsed before it is found to be known, so each document alone asks for
    // almost a whole request's budget, and all of them for 100 times it (6.4 GiB). The
    // budget is the request's, charged change by change as they are inflated, so the
    // request is refused after about 64 MiB of work, not after every document's.
    let mut doc = model::new_document(s.actor.clone());
    doc.put(ROOT, "purpose", "0".repeat(verify::MAX_CHANGE_BYTES - 4096))
        .expect("put");
    doc.commit();
    let mut change = doc.get_changes(&[])[0].clone();
    let inflated = change.raw_bytes().len();
    let compressed = Change(change.bytes().into_owned());
    let per_doc = verify::MAX_REQUEST_BYTES / inflated - 1;
    let many: Vec<_> = (0..100)
        .map(|_| push_doc(&model::new_id(), "visit", vec![compressed.clone(); per_doc]))
        .collect();
    let body = postcard::to_stdvec(&request(many)).expect("encode");
    assert!(body.len() < 16 * 1024 * 1024, "{} bytes", body.len());
    let before = s.server.fingerprint();
    let b = Device::new(&s.server.url, &s.co.slug, "b");
    b.sync().expect("b's first sync");
    b.create(&visit_in_week(&s.co.account_b, "alongside"))
        .expect("log");
    let start = Instant::now();
    let (refused, report) = std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            let started = Instant::now();
            (b.sync(), started.elapsed())
        });
        let refused = rapport_tests::post_bytes(
            &format!("{}/v1/sync", s.server.url),
            Some(&s.token),
            protocol::SYNC_CONTENT_TYPE,
            &body,
        );
        (refused, other.join().expect("b's sync thread"))
    });
    let took = start.elapsed();
    eprintln!(
        "{} bytes declaring 6.4 GiB: answered {} in {took:?}; b's sync took {:?}",
        body.len(),
        refused.status,
        report.1
    );
    assert_eq!(
        refused.status,
        413,
        "{}",
        String::from_utf8_lossy(&refused.body)
    );
    assert_eq!(refused.error_code(), "too_large");
    // Inflating every document took minutes; the first 64 MiB take well under a second.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let (report, waited) = report;
    let report = report.expect("b's sync alongside");
    assert_eq!((report.accepted, report.rejected), (1, 0), "{report:?}");
    assert!(waited < Duration::from_secs(10), "b waited {waited:?}");
    let after = s.server.fingerprint();
    // Only b's visit was stored.
    assert_eq!((after[1], after[4]), (before[1] + 1, before[4] + 1));
}

#[test]
fn compressed_request_bodies_are_refused() {
    let s = setup();
    let (id, _, changes) = new_record(s.actor.clone(), &visit_in_week(&s.co.account_a, "gzip"));
    let body =
        postcard::to_stdvec(&request(vec![push_doc(&id, "visit", changes)])).expect("encode");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).expect("gzip");
    let gzipped = gz.finish().expect("gzip");
    let before = s.server.fingerprint();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for (encoding, bytes) in [("gzip", &gzipped), ("deflate", &gzipped), ("gzip", &body)] {
        let mut resp = agent
            .post(format!("{}/v1/sync", s.server.url))
            .header("Authorization", format!("Bearer {}", s.token))
            .header("Content-Type", protocol::SYNC_CONTENT_TYPE)
            .header("Content-Encoding", encoding)
            .send(bytes.as_slice())
            .expect("HTTP");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().expect("body");
        assert_eq!(status, 415, "{encoding}: {text}");
        assert!(text.contains("unsupported_media_type"), "{text}");
        assert!(text.contains("Content-Encoding"), "{text}");
        assert_eq!(s.server.fingerprint(), before, "{encoding}");
    }
    // The same body, uncompressed, is stored.
    let resp = sync_ok(
        &s.server,
        &s.token,
        &postcard::from_bytes(&body).expect("decode"),
    );
    assert_eq!(resp.results[0].outcome, Outcome::Accepted);
}
