//! Convergence of record documents, property-tested against a simple oracle: replicas of
//! one contact edit fields concurrently, exchange their changes in random order with
//! duplicates, and must end identical; a field edited on one replica only keeps that
//! edit, and a field edited on several ends with one of their values on every replica.

use std::collections::BTreeMap;

use automerge::{ActorId, AutoCommit, Change};
use proptest::prelude::*;
use rapport_client_core::model::{self, Contact};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Name,
    Title,
    Phone,
    Notes,
}

fn set(c: &mut Contact, field: Field, value: &str) {
    match field {
        Field::Name => c.name = value.to_owned(),
        Field::Title => c.title = Some(value.to_owned()),
        Field::Phone => c.phone = Some(value.to_owned()),
        Field::Notes => c.notes = Some(value.to_owned()),
    }
}

fn get(c: &Contact, field: Field) -> Option<String> {
    match field {
        Field::Name => Some(c.name.clone()),
        Field::Title => c.title.clone(),
        Field::Phone => c.phone.clone(),
        Field::Notes => c.notes.clone(),
    }
}

fn edits() -> impl Strategy<Value = Vec<(Field, String)>> {
    let field = prop_oneof![
        Just(Field::Name),
        Just(Field::Title),
        Just(Field::Phone),
        Just(Field::Notes)
    ];
    prop::collection::vec((field, "[a-z]{1,6}"), 0..5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn replicas_converge_and_keep_every_uncontested_edit(
        per_replica in prop::collection::vec(edits(), 2..5),
        delivery_seed in any::<u64>(),
        duplicates in 0usize..4,
    ) {
        let initial = Contact {
            account_id: model::new_id(),
            name: "start".into(),
            title: None,
            phone: None,
            notes: None,
            deleted: false,
            ..Default::default()
        };
        let mut origin = model::new_document(ActorId::random());
        model::write_record(&mut origin, &initial).expect("write");
        let saved = origin.save();

        // Each replica edits offline; collect the changes it makes.
        let mut replicas: Vec<AutoCommit> = Vec::new();
        let mut made: Vec<Change> = Vec::new();
        let mut last_values: BTreeMap<Field, Vec<String>> = BTreeMap::new();
        for edits in &per_replica {
            let mut doc = model::load_document(&saved, Some(ActorId::random())).expect("load");
            let mut last: BTreeMap<Field, String> = BTreeMap::new();
            for (field, value) in edits {
                let mut c: Contact = model::read_record(&doc).expect("read");
                set(&mut c, *field, value);
                made.extend(model::write_record(&mut doc, &c).expect("write"));
                last.insert(*field, value.clone());
            }
            for (f, v) in last {
                last_values.entry(f).or_default().push(v);
            }
            replicas.push(doc);
        }

        // Deliver every change to every replica in a shuffled order, some twice.
        let mut order: Vec<usize> = (0..made.len()).collect();
        if !made.is_empty() {
            order.extend((0..duplicates).map(|i| i % made.len()));
        }
        let mut state = delivery_seed | 1;
        for (r, doc) in replicas.iter_mut().enumerate() {
            let mut o = order.clone();
            for i in (1..o.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                let j = usize::try_from((state ^ r as u64) % (i as u64 + 1)).expect("fits");
                o.swap(i, j);
            }
            for i in o {
                doc.apply_changes(vec![made[i].clone()]).expect("apply");
            }
            prop_assert!(doc.get_missing_deps(&[]).is_empty());
        }

        let heads: Vec<Vec<String>> = replicas.iter_mut().map(model::heads_hex).collect();
        prop_assert!(heads.windows(2).all(|w| w[0] == w[1]), "heads differ");
        let finals: Vec<Contact> =
            replicas.iter().map(|d| model::read_record(d).expect("read")).collect();
        prop_assert!(finals.windows(2).all(|w| w[0] == w[1]), "records differ");
        let result = &finals[0];
        for field in [Field::Name, Field::Title, Field::Phone, Field::Notes] {
            let got = get(result, field);
            match last_values.get(&field) {
                None => prop_assert_eq!(got, get(&initial, field)),
                Some(values) if values.len() == 1 => prop_assert_eq!(got, Some(values[0].clone())),
                Some(values) => prop_assert!(
                    got.as_ref().is_some_and(|g| values.contains(g)),
                    "{:?}: {:?} is none of {:?}", field, got, values
                ),
            }
        }
        prop_assert_eq!(&result.account_id, &initial.account_id);
    }
}
