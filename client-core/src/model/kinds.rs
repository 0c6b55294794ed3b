//! The kinds of record Rapport keeps, in one table.
//!
//! [`for_each_kind!`](crate::for_each_kind) is the only list of kinds: [`DocKind`] and
//! everything that goes by kind — its wire name, its read-model table, whether a rep logs
//! it for themselves, its name in English and Chinese, [`AnyRecord`]'s dispatch (read,
//! write, validate, known fields), the mobile binding's record kinds and list items — is
//! generated from it. A new kind is one row here plus its struct and `Record` impl in
//! `records.rs`/`mod.rs`; the compiler then points at every place that needs it.

use automerge::AutoCommit;
use serde::{Deserialize, Serialize};

use super::{
    Account, Contact, Favour, Greeting, InfoReport, Intel, Opportunity, RelationshipEvent, Visit,
};
use super::{ModelError, Record, Shape, read_record, write_record};

/// Calls the macro `$m` with the table of record kinds, one row per kind, in the order
/// lists show them; `$m` generates what goes by kind from the rows:
///
/// ```text
/// Variant  "wire name"  "read-model table"  authored  ("English", "中文")  FfiListItem,
/// ```
///
/// - the variant names both the [`DocKind`](crate::model::DocKind) and the record struct
///   of `model`;
/// - the wire name is what the sync protocol, the store and the read model call it;
/// - `authored` is `true` for what a rep logs for themselves (only they, or a manager or
///   admin correcting it, may change it), `false` for what the account team shares;
/// - the names are the course's words (DOMAIN.md), used by the CLI and the dashboard
///   alike;
/// - the last column is the mobile binding's `{ id, record }` list item (feature `ffi`).
#[macro_export]
macro_rules! for_each_kind {
    ($m:ident) => {
        $m! {
            Account "account" "accounts" false ("key account", "大客户") AccountItem,
            Contact "contact" "contacts" false ("contact", "客户关系人") ContactItem,
            Opportunity "opportunity" "opportunities" false
                ("opportunity", "销售机会") OpportunityItem,
            Visit "visit" "visits" true ("visit", "拜访") VisitItem,
            Favour "favour" "favours" true ("favour", "帮客户做一件事") FavourItem,
            Intel "competitor_intel" "intel" true
                ("competitor intel", "竞争对手情况") IntelItem,
            InfoReport "info_report" "info_reports" true
                ("customer info", "客户信息反馈") InfoReportItem,
            Greeting "greeting" "greetings" true ("greeting", "问候") GreetingItem,
            RelationshipEvent "relationship_event" "relationship_events" true
                ("relationship event", "客情事件") RelationshipEventItem,
        }
    };
}

/// Generates [`DocKind`] and [`AnyRecord`] from the table.
macro_rules! kinds {
    ($(
        $kind:ident $wire:literal $table:literal $authored:literal ($en:literal, $zh:literal)
            $item:ident,
    )+) => {
        /// The kinds of document Rapport knows. The wire and the databases name them by
        /// [`DocKind::as_str`].
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum DocKind { $($kind),+ }

        impl DocKind {
            /// Every kind, in the order lists show them.
            pub const ALL: [DocKind; [$($wire),+].len()] = [$(DocKind::$kind),+];

            /// The kind's name on the wire, in the store and in the read model.
            pub fn as_str(self) -> &'static str {
                match self { $(DocKind::$kind => $wire),+ }
            }

            /// The read-model table that holds one row per record of this kind.
            pub fn table(self) -> &'static str {
                match self { $(DocKind::$kind => $table),+ }
            }

            /// Whether a record of this kind is its author's alone: what a rep logged (a
            /// visit, a favour, intelligence, a customer info report, a greeting, a
            /// relationship event) counts in their scorecard, so only they — or a manager
            /// or admin correcting it — may change or remove it. Accounts, contacts (with
            /// their VIP cards) and opportunities are shared: the account team edits them
            /// together, but only their author, a manager or an admin removes one.
            pub fn is_authored(self) -> bool {
                match self { $(DocKind::$kind => $authored),+ }
            }

            /// The kind's (English, Chinese) name, in the course's words.
            pub fn names(self) -> (&'static str, &'static str) {
                match self { $(DocKind::$kind => ($en, $zh)),+ }
            }
        }

        /// Any record, for code that handles documents of every kind (the server, the
        /// store index).
        #[derive(Debug, Clone, PartialEq)]
        pub enum AnyRecord { $($kind($kind)),+ }

        impl AnyRecord {
            /// Reads a document as the given kind and checks its rules.
            pub fn read(kind: DocKind, doc: &AutoCommit) -> Result<AnyRecord, ModelError> {
                Ok(match kind { $(DocKind::$kind => AnyRecord::$kind(read_record(doc)?)),+ })
            }

            pub fn kind(&self) -> DocKind {
                match self { $(AnyRecord::$kind(_) => DocKind::$kind),+ }
            }

            pub fn account_id<'a>(&'a self, doc_id: &'a str) -> &'a str {
                match self { $(AnyRecord::$kind(r) => r.account_id(doc_id)),+ }
            }

            pub fn occurred_ms(&self) -> Option<i64> {
                match self { $(AnyRecord::$kind(r) => r.occurred_ms()),+ }
            }

            pub fn title(&self) -> String {
                match self { $(AnyRecord::$kind(r) => r.title()),+ }
            }

            pub fn is_deleted(&self) -> bool {
                match self { $(AnyRecord::$kind(r) => r.is_deleted()),+ }
            }

            /// Writes the record into its document (see [`write_record`]).
            pub fn write(
                &self,
                doc: &mut AutoCommit,
            ) -> Result<Vec<automerge::Change>, ModelError> {
                match self { $(AnyRecord::$kind(r) => write_record(doc, r)),+ }
            }

            /// The top-level field names of the kind's documents.
            pub fn fields(kind: DocKind) -> &'static [&'static str] {
                match kind { $(DocKind::$kind => <$kind as Shape>::FIELDS),+ }
            }
        }

    };
}

crate::for_each_kind!(kinds);

impl DocKind {
    /// The kind whose wire name is `s`.
    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for DocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_wire_name_and_names_its_own_table() {
        for kind in DocKind::ALL {
            assert_eq!(DocKind::parse(kind.as_str()), Some(kind));
            assert!(!kind.table().is_empty());
        }
        assert_eq!(DocKind::parse("stage_event"), None);
        assert_eq!(DocKind::Intel.as_str(), "competitor_intel");
        assert!(DocKind::Visit.is_authored() && !DocKind::Contact.is_authored());
    }
}
