//! 客户关系建立与巩固 (DOMAIN.md §四.4.2): the rep's visits and how they keep each
//! account's cadence, the favours done, and the relationship events logged.

use std::collections::HashSet;

use rapport_client_core::model::{DocKind, EventKind, Rules};
use rapport_client_core::protocol::{Metric, MetricGroup, RecordRef};

use super::cadence_of;
use super::facts::Facts;
use super::figures::{MetricExt, account_ref, rec};
use crate::db::{favours, visits};
use crate::periods::Window;

const GROUP: MetricGroup = MetricGroup::Building;

/// The figures of the relationship's building, in the order they are shown.
pub fn building(facts: &Facts, window: &Window, rules: &Rules) -> Vec<Metric> {
    let mut metrics = visit_figures(facts, window, rules);
    metrics.extend(favour_figures(facts, window, rules));
    metrics.extend(event_figures(facts));
    metrics
}

/// A visit as a record behind a figure.
pub fn visit_ref(v: &visits::Model) -> RecordRef {
    rec(DocKind::Visit, &v.id, &v.account_id, Some(v.occurred_at))
}

/// A favour as a record behind a figure.
pub fn favour_ref(f: &favours::Model) -> RecordRef {
    rec(DocKind::Favour, &f.id, &f.account_id, Some(f.occurred_at))
}

/// Visits (against the weekly target, scaled to a month's days), the share verified by
/// check-in, those logged late, the accounts visited, and the accounts whose cadence the
/// rep kept: the last visit, as of the period's end, within the account's cadence.
fn visit_figures(facts: &Facts, window: &Window, rules: &Rules) -> Vec<Metric> {
    let visits = &facts.visits;
    let visit_target = if window.weekly {
        rules.weekly_visit_target as f64
    } else {
        (rules.weekly_visit_target as f64 * window.days() as f64 / 7.0).round()
    };
    let mut seen = HashSet::new();
    let distinct: Vec<RecordRef> = visits
        .iter()
        .filter(|v| seen.insert(v.account_id.as_str()))
        .map(|v| account_ref(&v.account_id))
        .collect();
    let kept: Vec<RecordRef> = facts
        .accounts
        .iter()
        .filter(|a| {
            facts
                .last_visits
                .get(&a.id)
                .is_some_and(|t| *t >= window.end_ms - cadence_of(a, rules) * 86_400_000)
        })
        .map(|a| account_ref(&a.id))
        .collect();
    let visits_where = |keep: fn(&visits::Model) -> bool| -> Vec<RecordRef> {
        visits.iter().filter(|v| keep(v)).map(visit_ref).collect()
    };
    vec![
        Metric::count("visits", GROUP, visits.iter().map(visit_ref).collect())
            .against(visit_target),
        Metric::share(
            "verified_share",
            GROUP,
            visits_where(|v| v.verified),
            visits.len(),
        ),
        Metric::count("late_logged", GROUP, visits_where(|v| v.late)),
        Metric::count("distinct_accounts", GROUP, distinct),
        Metric::share("cadence_kept", GROUP, kept, facts.accounts.len())
            .against(rules.cadence_kept_target),
    ]
}

/// Favours done in the period, and the share of the rep's accounts that had one in the
/// month of the period's last day.
fn favour_figures(facts: &Facts, window: &Window, rules: &Rules) -> Vec<Metric> {
    let favoured_accounts = facts.accounts_among(
        facts
            .favours
            .iter()
            .filter(|f| window.month_holds(f.occurred_at))
            .map(|f| f.account_id.as_str()),
    );
    vec![
        Metric::count(
            "favours",
            GROUP,
            facts
                .favours
                .iter()
                .filter(|f| window.holds(f.occurred_at))
                .map(favour_ref)
                .collect(),
        ),
        Metric::share(
            "favour_accounts_month",
            GROUP,
            favoured_accounts,
            facts.accounts.len(),
        )
        .against(rules.favour_accounts_target),
    ]
}

/// The relationship events of the period, one figure per kind.
fn event_figures(facts: &Facts) -> Vec<Metric> {
    [
        ("first_thought_events", EventKind::FirstThought),
        ("best_display_events", EventKind::BestDisplay),
        ("private_help_events", EventKind::PrivateHelp),
    ]
    .into_iter()
    .map(|(key, kind)| {
        let records = facts
            .events
            .iter()
            .filter(|e| e.kind == kind.code())
            .map(|e| {
                rec(
                    DocKind::RelationshipEvent,
                    &e.id,
                    &e.account_id,
                    Some(e.occurred_at),
                )
            })
            .collect();
        Metric::count(key, GROUP, records)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorecard::fixtures::{account, at, event, favour, figure, ids, visit, window};

    fn facts(w: &Window) -> Facts {
        let mut verified = visit("v1", "a1", at(w, 10));
        verified.verified = true;
        let mut late = visit("v2", "a1", at(w, 30));
        late.late = true;
        let mut often = account("a2");
        often.cadence_days = Some(3);
        Facts {
            accounts: vec![account("a1"), often, account("a3")],
            visits: vec![verified, late, visit("v3", "a2", at(w, 50))],
            // a1 last seen in the period; a2 four days before it, past its 3-day cadence.
            last_visits: [("a1".into(), at(w, 30)), ("a2".into(), at(w, -100))].into(),
            favours: vec![
                favour("f1", "a1", at(w, 20)),
                favour("f2", "a2", at(w, -240)),
                favour("f3", "a3", at(w, -24 * 40)),
            ],
            events: vec![
                event("e1", "a1", "first_thought", at(w, 1)),
                event("e2", "a2", "private_help", at(w, 2)),
                event("e3", "a3", "private_help", at(w, 3)),
            ],
            ..Facts::default()
        }
    }

    #[test]
    fn visits_cadence_favours_and_events_of_a_week() {
        let w = window("2026-W48");
        let rules = Rules {
            weekly_visit_target: 10,
            ..Rules::default()
        };
        let metrics = building(&facts(&w), &w, &rules);
        let keys: Vec<&str> = metrics.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "visits",
                "verified_share",
                "late_logged",
                "distinct_accounts",
                "cadence_kept",
                "favours",
                "favour_accounts_month",
                "first_thought_events",
                "best_display_events",
                "private_help_events"
            ]
        );
        let visits = figure(&metrics, "visits");
        assert_eq!((visits.value, visits.target), (3.0, Some(10.0)));
        assert_eq!(visits.attainment, Some(0.3));
        assert_eq!(ids(visits), ["v1", "v2", "v3"]);
        let verified = figure(&metrics, "verified_share");
        assert_eq!((verified.part, verified.total), (Some(1), Some(3)));
        assert_eq!(ids(verified), ["v1"]);
        assert_eq!(ids(figure(&metrics, "late_logged")), ["v2"]);
        assert_eq!(ids(figure(&metrics, "distinct_accounts")), ["a1", "a2"]);
        let kept = figure(&metrics, "cadence_kept");
        assert_eq!((ids(kept), kept.total), (vec!["a1"], Some(3)));
        assert_eq!(ids(figure(&metrics, "favours")), ["f1"]);
        // This month: f2 earlier in November counts, f3 in October does not.
        assert_eq!(ids(figure(&metrics, "favour_accounts_month")), ["a1", "a2"]);
        assert_eq!(ids(figure(&metrics, "first_thought_events")), ["e1"]);
        assert!(figure(&metrics, "best_display_events").records.is_empty());
        assert_eq!(ids(figure(&metrics, "private_help_events")), ["e2", "e3"]);
    }

    #[test]
    fn a_months_visit_target_is_the_weekly_one_scaled_to_its_days() {
        let w = window("2026-11");
        let rules = Rules {
            weekly_visit_target: 10,
            ..Rules::default()
        };
        let metrics = building(&Facts::default(), &w, &rules);
        // 10 a week over 30 days: 42.9, rounded.
        assert_eq!(figure(&metrics, "visits").target, Some(43.0));
        // Shares of no account and no visit: 0, and no attainment where targeted.
        let kept = figure(&metrics, "cadence_kept");
        assert_eq!((kept.value, kept.attainment), (0.0, None));
    }
}
