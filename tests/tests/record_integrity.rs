//! What a pushed record may be, beyond being readable as its kind: stored under one id
//! only, with no field its kind does not have, within a size that fits real records, and
//! within the storage quota of whoever pushes it. Each test reproduces an attack that once got
//! through and checks that it is now refused with nothing stored (docs/RELIABILITY.md).

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT, ReadDoc};
use rand::{Rng, SeedableRng};
use rapport_client_core::model::{self, Contact, Opportunity, Record, VipCard, limits};
use rapport_client_core::protocol::{Change, Outcome};
use rapport_tests::raw::*;
use rapport_tests::{Company, Device, TestServer, login, raw_sync, visit_in_week, weekly_visits};

/// Other spellings of `id` that a UUID parser reads as the same UUID.
fn other_spellings(id: &str) -> Vec<String> {
    vec![
        id.to_uppercase(),
        format!("{{{id}}}"),
        format!("urn:uuid:{id}"),
        id.replace('-', ""),
    ]
}

/// A record reconciled into a new document without the device's validation, then
/// `extra` applied in the same change: what a hostile device can send.
fn hostile<R: Record>(
    actor: ActorId,
    record: &R,
    extra: impl FnOnce(&mut AutoCommit),
) -> (String, AutoCommit, Vec<Change>) {
    let mut doc = model::new_document(actor);
    autosurgeon::reconcile(&mut doc, record).expect("reconcile");
    extra(&mut doc);
    doc.commit();
    let changes = wire(doc.get_changes(&[]));
    (model::new_id(), doc, changes)
}

/// `n` characters of random text: it does not compress.
fn random_text(rng: &mut rand_chacha::ChaCha8Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(rng.gen_range(b'!'..=b'~')))
        .collect()
}

#[test]
fn one_record_under_other_spellings_of_its_id_is_refused() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let manager = login(&server.url, "acme", "manager");
    let (id, _, changes) = new_record(actor(&rep), &visit_in_week(&co.account_a, "Review"));
    assert_eq!(
        push_one(&server, &rep.access_token, &id, "visit", changes.clone()),
        Outcome::Accepted
    );
    let counted = weekly_visits(&server, &manager.access_token, "2026-W40");
    assert_eq!(counted.get("a"), Some(&1));
    let before = server.fingerprint();
    for spelling in other_spellings(&id) {
        let refused = raw_sync(
            &server.url,
            &rep.access_token,
            &request(vec![push_doc(&spelling, "visit", changes.clone())]),
        )
        .expect_err("another spelling of an id");
        assert_eq!(refused.status, 422, "{spelling}");
        assert_eq!(refused.error_code(), "invalid_input", "{spelling}");
        assert!(
            refused.json()["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("lower-case hyphenated")),
            "{spelling}: {}",
            String::from_utf8_lossy(&refused.body)
        );
    }
    assert_eq!(server.fingerprint(), before, "something was stored");
    assert_eq!(
        weekly_visits(&server, &manager.access_token, "2026-W40"),
        counted,
        "the visit was counted again"
    );

    // A reference inside a record is held to the same spelling.
    let mut visit = visit_in_week(&co.account_a, "Upper-case account");
    visit.account_id = co.account_a.to_uppercase();
    let (other, _, changes) = hostile(actor(&rep), &visit, |_| {});
    let outcome = push_one(&server, &rep.access_token, &other, "visit", changes);
    let reason = assert_rejected(&outcome, "invalid_document");
    assert!(reason.contains("account_id"), "{reason}");
    assert_eq!(server.fingerprint(), before);
}

#[test]
fn fields_a_record_does_not_have_are_refused_and_never_reach_teammates() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    // Rep b shares an account with a, and would receive a's records on it.
    let teammate = Device::new(&server.url, "acme", "b");
    teammate.sync().expect("b's first sync");
    let held = teammate.document_ids().expect("b's records").len();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261206);
    let before = server.fingerprint();

    // A small field at the top, and one inside the VIP card and the assessment.
    let visit = visit_in_week(&co.account_shared, "Review");
    let (id, _, changes) = hostile(actor(&rep), &visit, |doc| {
        doc.put(ROOT, "exfil", "a little extra").expect("put");
    });
    let reason = assert_rejected(
        &push_one(&server, &rep.access_token, &id, "visit", changes),
        "unknown_field",
    );
    assert!(reason.contains("'exfil'"), "{reason}");

    let contact = Contact {
        account_id: co.account_shared.clone(),
        name: "Ma".into(),
        vip_card: Some(VipCard {
            interests: "fishing".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let (id, _, changes) = hostile(actor(&rep), &contact, |doc| {
        let card = match doc.get(ROOT, "vip_card") {
            Ok(Some((_, card))) => card,
            other => panic!("no vip_card map: {other:?}"),
        };
        doc.put(&card, "payload", "hidden in the card")
            .expect("put");
    });
    let reason = assert_rejected(
        &push_one(&server, &rep.access_token, &id, "contact", changes),
        "unknown_field",
    );
    assert!(reason.contains("'vip_card.payload'"), "{reason}");

    let opportunity = Opportunity {
        account_id: co.account_shared.clone(),
        name: "Line 3".into(),
        ..Default::default()
    };
    let (id, _, changes) = hostile(actor(&rep), &opportunity, |doc| {
        let assessment = match doc.get(ROOT, "assessment") {
            Ok(Some((_, a))) => a,
            other => panic!("no assessment map: {other:?}"),
        };
        let real = match doc.get(&assessment, "real") {
            Ok(Some((_, r))) => r,
            other => panic!("no assessment.real map: {other:?}"),
        };
        doc.put(&real, "extra", 1).expect("put");
    });
    let reason = assert_rejected(
        &push_one(&server, &rep.access_token, &id, "opportunity", changes),
        "unknown_field",
    );
    assert!(reason.contains("'assessment.real.extra'"), "{reason}");

    // The attack as it was found: a visit carrying a 930 KB random field.
    let big = random_text(&mut rng, 930 * 1024);
    let (id, _, changes) = hostile(actor(&rep), &visit, |doc| {
        doc.put(ROOT, "blob", big.as_str()).expect("put");
    });
    assert_rejected(
        &push_one(&server, &rep.access_token, &id, "visit", changes),
        "too_large",
    );
    assert_eq!(server.fingerprint(), before, "a refused record was stored");

    // An unknown field added to a stored record: the edit is refused, the record kept.
    let (id, mut doc, changes) = new_record(actor(&rep), &visit);
    assert_eq!(
        push_one(&server, &rep.access_token, &id, "visit", changes),
        Outcome::Accepted
    );
    let stored = server.fingerprint();
    let heads = doc.get_heads();
    doc.put(ROOT, "exfil", "later").expect("put");
    doc.commit();
    let reason = assert_rejected(
        &push_one(
            &server,
            &rep.access_token,
            &id,
            "visit",
            wire(doc.get_changes(&heads)),
        ),
        "unknown_field",
    );
    assert!(reason.contains("'exfil'"), "{reason}");
    assert_eq!(server.fingerprint(), stored);

    // The teammate receives the one accepted visit, and nothing of the rest.
    teammate.sync().expect("b's second sync");
    assert_eq!(
        teammate.document_ids().expect("b's records").len(),
        held + 1
    );
}

#[test]
fn a_record_with_every_text_at_its_limit_fits() {
    let server = TestServer::start();
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut text = || random_text(&mut rng, limits::TEXT_MAX);
    // The largest records of the method: a contact with a full VIP card, and an
    // opportunity with a note on every step.
    let contact = Contact {
        account_id: co.account_a.clone(),
        name: "Ma".into(),
        notes: Some(text()),
        vip_card: Some(VipCard {
            interests: text(),
            concerns: text(),
            notes: text(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut opportunity = Opportunity {
        account_id: co.account_a.clone(),
        name: "Line 3".into(),
        notes: text(),
        ..Default::default()
    };
    for step in [
        &mut opportunity.assessment.real,
        &mut opportunity.assessment.competition,
        &mut opportunity.assessment.can_win,
        &mut opportunity.assessment.worth_winning,
    ] {
        step.note = text();
    }
    let (id, mut doc, changes) = new_record(actor(&rep), &contact);
    assert_eq!(
        push_one(&server, &rep.access_token, &id, "contact", changes),
        Outcome::Accepted
    );
    // Rewritten whole ten times, it still fits.
    for _ in 0..10 {
        let heads = doc.get_heads();
        let mut edited: Contact = model::read_record(&doc).expect("read");
        edited.notes = Some(text());
        let changes = wire(model::write_record(&mut doc, &edited).expect("write"));
        assert_eq!(
            push_one(&server, &rep.access_token, &id, "contact", changes),
            Outcome::Accepted,
            "heads {heads:?}"
        );
    }
    let (id, _, changes) = new_record(actor(&rep), &opportunity);
    let largest_change = changes.iter().map(|c| c.0.len()).max().unwrap_or(0);
    assert_eq!(
        push_one(&server, &rep.access_token, &id, "opportunity", changes),
        Outcome::Accepted
    );
    let sizes = |kind: &str| {
        server.count(&format!(
            "SELECT CAST(MAX(LENGTH(snapshot)) AS BIGINT) FROM documents WHERE kind = '{kind}'"
        ))
    };
    eprintln!(
        "largest records: a contact rewritten 10 times {} bytes, an opportunity {} bytes \
         (its change {largest_change} bytes on the wire)",
        sizes("contact"),
        sizes("opportunity")
    );
}

#[test]
fn a_user_past_the_storage_quota_is_refused_with_a_clear_reason() {
    let quota = 24 * 1024;
    let server = TestServer::start_with(&["--user-storage-quota", &quota.to_string()]);
    let co = Company::setup(&server, "acme");
    let rep = login(&server.url, "acme", "a");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let usage = |server: &TestServer| {
        server.count(&format!(
            "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM storage_usage WHERE user_id = '{}'",
            co.user_id("a")
        ))
    };
    let stored = |server: &TestServer| {
        server.count(&format!(
            "SELECT CAST(COALESCE(SUM(LENGTH(snapshot)), 0) AS BIGINT) FROM documents \
             WHERE author_id = '{}'",
            co.user_id("a")
        ))
    };
    // A contact on the account a and b share, before a's quota fills.
    let contact = Contact {
        account_id: co.account_shared.clone(),
        name: "Ma".into(),
        ..Default::default()
    };
    let (contact_id, mut contact_doc, changes) = new_record(actor(&rep), &contact);
    assert_eq!(
        push_one(&server, &rep.access_token, &contact_id, "contact", changes),
        Outcome::Accepted
    );
    // Visits with 4 KB of notes each, until the quota refuses one.
    let mut accepted = Vec::new();
    let reason = loop {
        let mut visit = visit_in_week(&co.account_a, "Review");
        visit.notes = random_text(&mut rng, 4096);
        let (id, doc, changes) = new_record(actor(&rep), &visit);
        let before = server.fingerprint();
        match push_one(&server, &rep.access_token, &id, "visit", changes) {
            Outcome::Accepted => accepted.push((id, doc)),
            refused => {
                let reason = assert_rejected(&refused, "quota_exceeded");
                assert_eq!(server.fingerprint(), before, "the refused visit was stored");
                break reason;
            }
        }
        assert!(accepted.len() < 20, "the quota never refused a visit");
    };
    assert!(
        reason.contains("MiB") || reason.contains("quota"),
        "{reason}"
    );
    assert!(accepted.len() >= 3, "refused too early: {}", accepted.len());
    assert_eq!(usage(&server), stored(&server), "the running total drifted");
    assert!(usage(&server) <= quota);

    // Over the quota, a rep can still remove a record, and the total follows.
    let (id, mut doc) = accepted.pop().expect("a visit");
    let mut removed: model::Visit = model::read_record(&doc).expect("read");
    removed.deleted = true;
    let changes = wire(model::write_record(&mut doc, &removed).expect("write"));
    assert_eq!(
        push_one(&server, &rep.access_token, &id, "visit", changes),
        Outcome::Accepted
    );
    assert_eq!(usage(&server), stored(&server));
    // Another rep's quota is their own: b's growth of a's contact is charged to b.
    let other = login(&server.url, "acme", "b");
    let a_before = usage(&server);
    let mut b_doc = contact_doc.fork().with_actor(actor(&other));
    let mut edited: Contact = model::read_record(&b_doc).expect("read");
    edited.notes = Some(random_text(&mut rng, 4096));
    let changes = wire(model::write_record(&mut b_doc, &edited).expect("write"));
    assert_eq!(
        push_one(
            &server,
            &other.access_token,
            &contact_id,
            "contact",
            changes
        ),
        Outcome::Accepted
    );
    assert_eq!(usage(&server), a_before, "b's growth was charged to a");
    assert!(
        server.count(&format!(
            "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM storage_usage WHERE user_id = '{}'",
            co.user_id("b")
        )) > 2048,
        "b's growth (4 KB of notes, compressed) was not charged to b"
    );
    let (id, _, changes) = new_record(actor(&other), &visit_in_week(&co.account_b, "Review"));
    assert_eq!(
        push_one(&server, &other.access_token, &id, "visit", changes),
        Outcome::Accepted
    );
}
