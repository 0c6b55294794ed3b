//! The company's rules and the relationship-maintenance scorecard, as the apps see them.

use super::RecordKind;
use crate::{model, protocol};

/// The company's rules for judging records, as the device last received them with sync
/// (the defaults before the first sync). Admins set them; the app shows them (a visit's
/// cadence, the favour limit) and judges records by them offline.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Rules {
    /// Weights of the single metrics in the account's value score.
    pub weight_sales: f64,
    pub weight_profit: f64,
    pub weight_collections: f64,
    pub weight_transactions: f64,
    /// Lowest score of tiers A, B and C; below C is D.
    pub tier_a_min: f64,
    pub tier_b_min: f64,
    pub tier_c_min: f64,
    /// Days between visits for tiers A, B, C and D.
    pub cadence_a_days: i64,
    pub cadence_b_days: i64,
    pub cadence_c_days: i64,
    pub cadence_d_days: i64,
    /// A check-in within this distance of the account's location verifies a visit.
    pub checkin_radius_m: f64,
    /// A visit logged more than this long after it happened is flagged late.
    pub late_after_hours: i64,
    /// A favour worth more than this is flagged for the manager.
    pub favour_limit: f64,
    /// Visits expected of each rep per week.
    pub weekly_visit_target: i64,
    /// Targets of the scorecard's shares, from 0 to 1.
    pub cadence_kept_target: f64,
    pub favour_accounts_target: f64,
    pub card_coverage_target: f64,
    pub birthday_greeting_target: f64,
    pub influencer_coverage_target: f64,
}

impl From<model::Rules> for Rules {
    fn from(r: model::Rules) -> Self {
        Rules {
            weight_sales: r.weight_sales,
            weight_profit: r.weight_profit,
            weight_collections: r.weight_collections,
            weight_transactions: r.weight_transactions,
            tier_a_min: r.tier_a_min,
            tier_b_min: r.tier_b_min,
            tier_c_min: r.tier_c_min,
            cadence_a_days: r.cadence_a_days,
            cadence_b_days: r.cadence_b_days,
            cadence_c_days: r.cadence_c_days,
            cadence_d_days: r.cadence_d_days,
            checkin_radius_m: r.checkin_radius_m,
            late_after_hours: r.late_after_hours,
            favour_limit: r.favour_limit,
            weekly_visit_target: r.weekly_visit_target,
            cadence_kept_target: r.cadence_kept_target,
            favour_accounts_target: r.favour_accounts_target,
            card_coverage_target: r.card_coverage_target,
            birthday_greeting_target: r.birthday_greeting_target,
            influencer_coverage_target: r.influencer_coverage_target,
        }
    }
}

/// One rep's relationship-maintenance scorecard for a period (an ISO week or a month, in
/// the company's time zone).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Scorecard {
    pub rep_username: String,
    pub rep_display_name: String,
    /// `2026-W48` or `2026-11`.
    pub period: String,
    pub time_zone: String,
    /// The period, Unix milliseconds: from `starts_ms` up to (not including) `ends_ms`.
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub metrics: Vec<Metric>,
}

/// One figure of the scorecard, with the records that make it up.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Metric {
    /// Stable name: `visits`, `cadence_kept`, `card_coverage`, `influencer_coverage` …
    pub key: String,
    pub group: MetricGroup,
    /// How to read `value`: a count, a share of `total`, or a ratio.
    pub shape: MetricShape,
    pub value: f64,
    /// For a share or a ratio (value = part / total): its parts.
    pub part: Option<u64>,
    pub total: Option<u64>,
    pub target: Option<f64>,
    /// value / target.
    pub attainment: Option<f64>,
    /// The records behind the figure (behind `part`, for a share or a ratio).
    pub records: Vec<MetricRecord>,
}

/// The groups of the scorecard, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MetricGroup {
    /// The VIP cards of the key contacts.
    Closeness,
    /// Visits, cadence, favours, relationship events.
    Building,
    /// Info reports, competitor intelligence, greetings.
    Information,
    /// Influencer coverage, buying signals, objections, stage moves.
    Method,
    /// Favours over the company's value limit.
    Compliance,
}

/// How a figure's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MetricShape {
    /// A number of records: show it whole.
    Count,
    /// A part of a total, from 0 to 1: show a percentage (a share of nothing, total 0,
    /// is not applicable).
    Share,
    /// A part per total that may exceed 1: show it with two decimals.
    Ratio,
}

/// A record a figure is made of.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MetricRecord {
    pub kind: RecordKind,
    pub id: String,
    pub account_id: String,
    /// When it happened (Unix ms), for records that happen.
    pub at_ms: Option<i64>,
}

impl From<protocol::MetricGroup> for MetricGroup {
    fn from(g: protocol::MetricGroup) -> Self {
        match g {
            protocol::MetricGroup::Closeness => MetricGroup::Closeness,
            protocol::MetricGroup::Building => MetricGroup::Building,
            protocol::MetricGroup::Information => MetricGroup::Information,
            protocol::MetricGroup::Method => MetricGroup::Method,
            protocol::MetricGroup::Compliance => MetricGroup::Compliance,
        }
    }
}

impl From<protocol::MetricShape> for MetricShape {
    fn from(s: protocol::MetricShape) -> Self {
        match s {
            protocol::MetricShape::Count => MetricShape::Count,
            protocol::MetricShape::Share => MetricShape::Share,
            protocol::MetricShape::Ratio => MetricShape::Ratio,
        }
    }
}

impl From<protocol::Metric> for Metric {
    fn from(m: protocol::Metric) -> Self {
        Metric {
            key: m.key,
            group: m.group.into(),
            shape: m.shape.into(),
            value: m.value,
            part: m.part,
            total: m.total,
            target: m.target,
            attainment: m.attainment,
            records: m
                .records
                .into_iter()
                .map(|r| MetricRecord {
                    kind: r.kind.into(),
                    id: r.id,
                    account_id: r.account_id,
                    at_ms: r.at_ms,
                })
                .collect(),
        }
    }
}

impl From<protocol::Scorecard> for Scorecard {
    fn from(s: protocol::Scorecard) -> Self {
        Scorecard {
            rep_username: s.rep.username,
            rep_display_name: s.rep.display_name,
            period: s.period,
            time_zone: s.time_zone,
            starts_ms: s.starts_ms,
            ends_ms: s.ends_ms,
            metrics: s.metrics.into_iter().map(Metric::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_reach_the_app_field_by_field() {
        let mut model = model::Rules {
            favour_limit: 800.0,
            cadence_b_days: 21,
            ..model::Rules::default()
        };
        model.card_coverage_target = 0.75;
        let rules = Rules::from(model);
        assert_eq!(rules.favour_limit, 800.0);
        assert_eq!(rules.cadence_b_days, 21);
        assert_eq!(rules.card_coverage_target, 0.75);
        assert_eq!(rules.cadence_a_days, 7);
    }

    #[test]
    fn a_figure_reaches_the_app_with_its_group_shape_and_record_kinds() {
        let metric = protocol::Metric {
            key: "signals_per_visit".into(),
            group: protocol::MetricGroup::Method,
            shape: protocol::MetricShape::Ratio,
            value: 1.5,
            part: Some(3),
            total: Some(2),
            target: None,
            attainment: None,
            records: vec![protocol::RecordRef {
                kind: model::DocKind::Intel,
                id: "i1".into(),
                account_id: "a1".into(),
                at_ms: None,
            }],
        };
        let m = Metric::from(metric);
        assert_eq!(
            (m.group, m.shape),
            (MetricGroup::Method, MetricShape::Ratio)
        );
        assert_eq!(m.records[0].kind, RecordKind::Intel);
        assert_eq!((m.part, m.total, m.value), (Some(3), Some(2), 1.5));
    }
}
