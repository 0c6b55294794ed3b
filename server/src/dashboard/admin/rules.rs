//! The company's rules: every rule with its value and its range, in one form. Only the
//! rules whose value changed are sent on, through the same check as the API (each value
//! within its range, the rules as a whole consistent); a refused value changes nothing.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use rapport_client_core::model::{RULE_RANGES, RuleRange};

use super::{
    AdminForm, Done, DoneQuery, Part, QueryResult, answer, done_of, finish, require_admin, shell,
};
use crate::admin;
use crate::app::AppState;
use crate::dashboard::i18n::Lang;
use crate::dashboard::session::Viewer;
use crate::error::{ApiError, ApiResult};

/// What a rule is, in both languages.
fn label(l: Lang, name: &str) -> &str {
    let (en, zh) = match name {
        "weight_sales" => ("Value score weight: sales", "价值评分权重：销售额"),
        "weight_profit" => ("Value score weight: profit", "价值评分权重：利润"),
        "weight_collections" => ("Value score weight: collections", "价值评分权重：回款"),
        "weight_transactions" => ("Value score weight: transactions", "价值评分权重：交易次数"),
        "tier_a_min" => ("Lowest score of tier A", "A 级最低分"),
        "tier_b_min" => ("Lowest score of tier B", "B 级最低分"),
        "tier_c_min" => (
            "Lowest score of tier C (below: D)",
            "C 级最低分（以下为 D 级）",
        ),
        "cadence_a_days" => ("Days between visits, tier A", "A 级客户拜访间隔（天）"),
        "cadence_b_days" => ("Days between visits, tier B", "B 级客户拜访间隔（天）"),
        "cadence_c_days" => ("Days between visits, tier C", "C 级客户拜访间隔（天）"),
        "cadence_d_days" => ("Days between visits, tier D", "D 级客户拜访间隔（天）"),
        "checkin_radius_m" => ("Check-in radius (metres)", "签到半径（米）"),
        "late_after_hours" => ("Logged late after (hours)", "超过多少小时算补录"),
        "favour_limit" => ("Favour value limit", "礼品/办事金额上限"),
        "weekly_visit_target" => ("Visits a week per rep", "每人每周拜访目标"),
        "cadence_kept_target" => (
            "Target: accounts visited within cadence (0–1)",
            "目标：按周期拜访的客户比例（0–1）",
        ),
        "favour_accounts_target" => (
            "Target: accounts with a favour a month (0–1)",
            "目标：每月帮过的客户比例（0–1）",
        ),
        "card_coverage_target" => (
            "Target: key contacts with a VIP card (0–1)",
            "目标：关键人建卡比例（0–1）",
        ),
        "birthday_greeting_target" => (
            "Target: birthdays greeted (0–1)",
            "目标：生日问候比例（0–1）",
        ),
        "influencer_coverage_target" => (
            "Target: opportunities with all four influencers met (0–1)",
            "目标：四种购买影响者全覆盖的机会比例（0–1）",
        ),
        other => (other, other),
    };
    l.t(en, zh)
}

fn range_text(r: &RuleRange) -> String {
    format!("{} – {}", number(r.min), number(r.max))
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// `GET /dashboard/admin/rules`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    q: QueryResult<DoneQuery>,
) -> Response {
    let result = rules_page(&state, &viewer, done_of(q), None, &HashMap::new()).await;
    finish(&viewer, result)
}

/// `POST /dashboard/admin/rules`: saves the rules whose value changed.
pub async fn save(
    State(state): State<AppState>,
    AdminForm(viewer, submitted): AdminForm<HashMap<String, String>>,
) -> Response {
    let result = save_changed(&state, &viewer, &submitted)
        .await
        .map(|()| ("/dashboard/admin/rules".to_owned(), Done::RulesSaved));
    let (state, v, draft) = (&state, &viewer, &submitted);
    answer(v, result, |reason| async move {
        rules_page(state, v, None, Some(&reason), draft).await
    })
    .await
}

/// Sends on the rules whose submitted value differs from the stored one.
async fn save_changed(
    state: &AppState,
    viewer: &Viewer,
    submitted: &HashMap<String, String>,
) -> ApiResult<()> {
    let current = serde_json::to_value(admin::get_rules(state, viewer.tenant_id()).await?.rules)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding rules: {e}")))?;
    let mut changes = serde_json::Map::new();
    for range in &RULE_RANGES {
        let Some(text) = submitted.get(range.name).map(|s| s.trim()) else {
            continue;
        };
        let value: f64 = text.parse().map_err(|_| {
            ApiError::Unprocessable(format!("{}: '{text}' is not a number", range.name))
        })?;
        if current.get(range.name).and_then(serde_json::Value::as_f64) != Some(value) {
            let json = serde_json::Number::from_f64(value)
                .ok_or_else(|| ApiError::Unprocessable(range.refusal()))?;
            changes.insert(range.name.to_owned(), serde_json::Value::Number(json));
        }
    }
    if !changes.is_empty() {
        admin::patch_rules(state, viewer.tenant_id(), &changes).await?;
    }
    Ok(())
}

async fn rules_page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Done>,
    error: Option<&str>,
    draft: &HashMap<String, String>,
) -> ApiResult<Markup> {
    require_admin(viewer)?;
    let view = admin::get_rules(state, viewer.tenant_id()).await?;
    let values = serde_json::to_value(&view.rules)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding rules: {e}")))?;
    let l = viewer.lang();
    let body = html! {
        p.muted { (l.t("Version ", "版本 ")) (view.version) " · " (l.t(
            "Devices follow a change from their next sync. Judgements already made keep the rules they were made under.",
            "设备在下次同步后按新规则执行；已作出的判定保留当时的规则。",
        )) }
        form method="post" action="/dashboard/admin/rules" data-testid="rules" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            section.card { div.scroll { table {
                thead { tr {
                    th { (l.t("Rule", "规则")) }
                    th { (l.t("Value", "数值")) }
                    th { (l.t("Allowed", "允许范围")) }
                } }
                tbody { @for r in &RULE_RANGES {
                    @let stored = values.get(r.name).and_then(serde_json::Value::as_f64).map(number).unwrap_or_default();
                    @let shown = draft.get(r.name).cloned().unwrap_or(stored);
                    tr data-testid=(format!("rule-{}", r.name)) {
                        td.wrap { label for=(r.name) { (label(l, r.name)) } br; span.muted.small { (r.name) } }
                        td { input id=(r.name) name=(r.name) type="number"
                            step=(if r.whole { "1" } else { "any" })
                            min=(number(r.min)) max=(number(r.max)) value=(shown) required; }
                        td.muted.small { (range_text(r)) }
                    }
                } }
            } } }
            button.button type="submit" { (l.t("Save rules", "保存规则")) }
        }
    };
    Ok(shell(
        viewer,
        Part::Rules,
        l.t("Rules", "规则"),
        notice,
        error,
        &body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_its_words_in_both_languages() {
        for r in &RULE_RANGES {
            assert_ne!(label(Lang::En, r.name), r.name, "{}", r.name);
            assert_ne!(label(Lang::Zh, r.name), r.name, "{}", r.name);
        }
    }
}
