//! One line about a record, by kind: what a scorecard's drill-down shows of each record a
//! figure is made of (a visit's purpose, a favour's kind and value, a contact's title …).
//!
//! Every kind of record is described here, in one exhaustive match: a new kind does not
//! compile until it says how it reads.

use std::collections::{BTreeMap, HashMap, HashSet};

use rapport_client_core::model::DocKind;
use sea_orm::DatabaseConnection;

use super::super::i18n::{self, Lang, term};
use super::format::{money, shorten};
use super::names::by_ids;
use crate::db::{
    accounts, contacts, favours, greetings, info_reports, intel, opportunities,
    relationship_events, visits,
};
use crate::error::ApiResult;

/// Most characters of free text a description shows.
const TEXT_MAX: usize = 80;

/// The description of each record, by kind and id.
pub type Descriptions = HashMap<(DocKind, String), String>;

/// Describes the records `wanted`, one query per kind, the kinds side by side.
pub async fn describe(
    db: &DatabaseConnection,
    l: Lang,
    tenant_id: &str,
    wanted: impl IntoIterator<Item = (DocKind, String)>,
) -> ApiResult<Descriptions> {
    let mut by_kind: BTreeMap<DocKind, HashSet<String>> = BTreeMap::new();
    for (kind, id) in wanted {
        by_kind.entry(kind).or_default().insert(id);
    }
    let described = futures_util::future::try_join_all(
        by_kind
            .into_iter()
            .map(|(kind, ids)| describe_kind(db, l, tenant_id, kind, ids)),
    )
    .await?;
    Ok(described.into_iter().flatten().collect())
}

/// The descriptions of records of one kind.
async fn describe_kind(
    db: &DatabaseConnection,
    l: Lang,
    tenant_id: &str,
    kind: DocKind,
    ids: HashSet<String>,
) -> ApiResult<Vec<((DocKind, String), String)>> {
    let lines: Vec<(String, String)> = match kind {
        DocKind::Account => {
            let rows = by_ids::<accounts::Entity>(db, tenant_id, ids).await?;
            rows.into_iter().map(|r| (account(l, &r), r.id)).collect()
        }
        DocKind::Contact => {
            let rows = by_ids::<contacts::Entity>(db, tenant_id, ids).await?;
            rows.into_iter().map(|r| (contact(&r), r.id)).collect()
        }
        DocKind::Opportunity => {
            let rows = by_ids::<opportunities::Entity>(db, tenant_id, ids).await?;
            rows.into_iter().map(|r| (r.name, r.id)).collect()
        }
        DocKind::Visit => {
            let rows = by_ids::<visits::Entity>(db, tenant_id, ids).await?;
            let purpose = |r: &visits::Model| shorten(&r.purpose, TEXT_MAX);
            rows.into_iter().map(|r| (purpose(&r), r.id)).collect()
        }
        DocKind::Favour => {
            let rows = by_ids::<favours::Entity>(db, tenant_id, ids).await?;
            rows.into_iter().map(|r| (favour(l, &r), r.id)).collect()
        }
        DocKind::Intel => {
            let rows = by_ids::<intel::Entity>(db, tenant_id, ids).await?;
            rows.into_iter().map(|r| (intel_title(&r), r.id)).collect()
        }
        DocKind::InfoReport => {
            let rows = by_ids::<info_reports::Entity>(db, tenant_id, ids).await?;
            rows.into_iter()
                .map(|r| (info_title(l, &r), r.id))
                .collect()
        }
        DocKind::Greeting => {
            let rows = by_ids::<greetings::Entity>(db, tenant_id, ids).await?;
            rows.into_iter().map(|r| (greeting(l, &r), r.id)).collect()
        }
        DocKind::RelationshipEvent => {
            let rows = by_ids::<relationship_events::Entity>(db, tenant_id, ids).await?;
            let name =
                |r: &relationship_events::Model| term(l, i18n::EVENT_KINDS, &r.kind).to_owned();
            rows.into_iter().map(|r| (name(&r), r.id)).collect()
        }
    };
    Ok(lines
        .into_iter()
        .map(|(line, id)| ((kind, id), line))
        .collect())
}

/// An account: its relationship stage.
fn account(l: Lang, r: &accounts::Model) -> String {
    r.stage
        .as_deref()
        .map(|s| term(l, i18n::STAGES, s).to_owned())
        .unwrap_or_default()
}

/// A contact: name and title.
fn contact(r: &contacts::Model) -> String {
    let title = r
        .title
        .as_ref()
        .map(|t| format!(" · {t}"))
        .unwrap_or_default();
    format!("{}{title}", r.name)
}

/// A favour: `[business] what was done · ¥value`.
fn favour(l: Lang, r: &favours::Model) -> String {
    let value = r
        .value
        .map(|v| format!(" · {}", money(v)))
        .unwrap_or_default();
    format!(
        "[{}] {}{value}",
        term(l, i18n::FAVOUR_KINDS, &r.kind),
        shorten(&r.description, TEXT_MAX)
    )
}

/// A greeting: occasion and channel.
fn greeting(l: Lang, r: &greetings::Model) -> String {
    format!(
        "{} · {}",
        term(l, i18n::OCCASIONS, &r.occasion),
        term(l, i18n::CHANNELS, &r.channel)
    )
}

/// A customer info report: its kind and figure (`shipments: 1200 cases`).
pub fn info_title(l: Lang, r: &info_reports::Model) -> String {
    let figure = match (r.figure, &r.unit) {
        (Some(f), Some(u)) => format!(": {f} {u}"),
        (Some(f), None) => format!(": {f}"),
        _ => String::new(),
    };
    format!("{}{figure}", term(l, i18n::INFO_KINDS, &r.kind))
}

/// Competitor intelligence: competitor, product and price.
pub fn intel_title(r: &intel::Model) -> String {
    let mut s = r.competitor.clone();
    if let Some(p) = &r.product {
        s.push_str(" · ");
        s.push_str(p);
    }
    if let Some(price) = r.price {
        s.push_str(" · ");
        s.push_str(&money(price));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_favour_reads_as_kind_text_and_value() {
        let f = favours::Model {
            id: "f1".into(),
            tenant_id: "t".into(),
            account_id: "a".into(),
            author_id: "rep".into(),
            contact_id: None,
            kind: "personal".into(),
            description: "x".repeat(100),
            value: Some(99.5),
            over_limit: false,
            occurred_at: 0,
            deleted: false,
        };
        let line = favour(Lang::Zh, &f);
        let kind = term(Lang::Zh, i18n::FAVOUR_KINDS, "personal");
        let text = "x".repeat(TEXT_MAX);
        assert_eq!(line, format!("[{kind}] {text}… · ¥99.50"));
    }

    #[test]
    fn info_and_intel_read_with_their_figures() {
        let r = info_reports::Model {
            id: "r1".into(),
            tenant_id: "t".into(),
            account_id: "a".into(),
            author_id: "rep".into(),
            kind: "shipments".into(),
            figure: Some(1200.0),
            unit: Some("cases".into()),
            contact_id: None,
            occurred_at: 0,
            deleted: false,
        };
        assert_eq!(info_title(Lang::En, &r), "shipments: 1200 cases");
        let i = intel::Model {
            id: "i1".into(),
            tenant_id: "t".into(),
            account_id: "a".into(),
            author_id: "rep".into(),
            competitor: "Rival".into(),
            product: None,
            price: Some(30.0),
            confidence: "high".into(),
            source_contact_id: None,
            occurred_at: 0,
            deleted: false,
        };
        assert_eq!(intel_title(&i), "Rival · ¥30");
    }
}
