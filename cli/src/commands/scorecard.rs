//! `rapport report me` and `rapport report scorecard`: a rep's relationship-maintenance
//! scorecard for a week or a month, grouped as the method groups it (客情 closeness,
//! building the relationship, information work, method, compliance), each figure with its
//! target and attainment, and with `--records` the records behind every figure.

use anyhow::Result;
use rapport_client_core::protocol::{Metric, MetricGroup, MetricShape, Scorecard};

use super::{Ctx, out_table};
use crate::i18n::Lang;
use crate::table::render;

/// The name of a scorecard group.
fn group_label(lang: Lang, group: MetricGroup) -> String {
    let (en, zh) = match group {
        MetricGroup::Closeness => ("Closeness (VIP cards)", "客户个人关系密切程度"),
        MetricGroup::Building => ("Building the relationship", "客户关系建立与巩固"),
        MetricGroup::Information => ("Information work", "客户关系的信息工作"),
        MetricGroup::Method => ("Method", "四维成交法"),
        MetricGroup::Compliance => ("Compliance", "合规"),
    };
    match lang {
        Lang::En => en.to_owned(),
        Lang::Zh => zh.to_owned(),
    }
}

/// The name of a figure.
fn metric_label(lang: Lang, key: &str) -> String {
    let (en, zh) = match key {
        "card_coverage" => ("Key contacts with a VIP card", "重点客户建立VIP客情关系卡"),
        "card_knows_name" => ("Cards: calls the rep by name", "互相能叫出名字"),
        "card_interests" => ("Cards: interests known", "了解兴趣爱好"),
        "card_birthday" => ("Cards: birthday known", "知道生日"),
        "card_concern" => ("Cards: personal concern known", "了解私人情况/为其解忧"),
        "card_full_depth" => ("Cards with all four", "四项俱全的关系卡"),
        "visits" => ("Visits", "拜访次数"),
        "verified_share" => ("Visits verified by check-in", "签到核实的拜访"),
        "late_logged" => ("Visits logged late", "补录的拜访"),
        "distinct_accounts" => ("Accounts visited", "拜访的客户数"),
        "cadence_kept" => ("Accounts visited within cadence", "按周期拜访的客户"),
        "favours" => ("Favours done", "帮客户做的事"),
        "favour_accounts_month" => ("Accounts with a favour this month", "本月帮过的客户"),
        "first_thought_events" => ("Thought of us first", "总是第一个想到你"),
        "best_display_events" => ("Best display obtained", "最佳终端陈列和信息发布"),
        "private_help_events" => ("Helped with a private matter", "为其解忧"),
        "info_reports" => ("Customer info reports", "出货量/库存/终端反馈"),
        "info_accounts_month" => ("Accounts reporting this month", "本月告知信息的客户"),
        "competitor_intel" => ("Competitor intelligence", "竞争对手情况"),
        "greetings" => ("Greetings logged", "问候次数"),
        "birthday_greetings" => ("Birthdays greeted", "生日问候"),
        "holidays_greeted" => ("Holidays greeted", "节日问候"),
        "influencer_coverage" => (
            "Opportunities with all four influencers met",
            "四种购买影响者全覆盖的机会",
        ),
        "signals_per_visit" => ("Buying signals per visit", "每次拜访的购买标志"),
        "signal_accepted_idea" => ("Signal: accepted a rejected idea", "接受了原本不接受的理念"),
        "signal_next_step" => ("Signal: agreed to the next step", "同意进入下一个流程"),
        "signal_introduced_senior" => (
            "Signal: introduced a senior manager",
            "引荐更高一级的管理者",
        ),
        "signal_technical_exchange" => ("Signal: technical exchange agreed", "同意召开技术交流会"),
        "objection_no_need" => ("Objection: no need", "拒绝：我不需要"),
        "objection_no_trust" => ("Objection: no trust", "拒绝：我不相信"),
        "objection_no_budget" => ("Objection: no budget", "拒绝：我没预算"),
        "objection_no_hurry" => ("Objection: no hurry", "拒绝：我不着急"),
        "stage_up" => ("Relationship stage moved up", "关系阶段提升"),
        "stage_down" => ("Relationship stage moved down", "关系阶段下降"),
        "favours_over_limit" => ("Favours over the value limit", "超出礼品限额"),
        other => (other, other),
    };
    match lang {
        Lang::En => en.to_owned(),
        Lang::Zh => zh.to_owned(),
    }
}

/// The value as people read it: a share as `3/4 (75%)`, a ratio with two decimals, a
/// count as a whole number.
pub fn value_text(m: &Metric) -> String {
    match (m.shape, m.part, m.total) {
        (MetricShape::Share, _, Some(0)) => "–".to_owned(),
        (MetricShape::Share, Some(part), Some(total)) => {
            format!("{part}/{total} ({:.0}%)", m.value * 100.0)
        }
        _ if m.value.fract() != 0.0 => format!("{:.2}", m.value),
        _ => format!("{}", m.value),
    }
}

fn target_text(m: &Metric) -> String {
    match (m.target, m.shape) {
        (Some(t), MetricShape::Share) => format!("{:.0}%", t * 100.0),
        (Some(t), _) => format!("{t}"),
        _ => String::new(),
    }
}

/// The attainment, or "n/a" for a share of nothing (no birthdays in the period): there
/// was nothing to attain, which is not 0 %.
fn attainment_text(lang: Lang, m: &Metric) -> String {
    if m.total == Some(0) && m.target.is_some() {
        return match lang {
            Lang::En => "n/a".to_owned(),
            Lang::Zh => "不适用".to_owned(),
        };
    }
    m.attainment
        .map(|a| format!("{:.0}%", a * 100.0))
        .unwrap_or_default()
}

/// Prints a scorecard.
pub(super) fn print(ctx: &Ctx, card: &Scorecard, with_records: bool) -> Result<()> {
    let lang = ctx.lang;
    let title = match lang {
        Lang::En => format!(
            "Scorecard of {} ({}), {}, time zone {}",
            card.rep.display_name, card.rep.username, card.period, card.time_zone
        ),
        Lang::Zh => format!(
            "{}（{}）客户关系维护考核，{}，时区 {}",
            card.rep.display_name, card.rep.username, card.period, card.time_zone
        ),
    };
    let mut out = format!("{title}\n");
    let headers = match lang {
        Lang::En => ["Figure", "Value", "Target", "Attained"],
        Lang::Zh => ["指标", "数值", "目标", "达成"],
    };
    let mut groups: Vec<MetricGroup> = Vec::new();
    for m in &card.metrics {
        if !groups.contains(&m.group) {
            groups.push(m.group);
        }
    }
    for group in groups {
        out.push_str(&format!("\n{}\n", group_label(lang, group)));
        let rows: Vec<Vec<String>> = card
            .metrics
            .iter()
            .filter(|m| m.group == group)
            .map(|m| {
                vec![
                    metric_label(lang, &m.key),
                    value_text(m),
                    target_text(m),
                    attainment_text(lang, m),
                ]
            })
            .collect();
        out.push_str(&render(&headers, &rows, &[1, 2, 3]));
        if with_records {
            for m in card.metrics.iter().filter(|m| m.group == group) {
                if m.records.is_empty() {
                    continue;
                }
                out.push_str(&format!("  {}:\n", metric_label(lang, &m.key)));
                for r in &m.records {
                    let when = r
                        .at_ms
                        .and_then(chrono::DateTime::from_timestamp_millis)
                        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_default();
                    out.push_str(&format!("    {} {} {}\n", r.kind, r.id, when));
                }
            }
        }
    }
    out_table(&out)
}

/// `rapport report me`: the signed-in rep's own scorecard.
pub(super) fn me(ctx: &Ctx, period: Option<&str>, with_records: bool) -> Result<()> {
    let card = ctx.client.scorecard(period, None)?;
    print(ctx, &card, with_records)
}

/// `rapport report scorecard --rep R`: a rep's scorecard, for their manager.
pub(super) fn of_rep(ctx: &Ctx, rep: &str, period: Option<&str>, with_records: bool) -> Result<()> {
    let card = ctx.client.scorecard(period, Some(rep))?;
    print(ctx, &card, with_records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(
        key: &str,
        shape: MetricShape,
        value: f64,
        part: Option<u64>,
        total: Option<u64>,
    ) -> Metric {
        Metric {
            key: key.into(),
            group: MetricGroup::Building,
            shape,
            value,
            part,
            total,
            target: None,
            attainment: None,
            records: vec![],
        }
    }

    #[test]
    fn values_read_as_shares_ratios_or_counts() {
        assert_eq!(
            value_text(&metric(
                "cadence_kept",
                MetricShape::Share,
                0.75,
                Some(3),
                Some(4)
            )),
            "3/4 (75%)"
        );
        assert_eq!(
            value_text(&metric(
                "cadence_kept",
                MetricShape::Share,
                0.0,
                Some(0),
                Some(0)
            )),
            "–"
        );
        assert_eq!(
            value_text(&metric("visits", MetricShape::Count, 11.0, None, None)),
            "11"
        );
        assert_eq!(
            value_text(&metric(
                "signals_per_visit",
                MetricShape::Ratio,
                0.8181,
                Some(9),
                Some(11)
            )),
            "0.82"
        );
    }

    #[test]
    fn every_figure_and_group_has_a_chinese_name() {
        for key in [
            "card_coverage",
            "visits",
            "cadence_kept",
            "favours",
            "birthday_greetings",
            "influencer_coverage",
            "objection_no_budget",
            "favours_over_limit",
        ] {
            assert_ne!(metric_label(Lang::Zh, key), key, "{key}");
            assert_ne!(metric_label(Lang::En, key), key, "{key}");
        }
        for group in MetricGroup::ALL {
            assert_ne!(group_label(Lang::Zh, group), group.as_str());
        }
    }
}
