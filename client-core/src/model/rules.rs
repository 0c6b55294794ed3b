//! A company's rules for judging records, shared by the device and the server so both
//! give the same answer: value score and tier, visit cadence, check-in verification,
//! late logging, and the favour value limit. Admins set them per company; devices receive
//! them with sync.

use serde::{Deserialize, Serialize};

use super::GeoPoint;
use super::records::{Account, CheckIn, Favour, Opportunity, PeriodMetrics, Visit};
use super::vocab::{BuyingRole, OpportunityStatus, Tier};

/// Per-company settings, with the defaults of DOMAIN.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rules {
    /// Weights of the single metrics in the value score (加权平均法).
    pub weight_sales: f64,
    pub weight_profit: f64,
    pub weight_collections: f64,
    pub weight_transactions: f64,
    /// Lowest score of tiers A, B and C; below C is D.
    pub tier_a_min: f64,
    pub tier_b_min: f64,
    pub tier_c_min: f64,
    /// Days between visits for tiers A, B, C, D.
    pub cadence_a_days: i64,
    pub cadence_b_days: i64,
    pub cadence_c_days: i64,
    pub cadence_d_days: i64,
    /// A check-in within this distance of the account's location verifies a visit.
    pub checkin_radius_m: f64,
    /// A visit logged more than this long after it happened is flagged late.
    pub late_after_hours: i64,
    /// A favour worth more than this is flagged for the manager (anti-bribery).
    pub favour_limit: f64,
    /// Weekly visits expected of each rep (monthly: pro rata to the month's days).
    pub weekly_visit_target: i64,
    /// Targets of the scorecard's shares, from 0 to 1: accounts visited within their
    /// cadence, accounts with a favour this month, key contacts with a VIP card, key
    /// contacts greeted on their birthday, open opportunities with every buying influence
    /// known and met.
    #[serde(default = "one")]
    pub cadence_kept_target: f64,
    #[serde(default = "one")]
    pub favour_accounts_target: f64,
    #[serde(default = "one")]
    pub card_coverage_target: f64,
    #[serde(default = "one")]
    pub birthday_greeting_target: f64,
    #[serde(default = "one")]
    pub influencer_coverage_target: f64,
}

fn one() -> f64 {
    1.0
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            weight_sales: 0.4,
            weight_profit: 0.3,
            weight_collections: 0.2,
            weight_transactions: 0.1,
            tier_a_min: 80.0,
            tier_b_min: 50.0,
            tier_c_min: 20.0,
            cadence_a_days: 7,
            cadence_b_days: 14,
            cadence_c_days: 30,
            cadence_d_days: 90,
            checkin_radius_m: 500.0,
            late_after_hours: 24,
            favour_limit: 500.0,
            weekly_visit_target: 10,
            cadence_kept_target: 1.0,
            favour_accounts_target: 1.0,
            card_coverage_target: 1.0,
            birthday_greeting_target: 1.0,
            influencer_coverage_target: 1.0,
        }
    }
}

/// The values one rule may take: a number from `min` to `max`, a whole one when `whole`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleRange {
    pub name: &'static str,
    pub min: f64,
    pub max: f64,
    pub whole: bool,
}

impl RuleRange {
    const fn number(name: &'static str, min: f64, max: f64) -> RuleRange {
        RuleRange {
            name,
            min,
            max,
            whole: false,
        }
    }

    const fn whole(name: &'static str, min: f64, max: f64) -> RuleRange {
        RuleRange {
            name,
            min,
            max,
            whole: true,
        }
    }

    /// Whether `value` is allowed.
    pub fn allows(&self, value: f64) -> bool {
        value.is_finite()
            && (self.min..=self.max).contains(&value)
            && (!self.whole || value.fract() == 0.0)
    }

    /// Why a value is refused, naming the rule and its range.
    pub fn refusal(&self) -> String {
        format!(
            "{} must be {} from {} to {}",
            self.name,
            if self.whole {
                "a whole number"
            } else {
                "a number"
            },
            self.min,
            self.max
        )
    }
}

/// Every rule with its range, in the order of [`Rules`]'s fields. A range is what makes
/// sense for the method: a favour limit of 1e308 would switch the anti-bribery flag off, a
/// check-in radius of 1e308 verify every check-in.
pub const RULE_RANGES: [RuleRange; 20] = [
    RuleRange::number("weight_sales", 0.0, 1.0),
    RuleRange::number("weight_profit", 0.0, 1.0),
    RuleRange::number("weight_collections", 0.0, 1.0),
    RuleRange::number("weight_transactions", 0.0, 1.0),
    RuleRange::number("tier_a_min", 0.0, 1e9),
    RuleRange::number("tier_b_min", 0.0, 1e9),
    RuleRange::number("tier_c_min", 0.0, 1e9),
    RuleRange::whole("cadence_a_days", 1.0, 366.0),
    RuleRange::whole("cadence_b_days", 1.0, 366.0),
    RuleRange::whole("cadence_c_days", 1.0, 366.0),
    RuleRange::whole("cadence_d_days", 1.0, 366.0),
    RuleRange::number("checkin_radius_m", 1.0, 10_000.0),
    RuleRange::whole("late_after_hours", 1.0, 720.0),
    RuleRange::number("favour_limit", 0.0, 1_000_000.0),
    RuleRange::whole("weekly_visit_target", 0.0, 200.0),
    RuleRange::number("cadence_kept_target", 0.0, 1.0),
    RuleRange::number("favour_accounts_target", 0.0, 1.0),
    RuleRange::number("card_coverage_target", 0.0, 1.0),
    RuleRange::number("birthday_greeting_target", 0.0, 1.0),
    RuleRange::number("influencer_coverage_target", 0.0, 1.0),
];

/// The range of the rule named `name`, if there is one.
pub fn rule_range(name: &str) -> Option<&'static RuleRange> {
    RULE_RANGES.iter().find(|r| r.name == name)
}

impl Rules {
    /// Every rule's value, in the order of [`RULE_RANGES`].
    #[allow(clippy::cast_precision_loss)]
    fn values(&self) -> [f64; 20] {
        [
            self.weight_sales,
            self.weight_profit,
            self.weight_collections,
            self.weight_transactions,
            self.tier_a_min,
            self.tier_b_min,
            self.tier_c_min,
            self.cadence_a_days as f64,
            self.cadence_b_days as f64,
            self.cadence_c_days as f64,
            self.cadence_d_days as f64,
            self.checkin_radius_m,
            self.late_after_hours as f64,
            self.favour_limit,
            self.weekly_visit_target as f64,
            self.cadence_kept_target,
            self.favour_accounts_target,
            self.card_coverage_target,
            self.birthday_greeting_target,
            self.influencer_coverage_target,
        ]
    }

    /// Checks every rule against its range ([`RULE_RANGES`]) and the tiers' order; the
    /// message names the rule at fault and what it may be.
    pub fn validate(&self) -> Result<(), String> {
        for (range, value) in RULE_RANGES.iter().zip(self.values()) {
            if !range.allows(value) {
                return Err(range.refusal());
            }
        }
        if !(self.tier_a_min >= self.tier_b_min && self.tier_b_min >= self.tier_c_min) {
            return Err(
                "tier thresholds must fall from A to C: tier_a_min ≥ tier_b_min ≥ tier_c_min"
                    .into(),
            );
        }
        Ok(())
    }

    /// The weighted value score of the latest period with figures, if any: the one that
    /// ends last, and of two ending together the shorter (a month before its quarter,
    /// a quarter before its year).
    pub fn value_score(&self, metrics: &[PeriodMetrics]) -> Option<f64> {
        let latest = metrics
            .iter()
            .filter_map(|m| period_bounds(&m.period).map(|(start, end)| (end, start, m)))
            .max_by_key(|(end, start, _)| (*end, *start))
            .map(|(_, _, m)| m)?;
        let f = |v: Option<f64>| v.unwrap_or(0.0);
        let tx = latest.transactions.map(|t| t as f64);
        Some(
            self.weight_sales * f(latest.sales)
                + self.weight_profit * f(latest.profit)
                + self.weight_collections * f(latest.collections)
                + self.weight_transactions * f(tx),
        )
    }

    /// The account's tier: set by hand, else from its value score; D without figures.
    pub fn tier(&self, account: &Account) -> Tier {
        if let Some(t) = account.tier_override {
            return t;
        }
        match self.value_score(&account.metrics) {
            Some(s) if s >= self.tier_a_min => Tier::A,
            Some(s) if s >= self.tier_b_min => Tier::B,
            Some(s) if s >= self.tier_c_min => Tier::C,
            _ => Tier::D,
        }
    }

    /// Days between visits the account expects.
    pub fn cadence_days(&self, account: &Account) -> i64 {
        account.cadence_days.unwrap_or(match self.tier(account) {
            Tier::A => self.cadence_a_days,
            Tier::B => self.cadence_b_days,
            Tier::C => self.cadence_c_days,
            Tier::D => self.cadence_d_days,
        })
    }

    /// Whether a check-in places the rep at the account: within the radius, with a fix
    /// no less precise than the radius.
    pub fn verifies(&self, check_in: Option<CheckIn>, location: Option<GeoPoint>) -> bool {
        match (check_in, location) {
            (Some(c), Some(at)) => {
                c.accuracy_m <= self.checkin_radius_m
                    && distance_m(c.lat, c.lon, at.lat, at.lon) <= self.checkin_radius_m
            }
            _ => false,
        }
    }

    /// Whether the visit was logged long after it happened.
    pub fn is_late(&self, visit: &Visit) -> bool {
        visit.logged_at.utc_ms - visit.occurred_at.utc_ms > self.late_after_hours * 3_600_000
    }

    pub fn over_limit(&self, favour: &Favour) -> bool {
        favour.value.is_some_and(|v| v > self.favour_limit)
    }
}

/// How recently one holder of each buying role must have been met in a visit for an open
/// opportunity to stay out of the danger zone (销售雷区).
pub const DANGER_ZONE_DAYS: i64 = 30;

/// An opportunity's buying-influence coverage: the roles nobody is known to fill, and the
/// roles none of whose holders was met in a visit in the last [`DANGER_ZONE_DAYS`] days.
/// The server's danger-zone report applies the same rule to its tables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleCoverage {
    pub unknown_roles: Vec<BuyingRole>,
    pub unmet_roles: Vec<BuyingRole>,
}

impl RoleCoverage {
    /// A role unknown or not met: the danger zone.
    pub fn in_danger_zone(&self) -> bool {
        !self.unknown_roles.is_empty() || !self.unmet_roles.is_empty()
    }
}

/// The coverage of an open opportunity, given whether a contact was met recently; `None`
/// for a won or lost one (only open opportunities can be in the danger zone).
pub fn role_coverage(
    opportunity: &Opportunity,
    met: impl Fn(&str) -> bool,
) -> Option<RoleCoverage> {
    if opportunity.status != OpportunityStatus::Open {
        return None;
    }
    let mut out = RoleCoverage::default();
    for role in BuyingRole::ALL.iter().copied() {
        let holders = opportunity.roles.get(role);
        if holders.is_empty() {
            out.unknown_roles.push(role);
        } else if !holders.iter().any(|h| met(h)) {
            out.unmet_roles.push(role);
        }
    }
    Some(out)
}

/// First and last day of a period written `2026`, `2026-Q3` or `2026-11`.
pub fn period_bounds(period: &str) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    use chrono::NaiveDate;
    // Digits only: `str::parse` would also take a sign (`+026`, `2026-+3`).
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let year_text = period.get(..4)?;
    if !digits(year_text) {
        return None;
    }
    let year: i32 = year_text.parse().ok()?;
    let (first_month, months) = match period.get(4..)? {
        "" => (1, 12),
        q if q.starts_with("-Q") && digits(q.get(2..)?) => {
            let n: u32 = q.get(2..)?.parse().ok()?;
            if !(1..=4).contains(&n) {
                return None;
            }
            (3 * n - 2, 3)
        }
        m if m.starts_with('-') && digits(m.get(1..)?) => {
            let n: u32 = m.get(1..)?.parse().ok()?;
            if !(1..=12).contains(&n) {
                return None;
            }
            (n, 1)
        }
        _ => return None,
    };
    let start = NaiveDate::from_ymd_opt(year, first_month, 1)?;
    let end = start.checked_add_months(chrono::Months::new(months))? - chrono::Duration::days(1);
    Some((start, end))
}

/// Great-circle distance in metres (haversine).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_follow_the_latest_period_and_overrides_win() {
        let rules = Rules::default();
        let mut a = Account {
            name: "x".into(),
            ..Account::default()
        };
        assert_eq!(rules.tier(&a), Tier::D);
        a.metrics = vec![
            PeriodMetrics {
                period: "2026-Q2".into(),
                sales: Some(500.0),
                ..PeriodMetrics::default()
            },
            PeriodMetrics {
                period: "2026-Q3".into(),
                sales: Some(150.0),
                profit: Some(20.0),
                ..PeriodMetrics::default()
            },
        ];
        // 0.4 * 150 + 0.3 * 20 = 66
        assert_eq!(rules.value_score(&a.metrics), Some(66.0));
        assert_eq!(rules.tier(&a), Tier::B);
        assert_eq!(rules.cadence_days(&a), 14);
        a.tier_override = Some(Tier::A);
        assert_eq!(rules.cadence_days(&a), 7);
        a.cadence_days = Some(3);
        assert_eq!(rules.cadence_days(&a), 3);
    }

    #[test]
    fn the_latest_period_is_the_one_that_ends_last() {
        let rules = Rules::default();
        let m = |period: &str, sales: f64| PeriodMetrics {
            period: period.into(),
            sales: Some(sales),
            ..PeriodMetrics::default()
        };
        // November ends before Q4 does; December and Q4 end together: the month wins.
        let figures = vec![m("2026-11", 10.0), m("2026-Q4", 20.0), m("2026", 30.0)];
        assert_eq!(rules.value_score(&figures), Some(0.4 * 20.0));
        let figures = vec![m("2026-12", 50.0), m("2026-Q4", 20.0), m("2026", 30.0)];
        assert_eq!(rules.value_score(&figures), Some(0.4 * 50.0));
        let figures = vec![m("2025-Q4", 5.0), m("2026-01", 7.0)];
        assert_eq!(rules.value_score(&figures), Some(0.4 * 7.0));
        assert_eq!(period_bounds("2026-Q5"), None);
        for signed in ["+026", "-001", "2026-+3", "2026-Q+1", "第三季度"] {
            assert_eq!(period_bounds(signed), None, "{signed}");
        }
        assert_eq!(period_bounds("2026-13"), None);
    }

    #[test]
    fn check_ins_verify_within_the_radius() {
        let rules = Rules::default();
        let shanghai = GeoPoint {
            lat: 31.2304,
            lon: 121.4737,
        };
        let near = CheckIn {
            lat: 31.2330,
            lon: 121.4737,
            accuracy_m: 20.0,
        };
        let far = CheckIn { lat: 31.30, ..near };
        let vague = CheckIn {
            accuracy_m: 2000.0,
            ..near
        };
        assert!(rules.verifies(Some(near), Some(shanghai)));
        assert!(!rules.verifies(Some(far), Some(shanghai)));
        assert!(!rules.verifies(Some(vague), Some(shanghai)));
        assert!(!rules.verifies(None, Some(shanghai)));
        assert!(!rules.verifies(Some(near), None));
        let d = distance_m(31.2304, 121.4737, 39.9042, 116.4074);
        assert!((d - 1_067_000.0).abs() < 5_000.0, "Shanghai–Beijing {d}");
    }

    #[test]
    fn open_opportunities_with_a_role_unknown_or_unmet_are_in_the_danger_zone() {
        let mut o = Opportunity {
            name: "Line 3".into(),
            ..Opportunity::default()
        };
        o.roles.user = vec!["c1".into()];
        o.roles.technical_gatekeeper = vec!["c2".into()];
        o.roles.coach = vec!["c3".into(), "c4".into()];
        let met = |c: &str| c == "c1" || c == "c4";
        let cov = role_coverage(&o, met).expect("open");
        assert_eq!(cov.unknown_roles, vec![BuyingRole::DecisionMaker]);
        assert_eq!(cov.unmet_roles, vec![BuyingRole::TechnicalGatekeeper]);
        assert!(cov.in_danger_zone());
        o.roles.decision_maker = vec!["c1".into()];
        o.roles.technical_gatekeeper = vec!["c4".into()];
        assert!(!role_coverage(&o, met).expect("open").in_danger_zone());
        o.status = OpportunityStatus::Won;
        assert_eq!(role_coverage(&o, met), None);
    }

    #[test]
    fn defaults_are_valid_and_nonsense_is_not() {
        assert_eq!(Rules::default().validate(), Ok(()));
        let bad = Rules {
            tier_a_min: 1.0,
            ..Rules::default()
        };
        assert!(bad.validate().is_err());
        let bad = Rules {
            checkin_radius_m: f64::NAN,
            ..Rules::default()
        };
        assert!(bad.validate().is_err());
        let bad = Rules {
            favour_limit: 1e308,
            ..Rules::default()
        };
        assert_eq!(
            bad.validate(),
            Err("favour_limit must be a number from 0 to 1000000".into())
        );
        let bad = Rules {
            cadence_a_days: 0,
            ..Rules::default()
        };
        assert_eq!(
            bad.validate(),
            Err("cadence_a_days must be a whole number from 1 to 366".into())
        );
        // The table follows the fields: each name is a field of the JSON form.
        let json = serde_json::to_value(Rules::default()).expect("json");
        for range in &RULE_RANGES {
            assert!(json.get(range.name).is_some(), "{}", range.name);
            assert!(range.allows(json[range.name].as_f64().expect("a number")));
        }
        assert_eq!(json.as_object().expect("object").len(), RULE_RANGES.len());
    }
}
