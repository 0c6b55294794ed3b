//! The method's closed lists as a rep reads and types them, in English and Chinese.
//!
//! The library names every value of a closed list by a stable `code()` (`decision_maker`,
//! `mid_autumn`); reps trained on the method know them by the course's words (决策者,
//! 中秋节). [`Term`] gives each value both names, so output speaks the method's language
//! and input accepts the code, the English name or the Chinese name alike. Parsing is
//! forgiving about case, hyphens and spaces (`need-payoff`, `Need Payoff`) and about
//! Chinese list separators (`，`, `、`), because that is how people type on a phone.

use rapport_client_core::model::{
    AdminLevel, BuyingRole, Calendar, Channel, Confidence, DocKind, EventKind, FavourKind,
    InfoKind, Judgement, Objection, Occasion, OpportunityStatus, RelationshipLevel, Signal, Spin,
    Stage, Tier,
};

use crate::i18n::Lang;

/// A value of one of the method's closed lists.
pub trait Term: Copy + PartialEq + Sized + 'static {
    /// Every value, in the method's order.
    fn all() -> &'static [Self];
    /// The stable code the library and the wire use.
    fn code(self) -> &'static str;
    /// (English, Chinese) names.
    fn names(self) -> (&'static str, &'static str);

    /// The name in `lang`.
    fn name(self, lang: Lang) -> &'static str {
        let (en, zh) = self.names();
        match lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

macro_rules! terms {
    ($ty:ident { $($variant:ident => ($en:literal, $zh:literal)),+ $(,)? }) => {
        impl Term for $ty {
            fn all() -> &'static [Self] {
                $ty::ALL
            }

            fn code(self) -> &'static str {
                $ty::code(self)
            }

            fn names(self) -> (&'static str, &'static str) {
                match self {
                    $($ty::$variant => ($en, $zh)),+
                }
            }
        }
    };
}

terms!(Tier {
    A => ("A", "A 类"),
    B => ("B", "B 类"),
    C => ("C", "C 类"),
    D => ("D", "D 类"),
});

terms!(Stage {
    Gestation => ("gestation", "孕育阶段"),
    Initial => ("initial", "初级阶段"),
    Intermediate => ("intermediate", "中级阶段"),
    Advanced => ("advanced", "高级阶段"),
    StrategicAlliance => ("strategic alliance", "战略联盟阶段"),
});

terms!(AdminLevel {
    Executive => ("executive", "高层领导"),
    DepartmentHead => ("department head", "部门负责人"),
    Staff => ("staff", "一般员工"),
});

terms!(RelationshipLevel {
    Acquainted => ("acquainted", "认识"),
    Familiar => ("familiar", "熟悉"),
    Trusted => ("trusted", "信任"),
    Ally => ("ally", "盟友"),
});

terms!(BuyingRole {
    User => ("user", "实际使用者"),
    TechnicalGatekeeper => ("technical gatekeeper", "技术把关者"),
    Coach => ("coach", "教练"),
    DecisionMaker => ("decision maker", "决策者"),
});

terms!(Spin {
    Situation => ("situation", "背景性问题"),
    Problem => ("problem", "难点性问题"),
    Implication => ("implication", "暗示性问题"),
    NeedPayoff => ("need-payoff", "效益性问题"),
});

terms!(Objection {
    NoNeed => ("no need", "不需要"),
    NoTrust => ("no trust", "不相信"),
    NoBudget => ("no budget", "没预算"),
    NoHurry => ("no hurry", "不着急"),
});

terms!(Signal {
    AcceptedIdea => ("accepted an idea once rejected", "接受了原本不接受的理念和条件"),
    NextStep => ("agreed to the next step", "同意进入下一个流程"),
    IntroducedSenior => ("introduced a more senior manager", "同意引荐更高一级的管理者"),
    TechnicalExchange => ("agreed to a technical exchange", "同意召开技术交流会"),
});

terms!(Judgement {
    Yes => ("yes", "是"),
    No => ("no", "否"),
    Unsure => ("unsure", "不确定"),
});

terms!(OpportunityStatus {
    Open => ("open", "跟进中"),
    Won => ("won", "已赢单"),
    Lost => ("lost", "已丢单"),
});

terms!(FavourKind {
    Business => ("business", "公事"),
    Personal => ("personal", "私事"),
});

terms!(Confidence {
    Low => ("low", "低"),
    Medium => ("medium", "中"),
    High => ("high", "高"),
});

terms!(InfoKind {
    Shipments => ("shipments", "出货量"),
    Inventory => ("inventory", "库存"),
    ConsumerFeedback => ("consumer feedback", "终端消费者反馈"),
});

terms!(Occasion {
    SpringFestival => ("Spring Festival", "春节"),
    LanternFestival => ("Lantern Festival", "元宵节"),
    DragonBoat => ("Dragon Boat Festival", "端午节"),
    MidAutumn => ("Mid-Autumn Festival", "中秋节"),
    DoubleNinth => ("Double Ninth Festival", "重阳节"),
    NewYear => ("New Year's Day", "元旦"),
    NationalDay => ("National Day", "国庆节"),
    Birthday => ("birthday", "生日"),
});

terms!(Channel {
    InPerson => ("in person", "当面"),
    Phone => ("phone", "电话"),
    Message => ("text message", "短信"),
    WeChat => ("WeChat", "微信"),
    Email => ("email", "邮件"),
    Gift => ("gift", "礼品"),
    Card => ("card", "贺卡"),
});

terms!(EventKind {
    FirstThought => ("thought of us first", "重要场合第一个想到我们"),
    BestDisplay => ("best display and information placement", "取得最佳终端陈列和信息发布"),
    PrivateHelp => ("helped with a private matter", "为其解忧"),
});

terms!(Calendar {
    Solar => ("solar", "公历"),
    Lunar => ("lunar", "农历"),
});

/// The name of a kind of record.
pub fn kind_name(lang: Lang, kind: DocKind) -> &'static str {
    let (en, zh) = match kind {
        DocKind::Account => ("account", "客户"),
        DocKind::Contact => ("contact", "联系人"),
        DocKind::Opportunity => ("opportunity", "销售机会"),
        DocKind::Visit => ("visit", "拜访"),
        DocKind::Favour => ("favour", "为客户办事"),
        DocKind::Intel => ("competitor intel", "竞争对手情况"),
        DocKind::InfoReport => ("customer info", "客户信息"),
        DocKind::Greeting => ("greeting", "问候"),
        DocKind::RelationshipEvent => ("relationship event", "客情事件"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// Folds what people type into the shape of a code: trimmed, lower case, `_` for hyphens
/// and spaces.
fn fold(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Reads one value by its code, English name or Chinese name.
pub fn parse_term<T: Term>(typed: &str) -> Option<T> {
    let folded = fold(typed);
    if folded.is_empty() {
        return None;
    }
    T::all().iter().copied().find(|v| {
        let (en, zh) = v.names();
        v.code() == folded
            || fold(en) == folded
            || fold(zh).replace('_', "") == folded.replace('_', "")
    })
}

/// Splits a typed list on `,`, `，` or `、`, dropping empty entries.
pub fn split_list(typed: &str) -> Vec<&str> {
    typed
        .split([',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Reads a list of values (an empty text is the empty list), keeping the order given and
/// dropping repeats. The error is the first entry that is not a value of the list.
pub fn parse_terms<T: Term>(typed: &str) -> Result<Vec<T>, String> {
    let mut out: Vec<T> = Vec::new();
    for entry in split_list(typed) {
        let v = parse_term::<T>(entry).ok_or_else(|| entry.to_owned())?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// Every value as `code (name)`, for error messages and help.
pub fn choices<T: Term>(lang: Lang) -> String {
    T::all()
        .iter()
        .map(|v| {
            let name = v.name(lang);
            if name == v.code() {
                name.to_owned()
            } else {
                format!("{} ({name})", v.code())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Localised names of a list of values, joined for one table cell or line.
pub fn join_names<T: Term>(lang: Lang, values: &[T]) -> String {
    values
        .iter()
        .map(|v| v.name(lang))
        .collect::<Vec<_>>()
        .join(crate::i18n::list_sep(lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_value_round_trips<T: Term + std::fmt::Debug>() {
        let mut seen_en: Vec<&str> = Vec::new();
        let mut seen_zh: Vec<&str> = Vec::new();
        for v in T::all() {
            assert_eq!(parse_term::<T>(v.code()), Some(*v), "code {}", v.code());
            let (en, zh) = v.names();
            assert_eq!(parse_term::<T>(en), Some(*v), "English {en}");
            assert_eq!(parse_term::<T>(zh), Some(*v), "Chinese {zh}");
            assert!(!seen_en.contains(&en) && !seen_zh.contains(&zh), "{v:?}");
            seen_en.push(en);
            seen_zh.push(zh);
        }
    }

    #[test]
    fn every_list_reads_back_its_codes_and_both_names() {
        every_value_round_trips::<Tier>();
        every_value_round_trips::<Stage>();
        every_value_round_trips::<AdminLevel>();
        every_value_round_trips::<RelationshipLevel>();
        every_value_round_trips::<BuyingRole>();
        every_value_round_trips::<Spin>();
        every_value_round_trips::<Objection>();
        every_value_round_trips::<Signal>();
        every_value_round_trips::<Judgement>();
        every_value_round_trips::<OpportunityStatus>();
        every_value_round_trips::<FavourKind>();
        every_value_round_trips::<Confidence>();
        every_value_round_trips::<InfoKind>();
        every_value_round_trips::<Occasion>();
        every_value_round_trips::<Channel>();
        every_value_round_trips::<EventKind>();
        every_value_round_trips::<Calendar>();
    }

    #[test]
    fn typing_is_forgiving_about_case_hyphens_and_spaces() {
        assert_eq!(parse_term::<Spin>("need-payoff"), Some(Spin::NeedPayoff));
        assert_eq!(parse_term::<Spin>(" Need Payoff "), Some(Spin::NeedPayoff));
        assert_eq!(parse_term::<Tier>("B"), Some(Tier::B));
        assert_eq!(parse_term::<Tier>("b"), Some(Tier::B));
        assert_eq!(parse_term::<Channel>("WeChat"), Some(Channel::WeChat));
        assert_eq!(parse_term::<Occasion>("中秋节"), Some(Occasion::MidAutumn));
        assert_eq!(
            parse_term::<Stage>("strategic-alliance"),
            Some(Stage::StrategicAlliance)
        );
        assert_eq!(parse_term::<Spin>("spin"), None);
        assert_eq!(parse_term::<Spin>(""), None);
    }

    #[test]
    fn lists_split_on_latin_and_chinese_separators_and_drop_repeats() {
        assert_eq!(
            parse_terms::<BuyingRole>("user, coach,user"),
            Ok(vec![BuyingRole::User, BuyingRole::Coach])
        );
        assert_eq!(
            parse_terms::<BuyingRole>("决策者，教练、user"),
            Ok(vec![
                BuyingRole::DecisionMaker,
                BuyingRole::Coach,
                BuyingRole::User
            ])
        );
        assert_eq!(parse_terms::<Objection>(""), Ok(vec![]));
        assert_eq!(parse_terms::<Objection>(" , "), Ok(vec![]));
        assert_eq!(
            parse_terms::<Signal>("next_step,nope"),
            Err("nope".to_owned())
        );
    }

    #[test]
    fn choices_and_names_read_in_the_language() {
        assert_eq!(
            choices::<Confidence>(Lang::Zh),
            "low (低), medium (中), high (高)"
        );
        assert_eq!(choices::<Confidence>(Lang::En), "low, medium, high");
        assert_eq!(
            join_names(Lang::Zh, &[Spin::Situation, Spin::Problem]),
            "背景性问题、难点性问题"
        );
        assert_eq!(
            join_names(Lang::En, &[Objection::NoBudget, Objection::NoHurry]),
            "no budget, no hurry"
        );
        assert_eq!(kind_name(Lang::Zh, DocKind::Intel), "竞争对手情况");
    }
}
