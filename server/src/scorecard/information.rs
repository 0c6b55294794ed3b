//! 客户关系的信息工作 (DOMAIN.md §四.4.3): what customers told the rep (info reports,
//! and the accounts that reported this month), competitor intelligence, and greetings —
//! logged, for the key contacts' birthdays, and for the traditional holidays.

use rapport_client_core::model::{DocKind, Occasion, Rules, calendar};
use rapport_client_core::protocol::{Metric, MetricGroup, RecordRef};

use super::birthday_of;
use super::facts::Facts;
use super::figures::{MetricExt, rec};
use crate::db::{contacts, greetings};
use crate::periods::Window;

const GROUP: MetricGroup = MetricGroup::Information;

/// The figures of the information work, in the order they are shown.
pub fn information(facts: &Facts, window: &Window, rules: &Rules) -> Vec<Metric> {
    let mut metrics = report_figures(facts, window);
    metrics.extend(greeting_figures(facts, window, rules));
    metrics
}

fn greeting_ref(g: &greetings::Model) -> RecordRef {
    rec(DocKind::Greeting, &g.id, &g.account_id, Some(g.occurred_at))
}

/// Info reports in the period, the share of the rep's accounts that reported in the
/// month of the period's last day, and competitor intelligence in the period.
fn report_figures(facts: &Facts, window: &Window) -> Vec<Metric> {
    let reports = facts
        .info_reports
        .iter()
        .filter(|r| window.holds(r.occurred_at))
        .map(|r| {
            rec(
                DocKind::InfoReport,
                &r.id,
                &r.account_id,
                Some(r.occurred_at),
            )
        })
        .collect();
    let informed_accounts = facts.accounts_among(
        facts
            .info_reports
            .iter()
            .filter(|r| window.month_holds(r.occurred_at))
            .map(|r| r.account_id.as_str()),
    );
    let intel = facts
        .intel
        .iter()
        .map(|r| rec(DocKind::Intel, &r.id, &r.account_id, Some(r.occurred_at)))
        .collect();
    vec![
        Metric::count("info_reports", GROUP, reports),
        Metric::share(
            "info_accounts_month",
            GROUP,
            informed_accounts,
            facts.accounts.len(),
        ),
        Metric::count("competitor_intel", GROUP, intel),
    ]
}

/// Greetings logged in the period, whatever the occasion (the count beside the shares);
/// the key contacts whose birthday falls in the period and who were greeted for it (in
/// the period, or up to three days before), against the company's target; and the
/// holidays of the period greeted in it.
fn greeting_figures(facts: &Facts, window: &Window, rules: &Rules) -> Vec<Metric> {
    let greetings = &facts.greetings;
    let logged = greetings
        .iter()
        .filter(|g| window.holds(g.occurred_at))
        .map(greeting_ref)
        .collect();
    let birthday_contacts: Vec<&contacts::Model> = facts
        .key_contacts
        .iter()
        .filter(|c| {
            birthday_of(c).is_some_and(|b| {
                calendar::next_birthday(b, window.first_day, window.days() - 1).is_some()
            })
        })
        .collect();
    let greeted: Vec<RecordRef> = birthday_contacts
        .iter()
        .filter_map(|c| {
            greetings
                .iter()
                .find(|g| {
                    g.occasion == Occasion::Birthday.code()
                        && g.contact_id.as_deref() == Some(c.id.as_str())
                })
                .map(greeting_ref)
        })
        .collect();
    let holidays = calendar::holidays_between(window.first_day, window.days() - 1);
    let holidays_greeted: Vec<RecordRef> = holidays
        .iter()
        .filter_map(|(occasion, _)| {
            greetings
                .iter()
                .find(|g| g.occasion == occasion.code() && window.holds(g.occurred_at))
                .map(greeting_ref)
        })
        .collect();
    vec![
        Metric::count("greetings", GROUP, logged),
        Metric::share(
            "birthday_greetings",
            GROUP,
            greeted,
            birthday_contacts.len(),
        )
        .against(rules.birthday_greeting_target),
        Metric::share("holidays_greeted", GROUP, holidays_greeted, holidays.len()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorecard::fixtures::{
        account, at, contact, figure, greeting, ids, info_report, intel, window,
    };

    /// A key contact with a solar birthday on `month`-`day`.
    fn born(id: &str, month: i32, day: i32) -> contacts::Model {
        let mut c = contact(id, "a1");
        c.birthday_calendar = Some("solar".into());
        (c.birthday_month, c.birthday_day) = (Some(month), Some(day));
        c
    }

    #[test]
    fn info_reports_count_in_the_period_and_accounts_in_its_month() {
        let w = window("2026-W48");
        let facts = Facts {
            accounts: vec![account("a1"), account("a2"), account("a3")],
            info_reports: vec![
                info_report("i1", "a1", at(&w, 3)),
                // Earlier in November, and in October.
                info_report("i2", "a2", at(&w, -72)),
                info_report("i3", "a3", at(&w, -24 * 40)),
            ],
            intel: vec![intel("n1", "a1", at(&w, 4)), intel("n2", "a3", at(&w, 5))],
            ..Facts::default()
        };
        let metrics = information(&facts, &w, &Rules::default());
        assert_eq!(ids(figure(&metrics, "info_reports")), ["i1"]);
        let informed = figure(&metrics, "info_accounts_month");
        assert_eq!((ids(informed), informed.total), (vec!["a1", "a2"], Some(3)));
        assert_eq!(ids(figure(&metrics, "competitor_intel")), ["n1", "n2"]);
    }

    #[test]
    fn birthdays_and_holidays_of_the_period_greeted() {
        // February 2027 holds the Spring Festival and the Lantern Festival.
        let w = window("2027-02");
        let holidays = calendar::holidays_between(w.first_day, w.days() - 1);
        assert!(holidays.len() >= 2, "{holidays:?}");
        let (holiday, _) = holidays[0];
        let facts = Facts {
            key_contacts: vec![
                born("c1", 2, 10),
                born("c2", 2, 1),
                born("c3", 3, 5),
                born("c4", 2, 20),
            ],
            greetings: vec![
                // c1 greeted in the period; c2 two days before it, for a birthday on its
                // first day; c4 not at all (a holiday greeting to c4 is not one).
                greeting("g1", "birthday", Some("c1"), at(&w, 24 * 7 + 12)),
                greeting("g2", "birthday", Some("c2"), at(&w, -36)),
                greeting("g3", holiday.code(), Some("c4"), at(&w, 24 * 20)),
            ],
            ..Facts::default()
        };
        let rules = Rules {
            birthday_greeting_target: 0.5,
            ..Rules::default()
        };
        let metrics = information(&facts, &w, &rules);
        let keys: Vec<&str> = metrics.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "info_reports",
                "info_accounts_month",
                "competitor_intel",
                "greetings",
                "birthday_greetings",
                "holidays_greeted"
            ]
        );
        assert_eq!(ids(figure(&metrics, "greetings")), ["g1", "g3"]);
        let birthdays = figure(&metrics, "birthday_greetings");
        assert_eq!(
            (ids(birthdays), birthdays.total),
            (vec!["g1", "g2"], Some(3))
        );
        assert_eq!(birthdays.attainment, Some(2.0 / 3.0 / 0.5));
        let greeted = figure(&metrics, "holidays_greeted");
        assert_eq!(ids(greeted), ["g3"]);
        assert_eq!(greeted.total, Some(holidays.len() as u64));
    }
}
