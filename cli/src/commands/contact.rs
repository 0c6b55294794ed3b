//! Contacts (客户关系人): their standing in the customer's organisation, the buying roles
//! they play, and the VIP relationship card (客情关系卡) a rep keeps on key people.
//!
//! A card's depth counts the four things the method asks a rep to know of a key person:
//! that they call the rep by name, their interests, their birthday, and a personal concern
//! (known or helped with).

use std::collections::HashMap;

use anyhow::Result;
use clap::{Args, Subcommand};
use rapport_client_core::Item;
use rapport_client_core::model::{
    AdminLevel, Birthday, BuyingRole, Calendar, Contact, DocKind, Opportunity, RelationshipLevel,
    VipCard, Visit, calendar,
};

use super::lookup::{account_filter, account_names, find_account, find_named};
use super::timeline::Summary;
use super::values::{clear_term, days_from_today, optional_text, term_list, today, value, yes_no};
use super::{Ctx, abbr, done, fail, out_table, saved};
use crate::i18n::{Lang, M, paren, semi, t, tf};
use crate::ids;
use crate::parse;
use crate::table::{fields, indent, one_line, render};
use crate::terms::{Term, join_names};
use crate::when;

/// How a contact stands in the customer's organisation (§二.4, §三.2).
#[derive(Debug, Args)]
pub struct ContactStanding {
    /// Administrative level: executive (高层领导), department_head (部门负责人) or staff.
    #[arg(long)]
    pub admin_level: Option<String>,
    /// How close you are: acquainted, familiar, trusted or ally.
    #[arg(long)]
    pub relationship: Option<String>,
    /// Buying roles, comma separated: user (实际使用者), technical_gatekeeper (技术把关者),
    /// coach (教练), decision_maker (决策者).
    #[arg(long)]
    pub roles: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Add a contact to an account; prints the new id.
    Add {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        #[arg(long)]
        name: String,
        /// Job title, e.g. 采购总监.
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[command(flatten)]
        standing: ContactStanding,
        /// A key person: the scorecard expects a VIP card for them.
        #[arg(long)]
        key: bool,
    },
    /// Edit a contact; an empty value (or none) clears an optional field.
    Edit {
        /// Contact name, id or id prefix.
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[command(flatten)]
        standing: ContactStanding,
        /// Mark as a key person.
        #[arg(long, conflicts_with = "not_key")]
        key: bool,
        /// Mark as not a key person.
        #[arg(long)]
        not_key: bool,
    },
    /// Keep a key contact's VIP relationship card (客情关系卡); without options, show it.
    Card(CardArgs),
    /// Everything about a contact: standing, roles, VIP card, last met.
    Show {
        /// Contact name, id or id prefix.
        id: String,
    },
    /// Remove a contact (kept in history).
    Rm {
        /// Contact name, id or id prefix.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct CardArgs {
    /// Contact name, id or id prefix.
    pub id: String,
    /// They call you by name (互相能叫出名字): yes or no.
    #[arg(long, value_name = "yes|no")]
    pub knows_name: Option<String>,
    /// Interests and hobbies (兴趣爱好).
    #[arg(long)]
    pub interests: Option<String>,
    /// Birthday on the solar calendar, MM-DD (none clears).
    #[arg(long, value_name = "MM-DD", conflicts_with = "lunar_birthday")]
    pub birthday: Option<String>,
    /// Birthday on the lunar calendar (农历), MM-DD.
    #[arg(long, value_name = "MM-DD")]
    pub lunar_birthday: Option<String>,
    /// The lunar birthday is in a leap month (闰月).
    #[arg(long, requires = "lunar_birthday")]
    pub leap_month: bool,
    /// Personal matters you know of (私人情况).
    #[arg(long)]
    pub concerns: Option<String>,
    /// You helped with one (为其解忧): yes or no.
    #[arg(long, value_name = "yes|no")]
    pub helped: Option<String>,
    /// Notes on the card.
    #[arg(long)]
    pub notes: Option<String>,
}

pub(super) fn run(ctx: &Ctx, cmd: ContactCommand) -> Result<()> {
    match cmd {
        ContactCommand::Add {
            account,
            name,
            title,
            phone,
            notes,
            standing,
            key,
        } => add(ctx, &account, name, title, phone, notes, &standing, key),
        ContactCommand::Edit {
            id,
            name,
            title,
            phone,
            notes,
            standing,
            key,
            not_key,
        } => {
            let key = match (key, not_key) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            edit(ctx, &id, name, title, phone, notes, &standing, key)
        }
        ContactCommand::Card(args) => card(ctx, args),
        ContactCommand::Show { id } => show(ctx, &id),
        ContactCommand::Rm { id } => {
            let c = find_contact(ctx, &id)?;
            ctx.client.remove::<Contact>(&c.id)?;
            done(ctx, M::Removed, DocKind::Contact, &c.id, &c.record.name)
        }
    }
}

/// Finds a contact anywhere on the device by name, id or id prefix.
pub(super) fn find_contact(ctx: &Ctx, typed: &str) -> Result<Item<Contact>> {
    find_named::<Contact>(ctx, typed, |c| &c.name)
}

/// The standing options as read: `None` leaves a field alone.
struct Standing {
    admin_level: Option<Option<AdminLevel>>,
    relationship: Option<Option<RelationshipLevel>>,
    roles: Option<Vec<BuyingRole>>,
}

impl Standing {
    fn read(lang: Lang, s: &ContactStanding) -> Result<Standing> {
        Ok(Standing {
            admin_level: s
                .admin_level
                .as_deref()
                .map(|v| clear_term::<AdminLevel>(lang, "admin-level", v))
                .transpose()?,
            relationship: s
                .relationship
                .as_deref()
                .map(|v| clear_term::<RelationshipLevel>(lang, "relationship", v))
                .transpose()?,
            roles: s
                .roles
                .as_deref()
                .map(|v| term_list::<BuyingRole>(lang, "roles", v))
                .transpose()?,
        })
    }

    fn is_empty(&self) -> bool {
        self.admin_level.is_none() && self.relationship.is_none() && self.roles.is_none()
    }

    fn apply(self, c: &mut Contact) {
        if let Some(v) = self.admin_level {
            c.admin_level = v;
        }
        if let Some(v) = self.relationship {
            c.relationship_level = v;
        }
        if let Some(v) = self.roles {
            c.roles = v;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn add(
    ctx: &Ctx,
    account: &str,
    name: String,
    title: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
    standing: &ContactStanding,
    key: bool,
) -> Result<()> {
    let account = find_account(ctx, account)?;
    let standing = Standing::read(ctx.lang, standing)?;
    let mut record = Contact {
        account_id: account.id,
        name: name.trim().to_owned(),
        title: title.and_then(optional_text),
        phone: phone.and_then(optional_text),
        notes: notes.and_then(optional_text),
        key_contact: key,
        deleted: false,
        ..Default::default()
    };
    standing.apply(&mut record);
    let id = ctx.client.create(&record)?;
    saved(ctx, DocKind::Contact, &id)
}

#[allow(clippy::too_many_arguments)]
fn edit(
    ctx: &Ctx,
    typed: &str,
    name: Option<String>,
    title: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
    standing: &ContactStanding,
    key: Option<bool>,
) -> Result<()> {
    let lang = ctx.lang;
    let standing = Standing::read(lang, standing)?;
    let nothing = name.is_none()
        && title.is_none()
        && phone.is_none()
        && notes.is_none()
        && standing.is_empty()
        && key.is_none();
    if nothing {
        return Err(fail(t(lang, M::NothingToChange).to_owned()));
    }
    let id = find_contact(ctx, typed)?.id;
    let updated = ctx.client.update::<Contact>(&id, |c| {
        if let Some(n) = name {
            c.name = n.trim().to_owned();
        }
        if let Some(v) = title {
            c.title = optional_text(v);
        }
        if let Some(v) = phone {
            c.phone = optional_text(v);
        }
        if let Some(v) = notes {
            c.notes = optional_text(v);
        }
        standing.apply(c);
        if let Some(k) = key {
            c.key_contact = k;
        }
    })?;
    done(ctx, M::Updated, DocKind::Contact, &id, &updated.name)
}

/// A birthday as a rep reads it: `08-15` or `农历 08-15 (闰月)`.
fn birthday_text(lang: Lang, b: Birthday) -> String {
    let date = format!("{:02}-{:02}", b.month, b.day);
    match b.calendar {
        Calendar::Solar => date,
        Calendar::Lunar => {
            let mut s = format!("{} {date}", Calendar::Lunar.name(lang));
            if b.leap_month {
                s.push_str(t(lang, M::LeapMonth));
            }
            s
        }
    }
}

fn card(ctx: &Ctx, a: CardArgs) -> Result<()> {
    let lang = ctx.lang;
    let contact = find_contact(ctx, &a.id)?;
    let nothing = a.knows_name.is_none()
        && a.interests.is_none()
        && a.birthday.is_none()
        && a.lunar_birthday.is_none()
        && a.concerns.is_none()
        && a.helped.is_none()
        && a.notes.is_none();
    if nothing {
        return match &contact.record.vip_card {
            Some(c) => print_card(lang, c),
            None => Err(fail(tf(
                lang,
                M::NoCardYet,
                &[("name", &contact.record.name)],
            ))),
        };
    }
    let knows = a
        .knows_name
        .as_deref()
        .map(|v| value(lang, "knows-name", v, parse::parse_yes_no, M::ExpectYesNo))
        .transpose()?;
    let helped = a
        .helped
        .as_deref()
        .map(|v| value(lang, "helped", v, parse::parse_yes_no, M::ExpectYesNo))
        .transpose()?;
    let birthday: Option<Option<Birthday>> = match (&a.birthday, &a.lunar_birthday) {
        (Some(s), _) if parse::is_clear(s) => Some(None),
        (Some(s), _) => {
            let (month, day) = value(
                lang,
                "birthday",
                s,
                |v| parse::parse_month_day(v, false),
                M::ExpectMonthDay,
            )?;
            Some(Some(Birthday {
                calendar: Calendar::Solar,
                month: i64::from(month),
                day: i64::from(day),
                leap_month: false,
            }))
        }
        (None, Some(s)) => {
            let (month, day) = value(
                lang,
                "lunar-birthday",
                s,
                |v| parse::parse_month_day(v, true),
                M::ExpectMonthDay,
            )?;
            Some(Some(Birthday {
                calendar: Calendar::Lunar,
                month: i64::from(month),
                day: i64::from(day),
                leap_month: a.leap_month,
            }))
        }
        (None, None) => None,
    };
    let updated = ctx.client.update::<Contact>(&contact.id, |c| {
        let card = c.vip_card.get_or_insert_with(VipCard::default);
        if let Some(v) = knows {
            card.knows_rep_name = v;
        }
        if let Some(v) = a.interests {
            card.interests = v.trim().to_owned();
        }
        if let Some(v) = birthday {
            card.birthday = v;
        }
        if let Some(v) = a.concerns {
            card.concerns = v.trim().to_owned();
        }
        if let Some(v) = helped {
            card.helped_with_concern = v;
        }
        if let Some(v) = a.notes {
            card.notes = v.trim().to_owned();
        }
    })?;
    done(
        ctx,
        M::CardUpdated,
        DocKind::Contact,
        &contact.id,
        &updated.name,
    )?;
    if let Some(c) = &updated.vip_card {
        out!("{}", tf(lang, M::CardDepth, &[("n", &c.depth())]));
    }
    if !updated.key_contact {
        crate::warn(
            lang,
            M::CardNotKey,
            &[
                ("name", &updated.name),
                ("id", &super::short_id(ctx, &contact.id)?),
            ],
        );
    }
    Ok(())
}

fn print_card(lang: Lang, card: &VipCard) -> Result<()> {
    out!("{}", tf(lang, M::CardHeading, &[("n", &card.depth())]));
    let birthday = match card.birthday {
        Some(b) => {
            let kept = birthday_text(lang, b);
            match calendar::next_birthday(b, today(), 366) {
                Some(d) => paren(
                    lang,
                    &kept,
                    &tf(
                        lang,
                        M::NextOn,
                        &[("date", &d), ("when", &days_from_today(lang, d))],
                    ),
                ),
                None => kept,
            }
        }
        None => t(lang, M::Unknown).to_owned(),
    };
    let known = |s: &str| {
        if s.trim().is_empty() {
            t(lang, M::Unknown).to_owned()
        } else {
            s.trim().to_owned()
        }
    };
    let rows = [
        (
            t(lang, M::CardKnowsName),
            yes_no(lang, card.knows_rep_name).to_owned(),
        ),
        (t(lang, M::CardInterests), known(&card.interests)),
        (t(lang, M::CardBirthday), birthday),
        (t(lang, M::CardConcerns), known(&card.concerns)),
        (
            t(lang, M::CardHelped),
            yes_no(lang, card.helped_with_concern).to_owned(),
        ),
        (t(lang, M::LabelNotes), card.notes.trim().to_owned()),
    ];
    out_table(&indent(&fields(&rows)))
}

fn show(ctx: &Ctx, typed: &str) -> Result<()> {
    let lang = ctx.lang;
    let Item { id, record: c } = find_contact(ctx, typed)?;
    let abbr = abbr(ctx)?;
    let accounts = account_names(&ctx.client)?;
    let last_met = ctx
        .client
        .list::<Visit>(Some(&c.account_id))?
        .into_iter()
        .filter(|v| v.record.contacts_met.contains(&id))
        .map(|v| v.record.occurred_at)
        .max_by_key(|at| at.utc_ms);
    let last_met = match last_met {
        Some(at) => match when::local_date(at) {
            Some(d) => paren(lang, &when::format_local(at), &days_from_today(lang, d)),
            None => when::format_local(at),
        },
        None => t(lang, M::NeverMet).to_owned(),
    };
    let in_opps: Vec<String> = ctx
        .client
        .list::<Opportunity>(Some(&c.account_id))?
        .into_iter()
        .filter_map(|o| {
            let roles: Vec<BuyingRole> = o
                .record
                .roles
                .pairs()
                .filter(|(_, who)| **who == id)
                .map(|(r, _)| r)
                .collect();
            (!roles.is_empty()).then(|| {
                format!(
                    "{} ({})",
                    one_line(&o.record.name),
                    join_names(lang, &roles)
                )
            })
        })
        .collect();
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let not_set = || t(lang, M::NotSet).to_owned();
    let rows = vec![
        (t(lang, M::LabelId), ids::short(&abbr, &id).to_owned()),
        (
            t(lang, M::LabelAccount),
            accounts.get(&c.account_id).cloned().unwrap_or_default(),
        ),
        (t(lang, M::LabelTitle), text(&c.title)),
        (t(lang, M::LabelPhone), text(&c.phone)),
        (
            t(lang, M::LabelAdminLevel),
            c.admin_level
                .map_or_else(not_set, |v| v.name(lang).to_owned()),
        ),
        (
            t(lang, M::LabelRelationship),
            c.relationship_level
                .map_or_else(not_set, |v| v.name(lang).to_owned()),
        ),
        (
            t(lang, M::LabelRoles),
            if c.roles.is_empty() {
                not_set()
            } else {
                join_names(lang, &c.roles)
            },
        ),
        (
            t(lang, M::LabelKeyContact),
            yes_no(lang, c.key_contact).to_owned(),
        ),
        (t(lang, M::LabelLastMet), last_met),
        (t(lang, M::LabelInOpportunities), in_opps.join(semi(lang))),
        (t(lang, M::LabelNotes), text(&c.notes)),
    ];
    out!("{}", one_line(&c.name));
    out_table(&fields(&rows))?;
    out!("");
    match &c.vip_card {
        Some(card) => print_card(lang, card),
        None => {
            out!("{}", t(lang, M::NoCard));
            Ok(())
        }
    }
}

pub(super) fn list(ctx: &Ctx, account: Option<&str>) -> Result<()> {
    let lang = ctx.lang;
    let account_id = account_filter(ctx, account)?;
    let list = ctx.client.list::<Contact>(account_id.as_deref())?;
    if list.is_empty() {
        out!("{}", t(lang, M::NoContacts));
        return Ok(());
    }
    let names = account_names(&ctx.client)?;
    let abbr = abbr(ctx)?;
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let r = &c.record;
            vec![
                ids::short(&abbr, &c.id).to_owned(),
                one_line(&r.name),
                r.title.as_deref().map(one_line).unwrap_or_default(),
                r.phone.as_deref().map(one_line).unwrap_or_default(),
                names
                    .get(&r.account_id)
                    .map(|n| one_line(n))
                    .unwrap_or_default(),
                join_names(lang, &r.roles),
                if r.key_contact {
                    t(lang, M::KeyMark).to_owned()
                } else {
                    String::new()
                },
                r.vip_card
                    .as_ref()
                    .map(|c| format!("{}/4", c.depth()))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let headers = [
        t(lang, M::ColId),
        t(lang, M::ColName),
        t(lang, M::ColTitle),
        t(lang, M::ColPhone),
        t(lang, M::ColAccount),
        t(lang, M::ColRoles),
        t(lang, M::ColKey),
        t(lang, M::ColCard),
    ];
    out_table(&render(&headers, &rows, &[]))
}

impl Summary for Contact {
    fn summary(&self, lang: Lang, _: &HashMap<String, String>) -> String {
        match &self.title {
            Some(title) => paren(lang, &one_line(&self.name), &one_line(title)),
            None => one_line(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdays_read_with_their_calendar() {
        let solar = Birthday {
            calendar: Calendar::Solar,
            month: 3,
            day: 7,
            leap_month: false,
        };
        assert_eq!(birthday_text(Lang::En, solar), "03-07");
        let lunar = Birthday {
            calendar: Calendar::Lunar,
            month: 8,
            day: 15,
            leap_month: true,
        };
        assert_eq!(birthday_text(Lang::Zh, lunar), "农历 08-15（闰月）");
        assert_eq!(birthday_text(Lang::En, lunar), "lunar 08-15 (leap month)");
    }
}
