//! An account's timeline: every record logged on it, newest first, one line each.
//!
//! Each kind of record has its own line here (a visit's length, contacts met, check-in and
//! SPIN marks; a favour's value and limit; …), chosen in one exhaustive match on the
//! kind, so a new kind does not compile until it says whether and how it shows. Stage
//! changes are not records of their own but show on the timeline too.

use std::collections::HashMap;

use chrono_tz::Tz;
use maud::{Markup, html};
use rapport_client_core::model::DocKind;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::super::i18n::{self, Lang, term};
use super::describe::{info_title, intel_title};
use super::format::{self, NONE, empty, list_head, money};
use crate::db::{
    favours, greetings, info_reports, intel, relationship_events, stage_events, visit_contacts,
    visit_marks, visits,
};
use crate::error::ApiResult;

/// Most entries an account's timeline shows.
pub const LIMIT: usize = 200;

/// What an entry of the timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Record(DocKind),
    /// The account moved from one relationship stage to another.
    StageChange,
}

impl EntryKind {
    /// The code the page marks the entry with (`data-kind`) and names it by.
    pub fn code(self) -> &'static str {
        match self {
            EntryKind::Record(kind) => kind.as_str(),
            EntryKind::StageChange => "stage_event",
        }
    }
}

/// A small label after an entry's text, and its colour class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub text: String,
    /// `plain`, `good`, `warn`, `bad`, or empty.
    pub class: &'static str,
}

impl Badge {
    fn new(text: impl Into<String>, class: &'static str) -> Badge {
        Badge {
            text: text.into(),
            class,
        }
    }
}

/// One line of an account's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at_ms: i64,
    pub kind: EntryKind,
    pub author_id: String,
    pub text: String,
    pub badges: Vec<Badge>,
}

/// An account's records as the timeline reads them, each kind newest first and at most
/// [`LIMIT`] of it.
#[derive(Debug, Default)]
pub struct Rows {
    pub visits: Vec<visits::Model>,
    /// The contacts met in those visits.
    pub met: Vec<visit_contacts::Model>,
    /// SPIN questions, objections and buying signals of those visits.
    pub marks: Vec<visit_marks::Model>,
    pub favours: Vec<favours::Model>,
    pub intel: Vec<intel::Model>,
    pub info_reports: Vec<info_reports::Model>,
    pub greetings: Vec<greetings::Model>,
    pub events: Vec<relationship_events::Model>,
    pub stages: Vec<stage_events::Model>,
}

/// The columns by which an account's rows of one table are read.
struct Columns<C> {
    tenant: C,
    account: C,
    /// Removed records stay as rows marked deleted (stage changes are never removed).
    deleted: Option<C>,
    at: C,
}

/// A table of what happens on an account, read newest first.
trait OnAccount: EntityTrait {
    const COLUMNS: Columns<Self::Column>;
}

/// The tables of records logged on an account, which name their columns alike.
macro_rules! logged_on_account {
    ($($table:ident),+) => {$(
        impl OnAccount for $table::Entity {
            const COLUMNS: Columns<$table::Column> = Columns {
                tenant: $table::Column::TenantId,
                account: $table::Column::AccountId,
                deleted: Some($table::Column::Deleted),
                at: $table::Column::OccurredAt,
            };
        }
    )+};
}

logged_on_account!(
    visits,
    favours,
    intel,
    info_reports,
    greetings,
    relationship_events
);

impl OnAccount for stage_events::Entity {
    const COLUMNS: Columns<stage_events::Column> = Columns {
        tenant: stage_events::Column::TenantId,
        account: stage_events::Column::AccountId,
        deleted: None,
        at: stage_events::Column::AtMs,
    };
}

/// The newest rows of one table on an account, at most [`LIMIT`].
async fn newest<E>(
    db: &DatabaseConnection,
    tenant_id: &str,
    account_id: &str,
) -> ApiResult<Vec<E::Model>>
where
    E: OnAccount,
    E::Model: Send + Sync,
{
    let c = E::COLUMNS;
    let mut q = E::find()
        .filter(c.tenant.eq(tenant_id))
        .filter(c.account.eq(account_id));
    if let Some(deleted) = c.deleted {
        q = q.filter(deleted.eq(false));
    }
    let limit = u64::try_from(LIMIT).unwrap_or(200);
    Ok(q.order_by_desc(c.at).limit(limit).all(db).await?)
}

impl Rows {
    /// Reads an account's records, the tables side by side.
    pub async fn load(db: &DatabaseConnection, tenant_id: &str, id: &str) -> ApiResult<Rows> {
        let (visits, favours, intel, info_reports, greetings, events, stages) = tokio::try_join!(
            newest::<visits::Entity>(db, tenant_id, id),
            newest::<favours::Entity>(db, tenant_id, id),
            newest::<intel::Entity>(db, tenant_id, id),
            newest::<info_reports::Entity>(db, tenant_id, id),
            newest::<greetings::Entity>(db, tenant_id, id),
            newest::<relationship_events::Entity>(db, tenant_id, id),
            newest::<stage_events::Entity>(db, tenant_id, id),
        )?;
        let visit_ids: Vec<String> = visits.iter().map(|v| v.id.clone()).collect();
        let (met, marks) = tokio::try_join!(
            visit_contacts::Entity::find()
                .filter(visit_contacts::Column::TenantId.eq(tenant_id))
                .filter(visit_contacts::Column::VisitId.is_in(visit_ids.clone()))
                .all(db),
            visit_marks::Entity::find()
                .filter(visit_marks::Column::TenantId.eq(tenant_id))
                .filter(visit_marks::Column::VisitId.is_in(visit_ids))
                .all(db),
        )?;
        Ok(Rows {
            visits,
            met,
            marks,
            favours,
            intel,
            info_reports,
            greetings,
            events,
            stages,
        })
    }

    /// When the account was last visited, by anyone.
    pub fn last_visit(&self) -> Option<i64> {
        self.visits.first().map(|v| v.occurred_at)
    }

    /// The contacts the records name (met, done a favour for, greeted …).
    pub fn contacts_named(&self) -> impl Iterator<Item = &String> {
        self.met
            .iter()
            .map(|m| &m.contact_id)
            .chain(self.favours.iter().filter_map(|f| f.contact_id.as_ref()))
            .chain(self.greetings.iter().filter_map(|g| g.contact_id.as_ref()))
            .chain(self.events.iter().filter_map(|e| e.contact_id.as_ref()))
    }
}

/// The timeline of `rows`, newest first and at most [`LIMIT`] entries; `contacts` names
/// the contacts the records refer to.
pub fn entries(l: Lang, rows: &Rows, contacts: &HashMap<String, String>) -> Vec<Entry> {
    let lines = Lines { l, rows, contacts };
    let mut out: Vec<Entry> = DocKind::ALL
        .into_iter()
        .flat_map(|kind| lines.of_kind(kind))
        .chain(rows.stages.iter().map(|s| lines.stage(s)))
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.at_ms));
    out.truncate(LIMIT);
    out
}

/// Writes the timeline's lines, in one language.
struct Lines<'a> {
    l: Lang,
    rows: &'a Rows,
    contacts: &'a HashMap<String, String>,
}

impl Lines<'_> {
    /// The entries of one kind of record.
    fn of_kind(&self, kind: DocKind) -> Vec<Entry> {
        let rows = self.rows;
        match kind {
            // The account itself, its contacts and opportunities have sections of their
            // own on the page.
            DocKind::Account | DocKind::Contact | DocKind::Opportunity => Vec::new(),
            DocKind::Visit => rows.visits.iter().map(|v| self.visit(v)).collect(),
            DocKind::Favour => rows.favours.iter().map(|f| self.favour(f)).collect(),
            DocKind::Intel => rows.intel.iter().map(|r| self.intel(r)).collect(),
            DocKind::InfoReport => rows.info_reports.iter().map(|r| self.info(r)).collect(),
            DocKind::Greeting => rows.greetings.iter().map(|g| self.greeting(g)).collect(),
            DocKind::RelationshipEvent => rows.events.iter().map(|e| self.event(e)).collect(),
        }
    }

    /// The name of a contact a record refers to, when known.
    fn who(&self, contact: Option<&String>) -> Option<String> {
        contact.and_then(|c| self.contacts.get(c).cloned())
    }

    fn entry(&self, kind: DocKind, at_ms: i64, author: &str, text: String) -> Entry {
        Entry {
            at_ms,
            kind: EntryKind::Record(kind),
            author_id: author.to_owned(),
            text,
            badges: Vec::new(),
        }
    }

    /// A visit: its length, who was met, check-in and lateness, marks, next step.
    fn visit(&self, v: &visits::Model) -> Entry {
        let l = self.l;
        let mut badges = vec![Badge::new(
            format!("{} {}", v.duration_min, l.t("min", "分钟")),
            "plain",
        )];
        for m in self.rows.met.iter().filter(|m| m.visit_id == v.id) {
            if let Some(n) = self.contacts.get(&m.contact_id) {
                badges.push(Badge::new(format!("{}{n}", l.t("met ", "见：")), "plain"));
            }
        }
        if v.verified {
            badges.push(Badge::new(l.t("check-in verified", "签到已核实"), "good"));
        }
        if v.late {
            badges.push(Badge::new(l.t("logged late", "补录"), "warn"));
        }
        let marks = self.rows.marks.iter().filter(|m| m.visit_id == v.id);
        badges.extend(marks.filter_map(|m| mark(l, &m.mark)));
        if let Some(step) = &v.next_step {
            let due = v
                .next_step_due
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            badges.push(Badge::new(
                format!("{}{step}{due}", l.t("next: ", "下一步：")),
                "",
            ));
        }
        Entry {
            badges,
            ..self.entry(
                DocKind::Visit,
                v.occurred_at,
                &v.author_id,
                v.purpose.clone(),
            )
        }
    }

    /// A favour: its kind, for whom, its value, and whether it was over the limit.
    fn favour(&self, f: &favours::Model) -> Entry {
        let l = self.l;
        let mut badges = vec![Badge::new(term(l, i18n::FAVOUR_KINDS, &f.kind), "plain")];
        if let Some(c) = self.who(f.contact_id.as_ref()) {
            badges.push(Badge::new(c, "plain"));
        }
        if let Some(v) = f.value {
            badges.push(Badge::new(
                money(v),
                if f.over_limit { "bad" } else { "plain" },
            ));
        }
        if f.over_limit {
            badges.push(Badge::new(l.t("over the limit", "超出上限"), "bad"));
        }
        Entry {
            badges,
            ..self.entry(
                DocKind::Favour,
                f.occurred_at,
                &f.author_id,
                f.description.clone(),
            )
        }
    }

    /// Competitor intelligence and how far it is to be trusted.
    fn intel(&self, r: &intel::Model) -> Entry {
        let l = self.l;
        let confidence = format!(
            "{}{}",
            l.t("confidence: ", "可信度："),
            term(l, i18n::CONFIDENCE, &r.confidence)
        );
        Entry {
            badges: vec![Badge::new(confidence, "plain")],
            ..self.entry(DocKind::Intel, r.occurred_at, &r.author_id, intel_title(r))
        }
    }

    /// A customer info report.
    fn info(&self, r: &info_reports::Model) -> Entry {
        let text = info_title(self.l, r);
        self.entry(DocKind::InfoReport, r.occurred_at, &r.author_id, text)
    }

    /// A greeting: its occasion, channel and contact.
    fn greeting(&self, g: &greetings::Model) -> Entry {
        let l = self.l;
        let mut badges = vec![Badge::new(term(l, i18n::CHANNELS, &g.channel), "plain")];
        if let Some(c) = self.who(g.contact_id.as_ref()) {
            badges.push(Badge::new(c, "plain"));
        }
        let text = term(l, i18n::OCCASIONS, &g.occasion).to_owned();
        Entry {
            badges,
            ..self.entry(DocKind::Greeting, g.occurred_at, &g.author_id, text)
        }
    }

    /// A relationship event and its contact.
    fn event(&self, e: &relationship_events::Model) -> Entry {
        let text = term(self.l, i18n::EVENT_KINDS, &e.kind).to_owned();
        let badges = self
            .who(e.contact_id.as_ref())
            .map(|c| vec![Badge::new(c, "plain")])
            .unwrap_or_default();
        Entry {
            badges,
            ..self.entry(
                DocKind::RelationshipEvent,
                e.occurred_at,
                &e.author_id,
                text,
            )
        }
    }

    /// A change of the account's relationship stage: `from → to`.
    fn stage(&self, s: &stage_events::Model) -> Entry {
        let name = |s: &Option<String>| {
            s.as_deref().map_or(NONE.to_owned(), |s| {
                term(self.l, i18n::STAGES, s).to_owned()
            })
        };
        Entry {
            at_ms: s.at_ms,
            kind: EntryKind::StageChange,
            author_id: s.by_user.clone(),
            text: format!("{} → {}", name(&s.from_stage), name(&s.to_stage)),
            badges: Vec::new(),
        }
    }
}

/// The badge of a visit's mark (`spin:problem`, `objection:no_budget`, `signal:…`); none
/// for a mark this page does not know.
fn mark(l: Lang, mark: &str) -> Option<Badge> {
    let (prefix, code) = mark.split_once(':')?;
    let (list, class) = match prefix {
        "spin" => (i18n::SPIN, "plain"),
        "objection" => (i18n::OBJECTIONS, "warn"),
        "signal" => (i18n::SIGNALS, "good"),
        _ => return None,
    };
    Some(Badge::new(term(l, list, code), class))
}

/// The timeline section; `authors` names who logged each entry.
pub fn render(l: Lang, entries: &[Entry], authors: &HashMap<String, String>, tz: Tz) -> Markup {
    html! {
        section.card data-testid="timeline" {
            (list_head(l, l.t("Timeline", "客户时间线"), entries.len(), None))
            @if entries.is_empty() {
                (empty(l, "Nothing logged yet.", "还没有记录。"))
            } @else {
                div.scroll { table {
                    thead { tr {
                        th { (l.t("When", "时间")) }
                        th { (l.t("Kind", "类型")) }
                        th { (l.t("By", "记录人")) }
                        th { (l.t("What", "内容")) }
                    } }
                    tbody {
                        @for e in entries {
                            (row(l, e, authors, tz))
                        }
                    }
                } }
            }
        }
    }
}

/// One entry as a table row.
fn row(l: Lang, e: &Entry, authors: &HashMap<String, String>, tz: Tz) -> Markup {
    html! {
        tr data-kind=(e.kind.code()) {
            td { (format::time(e.at_ms, tz)) }
            td { (term(l, i18n::RECORD_KINDS, e.kind.code())) }
            td { (authors.get(&e.author_id).map_or(NONE, String::as_str)) }
            td.wrap {
                (e.text)
                @for b in &e.badges {
                    " " span class=(format!("badge {}", b.class)) { (b.text) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(id: &str, at: i64) -> visits::Model {
        visits::Model {
            id: id.into(),
            tenant_id: "t".into(),
            account_id: "a".into(),
            author_id: "rep".into(),
            occurred_at: at,
            offset_min: 480,
            logged_at: at,
            duration_min: 45,
            purpose: "<b>quarterly review</b>".into(),
            check_in_lat: None,
            check_in_lon: None,
            check_in_accuracy_m: None,
            deleted: false,
            next_step: Some("send the quote".into()),
            next_step_due: Some("2026-12-01".into()),
            verified: true,
            late: false,
        }
    }

    fn stage(at: i64) -> stage_events::Model {
        stage_events::Model {
            id: "s1".into(),
            tenant_id: "t".into(),
            account_id: "a".into(),
            from_stage: None,
            to_stage: Some("initial".into()),
            by_user: "mgr".into(),
            at_ms: at,
        }
    }

    fn rows() -> Rows {
        Rows {
            visits: vec![visit("v1", 1_000), visit("v2", 3_000)],
            met: vec![visit_contacts::Model {
                tenant_id: "t".into(),
                visit_id: "v1".into(),
                contact_id: "c1".into(),
            }],
            marks: vec![
                visit_marks::Model {
                    tenant_id: "t".into(),
                    visit_id: "v1".into(),
                    mark: "objection:no_budget".into(),
                },
                visit_marks::Model {
                    tenant_id: "t".into(),
                    visit_id: "v1".into(),
                    mark: "unknown:x".into(),
                },
            ],
            stages: vec![stage(2_000)],
            ..Rows::default()
        }
    }

    #[test]
    fn entries_are_newest_first_across_kinds() {
        let contacts = HashMap::from([("c1".to_owned(), "Wang <Li>".to_owned())]);
        let entries = entries(Lang::En, &rows(), &contacts);
        let kinds: Vec<&str> = entries.iter().map(|e| e.kind.code()).collect();
        assert_eq!(kinds, ["visit", "stage_event", "visit"]);
        assert_eq!(entries[1].text, "— → initial");
    }

    #[test]
    fn a_visit_shows_who_was_met_its_marks_and_next_step() {
        let contacts = HashMap::from([("c1".to_owned(), "Wang".to_owned())]);
        let entries = entries(Lang::En, &rows(), &contacts);
        let v1 = entries.iter().find(|e| e.at_ms == 1_000).expect("v1");
        let badges: Vec<(&str, &str)> = v1
            .badges
            .iter()
            .map(|b| (b.text.as_str(), b.class))
            .collect();
        assert_eq!(
            badges,
            [
                ("45 min", "plain"),
                ("met Wang", "plain"),
                ("check-in verified", "good"),
                ("objection: no budget", "warn"),
                ("next: send the quote (2026-12-01)", ""),
            ]
        );
    }

    #[test]
    fn a_timeline_row_escapes_what_reps_typed() {
        let contacts = HashMap::from([("c1".to_owned(), "Wang <Li>".to_owned())]);
        let entries = entries(Lang::En, &rows(), &contacts);
        let authors = HashMap::from([("rep".to_owned(), "Zhang & Co".to_owned())]);
        let html = render(Lang::En, &entries, &authors, chrono_tz::Asia::Shanghai).into_string();
        assert!(
            html.contains("&lt;b&gt;quarterly review&lt;/b&gt;"),
            "{html}"
        );
        assert!(html.contains("met Wang &lt;Li&gt;"), "{html}");
        assert!(html.contains("Zhang &amp; Co"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains(r#"<tr data-kind="stage_event">"#), "{html}");
    }

    #[test]
    fn every_kind_of_entry_has_a_name() {
        let kinds = DocKind::ALL.map(EntryKind::Record);
        for kind in kinds.into_iter().chain([EntryKind::StageChange]) {
            let name = term(Lang::Zh, i18n::RECORD_KINDS, kind.code());
            assert_ne!(name, kind.code(), "{kind:?} has no name");
        }
    }

    #[test]
    fn an_empty_timeline_says_so() {
        let html = render(Lang::En, &[], &HashMap::new(), chrono_tz::Asia::Shanghai);
        assert!(html.into_string().contains("Nothing logged yet."));
    }
}
