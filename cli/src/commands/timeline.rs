//! An account's timeline: its records of every kind, newest first, each as one localised
//! line. [`Summary`] is that line for each kind, also used to name a record in messages
//! (removals, rejections).

use std::collections::HashMap;

use anyhow::Result;
use rapport_client_core::Client;
use rapport_client_core::model::{
    Account, Contact, DocKind, Favour, Greeting, InfoReport, Intel, LocalTime, Opportunity, Record,
    RelationshipEvent, Visit,
};

use super::{Ctx, abbr, contact_names, find_account, kind_name, minutes, out_table};
use crate::i18n::{Lang, M, colon, list_sep, paren, t, tf};
use crate::ids;
use crate::table::{amount, one_line, render};
use crate::terms::Term;
use crate::when;

/// One line describing a record, in the user's language.
pub(super) trait Summary {
    /// When it happened, in the offset of the place, if the kind has a time.
    fn when(&self) -> Option<LocalTime> {
        None
    }

    /// The line; `contacts` (id → name) names the people it mentions.
    fn summary(&self, lang: Lang, contacts: &HashMap<String, String>) -> String;
}

/// " — 张总" when the contact is known on this device.
fn with_contact(contacts: &HashMap<String, String>, id: &Option<String>) -> String {
    id.as_deref()
        .and_then(|c| contacts.get(c))
        .map(|n| format!(" — {}", one_line(n)))
        .unwrap_or_default()
}

impl Summary for Account {
    fn summary(&self, _: Lang, _: &HashMap<String, String>) -> String {
        one_line(&self.name)
    }
}

impl Summary for Contact {
    fn summary(&self, lang: Lang, _: &HashMap<String, String>) -> String {
        match &self.title {
            Some(title) => paren(lang, &one_line(&self.name), &one_line(title)),
            None => one_line(&self.name),
        }
    }
}

impl Summary for Opportunity {
    fn summary(&self, lang: Lang, _: &HashMap<String, String>) -> String {
        let mut aside = self.status.name(lang).to_owned();
        if let Some(v) = self.value {
            aside.push_str(list_sep(lang));
            aside.push_str(&amount(v));
        }
        paren(lang, &one_line(&self.name), &aside)
    }
}

impl Summary for Visit {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, _: &HashMap<String, String>) -> String {
        paren(
            lang,
            &one_line(&self.purpose),
            &minutes(lang, self.duration_min),
        )
    }
}

impl Summary for Favour {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, contacts: &HashMap<String, String>) -> String {
        let what = match self.value {
            Some(v) => paren(lang, &one_line(&self.description), &amount(v)),
            None => one_line(&self.description),
        };
        format!(
            "[{}] {what}{}",
            self.kind.name(lang),
            with_contact(contacts, &self.contact_id)
        )
    }
}

impl Summary for Intel {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, _: &HashMap<String, String>) -> String {
        let product = self
            .product
            .as_deref()
            .map(|p| format!(" {}", one_line(p)))
            .unwrap_or_default();
        let price = self
            .price
            .map(|p| format!(" @ {}", amount(p)))
            .unwrap_or_default();
        format!(
            "{}{product}{price}{}{} [{}]",
            one_line(&self.competitor),
            colon(lang),
            one_line(&self.observation),
            tf(
                lang,
                M::ConfidenceIs,
                &[("level", &self.confidence.name(lang))]
            )
        )
    }
}

impl Summary for InfoReport {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, contacts: &HashMap<String, String>) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(f) = self.figure {
            match &self.unit {
                Some(u) => parts.push(format!("{} {}", amount(f), one_line(u))),
                None => parts.push(amount(f)),
            }
        }
        if !self.details.trim().is_empty() {
            parts.push(one_line(&self.details));
        }
        format!(
            "{}{}{}{}",
            self.kind.name(lang),
            colon(lang),
            parts.join(list_sep(lang)),
            with_contact(contacts, &self.contact_id)
        )
    }
}

impl Summary for Greeting {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, contacts: &HashMap<String, String>) -> String {
        format!(
            "{}{}",
            paren(lang, self.occasion.name(lang), self.channel.name(lang)),
            with_contact(contacts, &self.contact_id)
        )
    }
}

impl Summary for RelationshipEvent {
    fn when(&self) -> Option<LocalTime> {
        Some(self.occurred_at)
    }

    fn summary(&self, lang: Lang, contacts: &HashMap<String, String>) -> String {
        format!(
            "{}{}{}{}",
            self.kind.name(lang),
            colon(lang),
            one_line(&self.description),
            with_contact(contacts, &self.contact_id)
        )
    }
}

fn load<R: Record + Summary>(
    client: &Client,
    id: &str,
    lang: Lang,
    contacts: &HashMap<String, String>,
) -> Option<(Option<LocalTime>, String)> {
    let r = client.get::<R>(id).ok()?;
    Some((r.when(), r.summary(lang, contacts)))
}

/// When a record of `kind` happened and its line, if this device can read it.
fn load_kind(
    client: &Client,
    kind: DocKind,
    id: &str,
    lang: Lang,
    contacts: &HashMap<String, String>,
) -> Option<(Option<LocalTime>, String)> {
    match kind {
        DocKind::Account => load::<Account>(client, id, lang, contacts),
        DocKind::Contact => load::<Contact>(client, id, lang, contacts),
        DocKind::Opportunity => load::<Opportunity>(client, id, lang, contacts),
        DocKind::Visit => load::<Visit>(client, id, lang, contacts),
        DocKind::Favour => load::<Favour>(client, id, lang, contacts),
        DocKind::Intel => load::<Intel>(client, id, lang, contacts),
        DocKind::InfoReport => load::<InfoReport>(client, id, lang, contacts),
        DocKind::Greeting => load::<Greeting>(client, id, lang, contacts),
        DocKind::RelationshipEvent => load::<RelationshipEvent>(client, id, lang, contacts),
    }
}

/// The kind, time and line of any document on the device, when it can be read.
pub(super) fn describe(
    client: &Client,
    id: &str,
    lang: Lang,
) -> Option<(DocKind, Option<LocalTime>, String)> {
    let none = HashMap::new();
    DocKind::ALL.into_iter().find_map(|kind| {
        load_kind(client, kind, id, lang, &none).map(|(at, what)| (kind, at, what))
    })
}

pub(super) fn run(ctx: &Ctx, account: &str) -> Result<()> {
    let lang = ctx.lang;
    let account = find_account(ctx, account)?;
    let rows = ctx.client.timeline(&account.id)?;
    let name = match &account.record.city {
        Some(city) => paren(lang, &account.record.name, city),
        None => account.record.name.clone(),
    };
    out!(
        "{}",
        tf(
            lang,
            M::TimelineHeading,
            &[("name", &name), ("n", &rows.len())]
        )
    );
    if rows.is_empty() {
        out!("{}", t(lang, M::NoRecords));
        return Ok(());
    }
    let abbr = abbr(ctx)?;
    let contacts = contact_names(&ctx.client)?;
    let mut table = Vec::with_capacity(rows.len());
    for row in &rows {
        // The index keeps only the UTC instant; the record itself knows the offset of the
        // place it happened, which is how the rep remembers it.
        let (at, what) = match load_kind(&ctx.client, row.kind, &row.id, lang, &contacts) {
            Some((at, what)) => (at.map(when::format_local).unwrap_or_default(), what),
            None => (String::new(), one_line(&row.title)),
        };
        table.push(vec![
            at,
            kind_name(lang, row.kind).to_owned(),
            what,
            ids::short(&abbr, &row.id).to_owned(),
        ]);
    }
    let headers = [
        t(lang, M::ColWhen),
        t(lang, M::ColKind),
        t(lang, M::ColWhat),
        t(lang, M::ColId),
    ];
    out_table(&render(&headers, &table, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_client_core::model::{Channel, FavourKind, InfoKind, Occasion};

    #[test]
    fn lines_use_the_methods_words_and_name_the_contact() {
        let contacts: HashMap<String, String> =
            [("c1".to_owned(), "张总".to_owned())].into_iter().collect();
        let g = Greeting {
            contact_id: Some("c1".into()),
            occasion: Occasion::MidAutumn,
            channel: Channel::WeChat,
            ..Greeting::default()
        };
        assert_eq!(g.summary(Lang::Zh, &contacts), "中秋节（微信） — 张总");
        assert_eq!(
            g.summary(Lang::En, &HashMap::new()),
            "Mid-Autumn Festival (WeChat)"
        );
        let f = Favour {
            kind: FavourKind::Personal,
            description: "接送机".into(),
            value: Some(800.0),
            ..Favour::default()
        };
        assert_eq!(f.summary(Lang::Zh, &contacts), "[私事] 接送机（800）");
        let i = InfoReport {
            kind: InfoKind::Inventory,
            figure: Some(1200.0),
            unit: Some("吨".into()),
            details: "月底前补货".into(),
            ..InfoReport::default()
        };
        assert_eq!(i.summary(Lang::Zh, &contacts), "库存：1,200 吨、月底前补货");
    }
}
