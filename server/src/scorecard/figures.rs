//! Builders of the scorecard's figures and of the references to the records behind them.

use rapport_client_core::model::DocKind;
use rapport_client_core::protocol::{Metric, MetricGroup, MetricShape, RecordRef};

/// Builders of a [`Metric`], in the shapes the scorecard has.
pub trait MetricExt: Sized {
    /// A number of records.
    fn count(key: &str, group: MetricGroup, records: Vec<RecordRef>) -> Self;
    /// The records as a share of `total` (0 when the total is 0).
    fn share(key: &str, group: MetricGroup, records: Vec<RecordRef>, total: usize) -> Self;
    /// The records per one of `total` (0 when the total is 0), which may exceed 1.
    fn ratio(key: &str, group: MetricGroup, records: Vec<RecordRef>, total: usize) -> Self;
    /// Sets the target. A share of nothing (no birthdays in the period, no open
    /// opportunity) has no attainment: it is not applicable, not 0 %.
    fn against(self, target: f64) -> Self;
}

impl MetricExt for Metric {
    fn count(key: &str, group: MetricGroup, records: Vec<RecordRef>) -> Metric {
        Metric {
            key: key.to_owned(),
            group,
            shape: MetricShape::Count,
            value: records.len() as f64,
            part: None,
            total: None,
            target: None,
            attainment: None,
            records,
        }
    }

    fn share(key: &str, group: MetricGroup, records: Vec<RecordRef>, total: usize) -> Metric {
        part_of(key, group, MetricShape::Share, records, total)
    }

    fn ratio(key: &str, group: MetricGroup, records: Vec<RecordRef>, total: usize) -> Metric {
        part_of(key, group, MetricShape::Ratio, records, total)
    }

    fn against(mut self, target: f64) -> Metric {
        self.target = Some(target);
        self.attainment = (target > 0.0 && self.total != Some(0)).then(|| self.value / target);
        self
    }
}

/// A figure whose value is its records per one of `total`.
fn part_of(
    key: &str,
    group: MetricGroup,
    shape: MetricShape,
    records: Vec<RecordRef>,
    total: usize,
) -> Metric {
    let part = records.len();
    Metric {
        key: key.to_owned(),
        group,
        shape,
        value: if total == 0 {
            0.0
        } else {
            part as f64 / total as f64
        },
        part: Some(part as u64),
        total: Some(total as u64),
        target: None,
        attainment: None,
        records,
    }
}

/// A reference to the record `id` of `kind` on `account`, which happened at `at` (Unix
/// ms) if it is something that happens.
pub fn rec(kind: DocKind, id: &str, account: &str, at: Option<i64>) -> RecordRef {
    RecordRef {
        kind,
        id: id.to_owned(),
        account_id: account.to_owned(),
        at_ms: at,
    }
}

/// A reference to the account `id` itself.
pub fn account_ref(id: &str) -> RecordRef {
    rec(DocKind::Account, id, id, None)
}
