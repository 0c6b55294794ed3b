//! An account's timeline: its records of every kind, newest first, each as one localised
//! line. [`Summary`] is that line, implemented by each kind's module, also used to name a
//! record in messages (removals, rejections).

use std::collections::HashMap;

use anyhow::Result;
use rapport_client_core::Client;
use rapport_client_core::model::{self, DocKind, LocalTime, Record};

use super::lookup::{contact_names, find_account};
use super::{Ctx, abbr, kind_name, out_table};
use crate::i18n::{Lang, M, paren, t, tf};
use crate::ids;
use crate::table::{one_line, render};
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
pub(super) fn with_contact(contacts: &HashMap<String, String>, id: &Option<String>) -> String {
    id.as_deref()
        .and_then(|c| contacts.get(c))
        .map(|n| format!(" — {}", one_line(n)))
        .unwrap_or_default()
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

/// Generates `load_kind`: every kind of the table of kinds (client-core's
/// `for_each_kind!`) loads as its own record type, so a kind without a [`Summary`] does
/// not compile.
macro_rules! load_kind {
    ($(
        $kind:ident $wire:literal $table:literal $authored:literal ($en:literal, $zh:literal)
            $item:ident,
    )+) => {
        /// When a record of `kind` happened and its line, if this device can read it.
        fn load_kind(
            client: &Client,
            kind: DocKind,
            id: &str,
            lang: Lang,
            contacts: &HashMap<String, String>,
        ) -> Option<(Option<LocalTime>, String)> {
            match kind {
                $(DocKind::$kind => load::<model::$kind>(client, id, lang, contacts),)+
            }
        }
    };
}

rapport_client_core::for_each_kind!(load_kind);

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
    use rapport_client_core::model::{
        Channel, Favour, FavourKind, Greeting, InfoKind, InfoReport, Occasion,
    };

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
