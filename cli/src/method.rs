//! Judgements of the method the device makes from its own records.
//!
//! The danger zone (销售雷区, §三.2): an opportunity is in it when any of the four buying
//! roles has no known contact, or a contact holding a role has not been met in a visit in
//! the last [`RECENT_DAYS`] days. The device decides from the visits it holds, so what it
//! says is only as complete as its last sync; the manager's server-side report is the
//! team-wide view.

use std::collections::HashMap;

use rapport_client_core::model::{BuyingRole, LocalTime, RoleContacts};

/// How recently a role holder must have been met.
pub const RECENT_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// One reason an opportunity is in the danger zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Danger {
    /// Nobody (alive on this device) is known to hold the role.
    Unknown(BuyingRole),
    /// The holder was last met at `last_met`, or never.
    NotMetRecently {
        role: BuyingRole,
        contact_id: String,
        last_met: Option<LocalTime>,
    },
}

/// The latest time each contact was met, from (contacts met, visit time) pairs. Visits
/// dated after `now_ms` (Unix ms) have not happened yet and do not count.
pub fn last_met<'a, I>(visits: I, now_ms: i64) -> HashMap<String, LocalTime>
where
    I: IntoIterator<Item = (&'a [String], LocalTime)>,
{
    let mut out: HashMap<String, LocalTime> = HashMap::new();
    for (contacts, at) in visits {
        if at.utc_ms > now_ms {
            continue;
        }
        for c in contacts {
            let e = out.entry(c.clone()).or_insert(at);
            if at.utc_ms > e.utc_ms {
                *e = at;
            }
        }
    }
    out
}

/// Why the opportunity is in the danger zone, role by role in the method's order; empty
/// when it is not. Holders that `is_live` says are gone (removed contacts) do not count.
pub fn danger_zone(
    roles: &RoleContacts,
    is_live: impl Fn(&str) -> bool,
    last_met: &HashMap<String, LocalTime>,
    now_ms: i64,
) -> Vec<Danger> {
    let since = now_ms - RECENT_DAYS * DAY_MS;
    let mut out = Vec::new();
    for role in BuyingRole::ALL {
        let holders: Vec<&String> = roles.get(*role).iter().filter(|c| is_live(c)).collect();
        if holders.is_empty() {
            out.push(Danger::Unknown(*role));
            continue;
        }
        for contact_id in holders {
            let met = last_met.get(contact_id.as_str()).copied();
            if met.is_none_or(|at| at.utc_ms < since) {
                out.push(Danger::NotMetRecently {
                    role: *role,
                    contact_id: contact_id.clone(),
                    last_met: met,
                });
            }
        }
    }
    out
}

/// How many of the four roles have a live holder.
pub fn roles_known(roles: &RoleContacts, is_live: impl Fn(&str) -> bool) -> usize {
    BuyingRole::ALL
        .iter()
        .filter(|r| roles.get(**r).iter().any(|c| is_live(c)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn ago(days: i64) -> LocalTime {
        LocalTime {
            utc_ms: NOW - days * DAY_MS,
            offset_min: 480,
        }
    }

    fn roles() -> RoleContacts {
        RoleContacts {
            user: vec!["u".into()],
            technical_gatekeeper: vec!["g".into()],
            coach: vec!["u".into()],
            decision_maker: vec!["d".into(), "gone".into()],
        }
    }

    #[test]
    fn last_met_keeps_the_latest_past_visit_per_contact() {
        let a = vec!["u".to_owned(), "g".to_owned()];
        let b = vec!["u".to_owned()];
        let future = vec!["d".to_owned()];
        let met = last_met(
            [
                (a.as_slice(), ago(10)),
                (b.as_slice(), ago(1)),
                (future.as_slice(), ago(-1)),
            ],
            NOW,
        );
        assert_eq!(met.get("u"), Some(&ago(1)));
        assert_eq!(met.get("g"), Some(&ago(10)));
        assert_eq!(met.get("d"), None);
    }

    #[test]
    fn every_role_known_and_met_is_safe() {
        let met: HashMap<String, LocalTime> = [("u", 1), ("g", 5), ("d", 29)]
            .into_iter()
            .map(|(c, days)| (c.to_owned(), ago(days)))
            .collect();
        let live = |c: &str| c != "gone";
        assert_eq!(danger_zone(&roles(), live, &met, NOW), vec![]);
        assert_eq!(roles_known(&roles(), live), 4);
    }

    #[test]
    fn an_unknown_role_or_a_holder_not_met_lately_is_danger() {
        let met: HashMap<String, LocalTime> = [("u", 1), ("g", 31)]
            .into_iter()
            .map(|(c, days)| (c.to_owned(), ago(days)))
            .collect();
        let mut r = roles();
        r.decision_maker = vec!["gone".into()];
        let live = |c: &str| c != "gone";
        assert_eq!(
            danger_zone(&r, live, &met, NOW),
            vec![
                Danger::NotMetRecently {
                    role: BuyingRole::TechnicalGatekeeper,
                    contact_id: "g".into(),
                    last_met: Some(ago(31)),
                },
                Danger::Unknown(BuyingRole::DecisionMaker),
            ]
        );
        assert_eq!(roles_known(&r, live), 3);
        let nobody = RoleContacts::default();
        assert_eq!(danger_zone(&nobody, live, &met, NOW).len(), 4);
    }
}
