//! 客户个人关系密切程度 (DOMAIN.md §四.4.1): the VIP relationship cards of the key
//! contacts on the rep's accounts, as they stand now.

use rapport_client_core::model::{DocKind, Rules};
use rapport_client_core::protocol::{Metric, MetricGroup, RecordRef};

use super::facts::Facts;
use super::figures::{MetricExt, rec};
use crate::db::contacts;

const GROUP: MetricGroup = MetricGroup::Closeness;

/// Whether a contact's card knows one of the things the method asks for.
type Knows = fn(&contacts::Model) -> bool;

/// What a card must know to count in each figure of a card's depth.
const CARD_FIGURES: [(&str, Knows); 5] = [
    ("card_knows_name", |c| c.card_knows_name),
    ("card_interests", |c| c.card_interests),
    ("card_birthday", |c| c.card_birthday),
    ("card_concern", |c| c.card_concern),
    ("card_full_depth", |c| c.card_depth >= 4),
];

/// The key contacts with a card (against the company's target), then, among the cards,
/// those that know each of the four things the method asks for, and all four.
pub fn closeness(facts: &Facts, rules: &Rules) -> Vec<Metric> {
    let contact_ref = |c: &contacts::Model| rec(DocKind::Contact, &c.id, &c.account_id, None);
    let cards: Vec<&contacts::Model> = facts.key_contacts.iter().filter(|c| c.has_card).collect();
    let with_card: Vec<RecordRef> = cards.iter().map(|c| contact_ref(c)).collect();
    let mut metrics = vec![
        Metric::share("card_coverage", GROUP, with_card, facts.key_contacts.len())
            .against(rules.card_coverage_target),
    ];
    metrics.extend(CARD_FIGURES.iter().map(|(key, known)| {
        let part = cards
            .iter()
            .filter(|c| known(c))
            .map(|c| contact_ref(c))
            .collect();
        Metric::share(key, GROUP, part, cards.len())
    }));
    metrics
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorecard::fixtures::{contact, ids};

    #[test]
    fn cards_cover_key_contacts_and_each_depth_counts_among_cards() {
        let mut deep = contact("c1", "a1");
        (deep.has_card, deep.card_depth) = (true, 4);
        (deep.card_knows_name, deep.card_interests) = (true, true);
        (deep.card_birthday, deep.card_concern) = (true, true);
        let mut named = contact("c2", "a1");
        (named.has_card, named.card_depth, named.card_knows_name) = (true, 1, true);
        // Knows a birthday but has no card: counts in no card figure.
        let mut no_card = contact("c3", "a2");
        no_card.card_birthday = true;
        let facts = Facts {
            key_contacts: vec![deep, named, no_card],
            ..Facts::default()
        };
        let rules = Rules {
            card_coverage_target: 0.5,
            ..Rules::default()
        };
        let metrics = closeness(&facts, &rules);
        let keys: Vec<&str> = metrics.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "card_coverage",
                "card_knows_name",
                "card_interests",
                "card_birthday",
                "card_concern",
                "card_full_depth"
            ]
        );
        let coverage = &metrics[0];
        assert_eq!((coverage.part, coverage.total), (Some(2), Some(3)));
        assert_eq!(ids(coverage), ["c1", "c2"]);
        assert_eq!(coverage.attainment, Some(2.0 / 3.0 / 0.5));
        assert_eq!(ids(&metrics[1]), ["c1", "c2"]);
        for m in &metrics[2..] {
            assert_eq!((m.part, m.total), (Some(1), Some(2)), "{}", m.key);
            assert_eq!(ids(m), ["c1"], "{}", m.key);
        }
        assert!(metrics.iter().all(|m| m.group == MetricGroup::Closeness));
    }

    #[test]
    fn no_key_contact_is_a_share_of_nothing_without_attainment() {
        let metrics = closeness(&Facts::default(), &Rules::default());
        assert_eq!(metrics[0].value, 0.0);
        assert_eq!(metrics[0].total, Some(0));
        assert_eq!(metrics[0].attainment, None);
        assert!(metrics[0].target.is_some());
    }
}
