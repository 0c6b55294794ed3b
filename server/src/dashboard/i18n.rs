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

pub use rapport_client_core::model::Terms;
use rapport_client_core::model::{
    AdminLevel, BuyingRole, Channel, Confidence, EventKind, FavourKind, InfoKind, Judgement,
    Objection, Occasion, RelationshipLevel, Signal, Spin, Stage, Tier, terms,
};

/// The name of `code` in `list`, or the code itself when the list does not know it.
pub fn term(lang: Lang, list: Terms, code: &str) -> &str {
    terms::names_of(list, code).map_or(code, |(en, zh)| lang.t(en, zh))
}

// The method's closed lists, named as client-core's vocabulary names them (the words of
// the CLI too). Objections and signals are shown among other badges, so each name says
// which list it is from.
pub const TIERS: Terms = Tier::TERMS;
pub const STAGES: Terms = Stage::TERMS;
pub const ADMIN_LEVELS: Terms = AdminLevel::TERMS;
pub const RELATIONSHIP_LEVELS: Terms = RelationshipLevel::TERMS;
pub const BUYING_ROLES: Terms = BuyingRole::TERMS;
pub const SPIN: Terms = Spin::TERMS;
pub const OBJECTIONS: Terms = Objection::LABELLED;
pub const SIGNALS: Terms = Signal::LABELLED;
pub const JUDGEMENTS: Terms = Judgement::TERMS;
pub const FAVOUR_KINDS: Terms = FavourKind::TERMS;
pub const CONFIDENCE: Terms = Confidence::TERMS;
pub const INFO_KINDS: Terms = InfoKind::TERMS;
pub const OCCASIONS: Terms = Occasion::TERMS;
pub const CHANNELS: Terms = Channel::TERMS;
pub const EVENT_KINDS: Terms = EventKind::TERMS;

/// Kinds of the records a figure is made of (`RecordRef::kind`) and of timeline entries:
/// every kind of the table of kinds, and the stage changes the read model derives from
/// accounts.
macro_rules! record_kinds {
    ($(
        $kind:ident $wire:literal $table:literal $authored:literal ($en:literal, $zh:literal)
            $item:ident,
    )+) => {
        pub const RECORD_KINDS: Terms = &[
            $(($wire, $en, $zh),)+
            ("stage_event", "stage change", "关系阶段变化"),
        ];
    };
}

rapport_client_core::for_each_kind!(record_kinds);

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
