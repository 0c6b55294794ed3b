//! The words of the key-account method, in English and Chinese, for every face of Rapport.
//!
//! Every value of a closed list ([`vocab`](super::vocab)) and every kind of record
//! ([`DocKind`]) has a stable code and two names: the course's words in Chinese
//! (战略联盟阶段, 客户关系人, 帮客户做一件事, as DOMAIN.md names them after the course
//! outline) and their English rendering. The command line and the managers'
//! dashboard both name things from here, so a rep and their manager read the same word.

use super::DocKind;

/// A closed list as rows of `(code, English, Chinese)`: the shape the dashboard looks
/// names up in by the code its tables store.
pub type Terms = &'static [(&'static str, &'static str, &'static str)];

/// A value of one of the method's closed lists, or a kind of record.
pub trait Term: Copy + PartialEq + Sized + 'static {
    /// Every value, in the method's order.
    fn all() -> &'static [Self];

    /// The stable code the library, the wire and the read model use.
    fn code(self) -> &'static str;

    /// The (English, Chinese) names.
    fn names(self) -> (&'static str, &'static str);
}

impl Term for DocKind {
    fn all() -> &'static [Self] {
        &DocKind::ALL
    }

    fn code(self) -> &'static str {
        self.as_str()
    }

    fn names(self) -> (&'static str, &'static str) {
        DocKind::names(self)
    }
}

/// The name of `code` in `list`, `(English, Chinese)`, when the list knows it.
pub fn names_of(list: Terms, code: &str) -> Option<(&'static str, &'static str)> {
    list.iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, en, zh)| (*en, *zh))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FavourKind, Objection, Stage};

    #[test]
    fn each_list_is_named_in_the_courses_words() {
        assert_eq!(Stage::StrategicAlliance.names().1, "战略联盟阶段");
        assert_eq!(DocKind::Contact.names().1, "客户关系人");
        assert_eq!(DocKind::Favour.names().1, "帮客户做一件事");
        assert_eq!(
            names_of(Stage::TERMS, "advanced"),
            Some(("advanced", "高级阶段"))
        );
        assert_eq!(names_of(FavourKind::TERMS, "gift"), None);
        assert_eq!(Objection::LABELLED[0].2, "异议：不需要");
    }

    #[test]
    fn every_value_has_both_names() {
        fn check<T: Term>() {
            for v in T::all() {
                let (en, zh) = v.names();
                assert!(!en.is_empty() && !zh.is_empty(), "{}", v.code());
            }
        }
        check::<DocKind>();
        check::<Stage>();
        check::<Objection>();
    }
}
