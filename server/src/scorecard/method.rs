//! The method's figures (DOMAIN.md §三): the open opportunities whose four buying
//! influences are all known and met, the buying signals and objections of the period's
//! visits, and the relationship-stage moves the rep made.

use std::cmp::Ordering;
use std::collections::HashMap;

use rapport_client_core::model::{DocKind, Objection, Rules, Signal, Stage};
use rapport_client_core::protocol::{Metric, MetricGroup, RecordRef};

use super::building::visit_ref;
use super::facts::Facts;
use super::figures::{MetricExt, rec};
use crate::db::visits;

const GROUP: MetricGroup = MetricGroup::Method;

/// The figures of the method, in the order they are shown.
pub fn method(facts: &Facts, rules: &Rules) -> Vec<Metric> {
    let covered = facts
        .opportunities
        .iter()
        .filter(|o| !o.in_danger_zone())
        .map(|o| rec(DocKind::Opportunity, &o.opportunity_id, &o.account_id, None))
        .collect();
    let mut metrics = vec![
        Metric::share(
            "influencer_coverage",
            GROUP,
            covered,
            facts.opportunities.len(),
        )
        .against(rules.influencer_coverage_target),
    ];
    metrics.extend(mark_figures(facts));
    metrics.extend(stage_figures(facts));
    metrics
}

/// Buying signals per visit, then the visits that showed each signal and each
/// objection.
fn mark_figures(facts: &Facts) -> Vec<Metric> {
    let marks = Marks::of(facts);
    let mut metrics = vec![Metric::ratio(
        "signals_per_visit",
        GROUP,
        marks.visits("signal", None),
        facts.visits.len(),
    )];
    metrics.extend(Signal::ALL.iter().map(|s| {
        Metric::count(
            signal_key(*s),
            GROUP,
            marks.visits("signal", Some(s.code())),
        )
    }));
    metrics.extend(Objection::ALL.iter().map(|o| {
        Metric::count(
            objection_key(*o),
            GROUP,
            marks.visits("objection", Some(o.code())),
        )
    }));
    metrics
}

/// The marks of the period's visits, by the visits they belong to.
struct Marks<'a> {
    facts: &'a Facts,
    visit_by_id: HashMap<&'a str, &'a visits::Model>,
}

impl<'a> Marks<'a> {
    fn of(facts: &'a Facts) -> Marks<'a> {
        let visit_by_id = facts.visits.iter().map(|v| (v.id.as_str(), v)).collect();
        Marks { facts, visit_by_id }
    }

    /// The visits marked `prefix:code` (`signal:next_step`), each once, by id. With no
    /// code, every mark of the prefix: a visit counts once per signal it showed.
    fn visits(&self, prefix: &str, code: Option<&str>) -> Vec<RecordRef> {
        let mut ids: Vec<&str> = self
            .facts
            .marks
            .iter()
            .filter(|m| {
                m.mark
                    .split_once(':')
                    .is_some_and(|(p, c)| p == prefix && code.is_none_or(|code| code == c))
            })
            .map(|m| m.visit_id.as_str())
            .collect();
        ids.sort_unstable();
        if code.is_some() {
            ids.dedup();
        }
        ids.into_iter()
            .filter_map(|id| self.visit_by_id.get(id).map(|v| visit_ref(v)))
            .collect()
    }
}

/// The accounts whose relationship stage the rep moved up, and down, in the period.
fn stage_figures(facts: &Facts) -> Vec<Metric> {
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for m in &facts.stage_moves {
        let account = rec(
            DocKind::Account,
            &m.account_id,
            &m.account_id,
            Some(m.at_ms),
        );
        // No stage ranks below every stage: setting a first stage is a move up, clearing
        // it a move down, and a move to the same rank neither.
        match stage_rank(m.to_stage.as_deref()).cmp(&stage_rank(m.from_stage.as_deref())) {
            Ordering::Greater => up.push(account),
            Ordering::Less => down.push(account),
            Ordering::Equal => {}
        }
    }
    vec![
        Metric::count("stage_up", GROUP, up),
        Metric::count("stage_down", GROUP, down),
    ]
}

/// A stage's rank in the method's order (gestation first), `None` for no stage or a code
/// this server does not know.
fn stage_rank(code: Option<&str>) -> Option<usize> {
    let code = code?;
    Stage::ALL.iter().position(|s| s.code() == code)
}

fn signal_key(s: Signal) -> &'static str {
    match s {
        Signal::AcceptedIdea => "signal_accepted_idea",
        Signal::NextStep => "signal_next_step",
        Signal::IntroducedSenior => "signal_introduced_senior",
        Signal::TechnicalExchange => "signal_technical_exchange",
    }
}

fn objection_key(o: Objection) -> &'static str {
    match o {
        Objection::NoNeed => "objection_no_need",
        Objection::NoTrust => "objection_no_trust",
        Objection::NoBudget => "objection_no_budget",
        Objection::NoHurry => "objection_no_hurry",
    }
}

#[cfg(test)]
mod tests {
    use rapport_client_core::protocol::MetricShape;

    use super::*;
    use crate::scorecard::OpportunityRisk;
    use crate::scorecard::fixtures::{at, figure, ids, mark, stage_move, visit, window};

    fn opportunity(id: &str, unknown_roles: Vec<&'static str>) -> OpportunityRisk {
        OpportunityRisk {
            opportunity_id: id.into(),
            account_id: "a1".into(),
            name: id.into(),
            unknown_roles,
            unmet_roles: vec![],
        }
    }

    #[test]
    fn influencer_coverage_counts_opportunities_out_of_the_danger_zone() {
        let facts = Facts {
            opportunities: vec![opportunity("o1", vec![]), opportunity("o2", vec!["coach"])],
            ..Facts::default()
        };
        let metrics = method(&facts, &Rules::default());
        let coverage = figure(&metrics, "influencer_coverage");
        assert_eq!((ids(coverage), coverage.total), (vec!["o1"], Some(2)));
        assert!(coverage.target.is_some());
    }

    #[test]
    fn signals_per_visit_is_a_ratio_and_each_mark_counts_its_visits_once() {
        let w = window("2026-W48");
        let facts = Facts {
            visits: vec![visit("v1", "a1", at(&w, 1)), visit("v2", "a2", at(&w, 2))],
            marks: vec![
                mark("v1", "signal:next_step"),
                mark("v1", "signal:accepted_idea"),
                mark("v2", "signal:next_step"),
                mark("v1", "objection:no_budget"),
                mark("v1", "spin:problem"),
                // A visit outside the period.
                mark("v9", "signal:next_step"),
            ],
            ..Facts::default()
        };
        let metrics = method(&facts, &Rules::default());
        let signals = figure(&metrics, "signals_per_visit");
        assert_eq!(signals.shape, MetricShape::Ratio);
        assert_eq!(
            (signals.part, signals.total, signals.value),
            (Some(3), Some(2), 1.5)
        );
        assert_eq!(ids(signals), ["v1", "v1", "v2"]);
        assert_eq!(ids(figure(&metrics, "signal_next_step")), ["v1", "v2"]);
        assert_eq!(ids(figure(&metrics, "signal_accepted_idea")), ["v1"]);
        assert!(
            figure(&metrics, "signal_introduced_senior")
                .records
                .is_empty()
        );
        assert_eq!(ids(figure(&metrics, "objection_no_budget")), ["v1"]);
        assert!(figure(&metrics, "objection_no_need").records.is_empty());
        assert_eq!(metrics.len(), 1 + 1 + 4 + 4 + 2);
    }

    #[test]
    fn stage_moves_go_up_down_or_neither() {
        let facts = Facts {
            stage_moves: vec![
                stage_move("a1", Some("initial"), Some("intermediate"), 1),
                stage_move("a2", None, Some("gestation"), 2),
                stage_move("a3", Some("advanced"), Some("initial"), 3),
                stage_move("a4", Some("initial"), None, 4),
                stage_move("a5", Some("initial"), Some("initial"), 5),
                stage_move("a6", None, None, 6),
            ],
            ..Facts::default()
        };
        let metrics = method(&facts, &Rules::default());
        let up = figure(&metrics, "stage_up");
        assert_eq!(
            up.records
                .iter()
                .map(|r| r.account_id.as_str())
                .collect::<Vec<_>>(),
            ["a1", "a2"]
        );
        let down = figure(&metrics, "stage_down");
        assert_eq!(
            down.records
                .iter()
                .map(|r| r.account_id.as_str())
                .collect::<Vec<_>>(),
            ["a3", "a4"]
        );
        assert_eq!(down.records[0].at_ms, Some(3));
    }
}
