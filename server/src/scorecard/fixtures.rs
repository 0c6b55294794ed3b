//! Read-model rows built by hand, for testing the groups of figures without a database.
//! Every row is the tenant `t1`'s and the rep `r1`'s, not deleted; a test sets what it
//! is about.

use chrono::NaiveDate;
use rapport_client_core::protocol::Metric;

use crate::db::{
    accounts, contacts, favours, greetings, info_reports, intel, relationship_events, stage_events,
    visit_marks, visits,
};
use crate::periods::Window;

/// The ids of the records behind a figure, in its order.
pub fn ids(m: &Metric) -> Vec<&str> {
    m.records.iter().map(|r| r.id.as_str()).collect()
}

/// The figure `key` of `metrics`.
pub fn figure<'a>(metrics: &'a [Metric], key: &str) -> &'a Metric {
    metrics
        .iter()
        .find(|m| m.key == key)
        .unwrap_or_else(|| panic!("no figure {key}"))
}

/// The period `period` in Asia/Shanghai.
pub fn window(period: &str) -> Window {
    let zone = "Asia/Shanghai".parse().expect("zone");
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    Window::parse_on(Some(period), zone, today).expect("period")
}

/// `hours` after the start of `window`, in Unix ms (negative: before it).
pub fn at(window: &Window, hours: i64) -> i64 {
    window.start_ms + hours * 3_600_000
}

pub fn account(id: &str) -> accounts::Model {
    accounts::Model {
        id: id.into(),
        tenant_id: "t1".into(),
        name: id.into(),
        industry: None,
        city: None,
        lat: None,
        lon: None,
        deleted: false,
        tier: None,
        value_score: None,
        stage: None,
        cadence_days: None,
        current_value: None,
        potential_value: None,
    }
}

/// A key contact without a card.
pub fn contact(id: &str, account: &str) -> contacts::Model {
    contacts::Model {
        id: id.into(),
        tenant_id: "t1".into(),
        account_id: account.into(),
        author_id: "r1".into(),
        name: id.into(),
        title: None,
        deleted: false,
        admin_level: None,
        relationship_level: None,
        key_contact: true,
        roles: String::new(),
        has_card: false,
        card_depth: 0,
        card_knows_name: false,
        card_interests: false,
        card_birthday: false,
        card_concern: false,
        birthday_calendar: None,
        birthday_month: None,
        birthday_day: None,
        birthday_leap: false,
    }
}

/// A visit, neither verified nor late.
pub fn visit(id: &str, account: &str, at: i64) -> visits::Model {
    visits::Model {
        id: id.into(),
        tenant_id: "t1".into(),
        account_id: account.into(),
        author_id: "r1".into(),
        occurred_at: at,
        offset_min: 480,
        logged_at: at,
        duration_min: 30,
        purpose: String::new(),
        check_in_lat: None,
        check_in_lon: None,
        check_in_accuracy_m: None,
        deleted: false,
        next_step: None,
        next_step_due: None,
        verified: false,
        late: false,
    }
}

/// A favour within the limit.
pub fn favour(id: &str, account: &str, at: i64) -> favours::Model {
    favours::Model {
        id: id.into(),
        tenant_id: "t1".into(),
        account_id: account.into(),
        author_id: "r1".into(),
        contact_id: None,
        kind: "help".into(),
        description: String::new(),
        value: None,
        over_limit: false,
        occurred_at: at,
        deleted: false,
    }
}

pub fn event(id: &str, account: &str, kind: &str, at: i64) -> relationship_events::Model {
    relationship_events::Model {
        id: id.into(),
        tenant_id: "t1".into(),
        account_id: account.into(),
        author_id: "r1".into(),
        kind: kind.into(),
        contact_id: None,
        occurred_at: at,
        deleted: false,
    }
}

pub fn info_report(id: &str, account: &str, at: i64) -> info_reports::Model {
    info_reports::Model {
        id: id.into(),
        tenant_id: "t1".into(),
        account_id: account.into(),
        author_id: "r1".into(),
        kind: "stock".into(),
        figure: None,
        unit: None,
        contact_id: None,
        occurred_at: at,
        deleted: false,
    }
}

pub fn intel(id: &str, account: &str, at: i64) -> intel::Model {
    intel::Model {
        id: id.into(),
        tenant_id: "t1".into(),
        account_id: account.into(),
        author_id: "r1".into(),
        competitor: "Acme".into(),
        product: None,
        price: None,
        confidence: "heard".into(),
        source_contact_id: None,
        occurred_at: at,
        deleted: false,
    }
}

/// A greeting for `occasion`, to `contact` if any.
pub fn greeting(id: &str, occasion: &str, contact: Option<&str>, at: i64) -> greetings::Model {
    greetings::Model {
        id: id.into(),
        tenant_id: "t1".into(),
        account_id: "a1".into(),
        author_id: "r1".into(),
        contact_id: contact.map(Into::into),
        occasion: occasion.into(),
        channel: "call".into(),
        occurred_at: at,
        deleted: false,
    }
}

/// The rep's move of `account`'s stage.
pub fn stage_move(
    account: &str,
    from: Option<&str>,
    to: Option<&str>,
    at: i64,
) -> stage_events::Model {
    stage_events::Model {
        id: format!("{account}-{at}"),
        tenant_id: "t1".into(),
        account_id: account.into(),
        from_stage: from.map(Into::into),
        to_stage: to.map(Into::into),
        by_user: "r1".into(),
        at_ms: at,
    }
}

/// A mark (`signal:next_step`) of a visit.
pub fn mark(visit: &str, mark: &str) -> visit_marks::Model {
    visit_marks::Model {
        tenant_id: "t1".into(),
        visit_id: visit.into(),
        mark: mark.into(),
    }
}
