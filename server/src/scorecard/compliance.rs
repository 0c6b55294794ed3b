//! Compliance: the favours of the period worth more than the company's limit, which the
//! manager reviews.

use rapport_client_core::protocol::{Metric, MetricGroup};

use super::building::favour_ref;
use super::facts::Facts;
use super::figures::MetricExt;
use crate::periods::Window;

/// The favours of the period over the company's value limit (as judged when each was
/// logged).
pub fn compliance(facts: &Facts, window: &Window) -> Vec<Metric> {
    let over_limit = facts
        .favours
        .iter()
        .filter(|f| window.holds(f.occurred_at) && f.over_limit)
        .map(favour_ref)
        .collect();
    vec![Metric::count(
        "favours_over_limit",
        MetricGroup::Compliance,
        over_limit,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorecard::fixtures::{at, favour, ids, window};

    #[test]
    fn only_the_periods_favours_over_the_limit_count() {
        let w = window("2026-W48");
        let over = |id: &str, hours: i64| {
            let mut f = favour(id, "a1", at(&w, hours));
            f.over_limit = true;
            f
        };
        let facts = Facts {
            // f3 is over the limit earlier in the month, outside the week.
            favours: vec![over("f1", 5), favour("f2", "a1", 6), over("f3", -48)],
            ..Facts::default()
        };
        let metrics = compliance(&facts, &w);
        assert_eq!(metrics.len(), 1);
        assert_eq!(metrics[0].key, "favours_over_limit");
        assert_eq!(ids(&metrics[0]), ["f1"]);
    }
}
