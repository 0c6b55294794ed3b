//! The method's closed lists as a rep reads and types them, in English and Chinese.
//!
//! The library names every value of a closed list by a stable `code()` (`decision_maker`,
//! `mid_autumn`) and gives it the course's words in English and Chinese (决策者, 中秋节),
//! so output speaks the method's language and input accepts the code, the English name
//! or the Chinese name alike. Parsing is forgiving about case, hyphens and spaces
//! (`need-payoff`, `Need Payoff`) and about Chinese list separators (`，`, `、`), because
//! that is how people type on a phone.

use crate::i18n::Lang;

/// A value of one of the method's closed lists, or a kind of record, named in the user's
/// language. The names themselves are client-core's ([`rapport_client_core::model::Term`]),
/// the words the dashboard uses too.
pub trait Term: rapport_client_core::model::Term {
    /// The name in `lang`.
    fn name(self, lang: Lang) -> &'static str {
        let (en, zh) = self.names();
        match lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

impl<T: rapport_client_core::model::Term> Term for T {}

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
    use rapport_client_core::model::{
        AdminLevel, BuyingRole, Calendar, Channel, Confidence, DocKind, EventKind, FavourKind,
        InfoKind, Judgement, Objection, Occasion, OpportunityStatus, RelationshipLevel, Signal,
        Spin, Stage, Tier,
    };

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
        assert_eq!(DocKind::Intel.name(Lang::Zh), "竞争对手情况");
    }
}
