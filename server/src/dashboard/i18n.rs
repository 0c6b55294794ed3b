//! The dashboard's two languages, and the method's terms in each.
//!
//! Page text is written in place as `lang.t("English", "中文")`, so both wordings sit side
//! by side where they are used. The closed lists of the method (stages, buying roles,
//! occasions, metrics …) are stored by code in the read model; [`term`] names a code in
//! the course's own words (大客户, 拜访, 客情关系卡, 销售雷区 …). A code this table does not
//! know yet is shown as the code, never as an error.

/// A language of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The value of `<html lang>`.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// `zh`, `zh-CN`, `zh-Hans`, `en`, `en-GB` …; anything else is `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language an `Accept-Language` header prefers most among ours.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(Lang, f32)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((lang, q));
            }
        }
        best.map(|(l, _)| l)
    }

    /// The text in this language.
    pub fn t<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// The other language (for the switch in the header).
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// The language's name in itself.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }
}

/// A closed list: (code, English, Chinese).
pub type Terms = &'static [(&'static str, &'static str, &'static str)];

/// The name of `code` in `list`, or the code itself when the list does not know it.
pub fn term(lang: Lang, list: Terms, code: &str) -> &str {
    list.iter()
        .find(|(c, _, _)| *c == code)
        .map_or(code, |(_, en, zh)| lang.t(en, zh))
}

pub const TIERS: Terms = &[
    ("a", "A", "A 类"),
    ("b", "B", "B 类"),
    ("c", "C", "C 类"),
    ("d", "D", "D 类"),
];

pub const STAGES: Terms = &[
    ("gestation", "gestation", "孕育阶段"),
    ("initial", "initial", "初级阶段"),
    ("intermediate", "intermediate", "中级阶段"),
    ("advanced", "advanced", "高级阶段"),
    ("strategic_alliance", "strategic alliance", "战略联盟"),
];

pub const ADMIN_LEVELS: Terms = &[
    ("executive", "executive", "高层领导"),
    ("department_head", "department head", "部门负责人"),
    ("staff", "staff", "一般员工"),
];

pub const RELATIONSHIP_LEVELS: Terms = &[
    ("acquainted", "acquainted", "认识"),
    ("familiar", "familiar", "熟悉"),
    ("trusted", "trusted", "信任"),
    ("ally", "ally", "盟友"),
];

pub const BUYING_ROLES: Terms = &[
    ("user", "user", "实际使用者"),
    ("technical_gatekeeper", "technical gatekeeper", "技术把关者"),
    ("coach", "coach", "教练"),
    ("decision_maker", "decision maker", "决策者"),
];

pub const SPIN: Terms = &[
    ("situation", "situation question", "背景性问题"),
    ("problem", "problem question", "难点性问题"),
    ("implication", "implication question", "暗示性问题"),
    ("need_payoff", "need-payoff question", "效益性问题"),
];

pub const OBJECTIONS: Terms = &[
    ("no_need", "objection: no need", "异议：不需要"),
    ("no_trust", "objection: no trust", "异议：不相信"),
    ("no_budget", "objection: no budget", "异议：没预算"),
    ("no_hurry", "objection: no hurry", "异议：不着急"),
];

pub const SIGNALS: Terms = &[
    (
        "accepted_idea",
        "signal: accepted an idea once rejected",
        "信号：接受了原本不接受的理念",
    ),
    (
        "next_step",
        "signal: agreed to the next step",
        "信号：同意进入下一个流程",
    ),
    (
        "introduced_senior",
        "signal: introduced a more senior manager",
        "信号：引荐更高一级管理者",
    ),
    (
        "technical_exchange",
        "signal: agreed to a technical exchange",
        "信号：同意召开技术交流会",
    ),
];

pub const JUDGEMENTS: Terms = &[
    ("yes", "yes", "是"),
    ("no", "no", "否"),
    ("unsure", "unsure", "不确定"),
];

pub const FAVOUR_KINDS: Terms = &[
    ("business", "business", "公"),
    ("personal", "personal", "私"),
];

pub const CONFIDENCE: Terms = &[
    ("low", "low", "低"),
    ("medium", "medium", "中"),
    ("high", "high", "高"),
];

pub const INFO_KINDS: Terms = &[
    ("shipments", "shipments", "出货量"),
    ("inventory", "inventory", "库存"),
    (
        "consumer_feedback",
        "end-consumer feedback",
        "终端消费者反馈",
    ),
];

pub const OCCASIONS: Terms = &[
    ("spring_festival", "Spring Festival", "春节"),
    ("lantern_festival", "Lantern Festival", "元宵节"),
    ("dragon_boat", "Dragon Boat Festival", "端午节"),
    ("mid_autumn", "Mid-Autumn Festival", "中秋节"),
    ("double_ninth", "Double Ninth Festival", "重阳节"),
    ("new_year", "New Year's Day", "元旦"),
    ("national_day", "National Day", "国庆节"),
    ("birthday", "birthday", "生日"),
];

pub const CHANNELS: Terms = &[
    ("in_person", "in person", "当面"),
    ("phone", "phone", "电话"),
    ("message", "text message", "短信"),
    ("wechat", "WeChat", "微信"),
    ("email", "email", "邮件"),
    ("gift", "gift", "礼品"),
    ("card", "card", "贺卡"),
];

pub const EVENT_KINDS: Terms = &[
    (
        "first_thought",
        "thought of us first at an important occasion",
        "重要场合第一个想到我们",
    ),
    (
        "best_display",
        "best display and information placement",
        "取得最佳终端陈列和信息发布",
    ),
    ("private_help", "helped with a private matter", "为其解忧"),
];

/// Kinds of the records a figure is made of (`RecordRef::kind`) and of timeline entries.
pub const RECORD_KINDS: Terms = &[
    ("account", "key account", "大客户"),
    ("contact", "contact", "客户关系人"),
    ("opportunity", "opportunity", "销售机会"),
    ("visit", "visit", "拜访"),
    ("favour", "favour", "帮客户做一件事"),
    ("competitor_intel", "competitor intel", "竞争对手情况"),
    ("info_report", "customer info", "客户信息反馈"),
    ("greeting", "greeting", "问候"),
    ("relationship_event", "relationship event", "客情事件"),
    ("stage_event", "stage change", "关系阶段变化"),
];

/// The scorecard's groups, in the order the page shows them.
pub const GROUPS: Terms = &[
    (
        "closeness",
        "Closeness — VIP relationship cards (§四.4.1)",
        "亲密度 — 客情关系卡 (§四.4.1)",
    ),
    (
        "building",
        "Relationship building (§四.4.2)",
        "客情关系建设 (§四.4.2)",
    ),
    (
        "information",
        "Information (§四.4.3)",
        "信息收集与问候 (§四.4.3)",
    ),
    ("method", "Method (§三)", "销售方法 (§三)"),
    ("compliance", "Compliance", "合规"),
];

/// The scorecard's figures.
pub const METRICS: Terms = &[
    (
        "card_coverage",
        "Key contacts with a VIP card",
        "关键人建立客情关系卡",
    ),
    (
        "card_knows_name",
        "Cards: knows the rep's name",
        "互相能叫出名字",
    ),
    ("card_interests", "Cards: interests known", "了解兴趣爱好"),
    ("card_birthday", "Cards: birthday known", "知道生日"),
    (
        "card_concern",
        "Cards: a personal concern known",
        "了解私人情况 / 为其解忧",
    ),
    (
        "card_full_depth",
        "Cards with all four known",
        "四项全知的客情关系卡",
    ),
    ("visits", "Visits", "拜访次数"),
    (
        "verified_share",
        "Visits with a verified check-in",
        "现场签到核实",
    ),
    ("late_logged", "Visits logged late", "补录的拜访"),
    ("distinct_accounts", "Accounts visited", "拜访的客户数"),
    (
        "cadence_kept",
        "Accounts visited within their cadence",
        "按拜访周期维护的大客户",
    ),
    ("favours", "Favours (帮客户做一件事)", "帮客户做一件事"),
    (
        "favour_accounts_month",
        "Key accounts with a favour this month",
        "本月有帮办事项的大客户",
    ),
    (
        "first_thought_events",
        "Thought of us first at an important occasion",
        "重要场合第一个想到我们",
    ),
    (
        "best_display_events",
        "Best display and information placement",
        "最佳终端陈列和信息发布",
    ),
    (
        "private_help_events",
        "Helped with a private matter",
        "为其解忧",
    ),
    (
        "info_reports",
        "Customer info reports (shipments, inventory, feedback)",
        "客户信息反馈（出货量、库存、终端反馈）",
    ),
    (
        "info_accounts_month",
        "Accounts with customer info this month",
        "本月有信息反馈的客户",
    ),
    (
        "competitor_intel",
        "Competitor intelligence",
        "竞争对手情况",
    ),
    ("greetings", "Greetings logged", "问候次数"),
    (
        "birthday_greetings",
        "Key contacts greeted on their birthday",
        "关键人生日问候",
    ),
    ("holidays_greeted", "Holidays greeted", "节日问候"),
    (
        "influencer_coverage",
        "Open opportunities with all four buying influences known and met",
        "四种购买影响者均已识别并拜访的机会",
    ),
    (
        "signals_per_visit",
        "Buying signals per visit",
        "每次拜访的购买信号",
    ),
    (
        "signal_accepted_idea",
        "Signal: accepted an idea once rejected",
        "信号：接受了原本不接受的理念和条件",
    ),
    (
        "signal_next_step",
        "Signal: agreed to the next step",
        "信号：同意进入下一个流程",
    ),
    (
        "signal_introduced_senior",
        "Signal: introduced a more senior manager",
        "信号：同意引荐更高一级的管理者",
    ),
    (
        "signal_technical_exchange",
        "Signal: agreed to a technical exchange",
        "信号：同意召开技术交流会",
    ),
    ("objection_no_need", "Objection: no need", "异议：我不需要"),
    (
        "objection_no_trust",
        "Objection: no trust",
        "异议：我不相信",
    ),
    (
        "objection_no_budget",
        "Objection: no budget",
        "异议：我没预算",
    ),
    (
        "objection_no_hurry",
        "Objection: no hurry",
        "异议：我不着急",
    ),
    ("stage_up", "Relationship stage moved up", "关系阶段提升"),
    (
        "stage_down",
        "Relationship stage moved down",
        "关系阶段下降",
    ),
    (
        "favours_over_limit",
        "Favours over the value limit",
        "超出金额上限的礼尚往来",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_of_ours() {
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Lang::Zh)
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, en-GB;q=0.7, zh;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("en;q=0.2, zh-Hans;q=0.9"),
            Some(Lang::Zh)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language(""), None);
        assert_eq!(Lang::from_accept_language("zh;q=0, en"), Some(Lang::En));
    }

    #[test]
    fn unknown_codes_show_as_themselves() {
        assert_eq!(term(Lang::Zh, STAGES, "advanced"), "高级阶段");
        assert_eq!(term(Lang::En, BUYING_ROLES, "coach"), "coach");
        assert_eq!(
            term(Lang::Zh, METRICS, "some_new_metric"),
            "some_new_metric"
        );
    }

    #[test]
    fn every_scorecard_group_has_a_name() {
        for group in [
            "closeness",
            "building",
            "information",
            "method",
            "compliance",
        ] {
            assert_ne!(term(Lang::Zh, GROUPS, group), group);
        }
    }
}
