//! Opportunities (机会): the four-step assessment (§二.3), who fills each of the four
//! buying roles (§三.2), and the danger-zone check (销售雷区) from this device's visits.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use clap::{Args, Subcommand};
use rapport_client_core::Item;
use rapport_client_core::model::{
    Account, BuyingRole, Contact, DocKind, Judgement, LocalTime, Opportunity, OpportunityStatus,
    Step, Visit,
};

use super::lookup::{
    account_filter, account_names, contact_names, find_account, find_named, person,
    resolve_contacts,
};
use super::timeline::Summary;
use super::values::{clear_term, clear_value, date_text, days_from_today, optional_text, term};
use super::{Ctx, abbr, done, fail, out_table, saved};
use crate::i18n::{Lang, M, list_sep, paren, t, tf};
use crate::ids;
use crate::method::{self, Danger};
use crate::parse;
use crate::table::{amount, fields, indent, one_line, render};
use crate::terms::Term;
use crate::when;

/// An opportunity's fields other than its account and name.
#[derive(Debug, Args)]
pub struct OpportunityFields {
    /// Expected value of the deal (none clears).
    #[arg(long, value_name = "AMOUNT")]
    pub value: Option<String>,
    /// open, won or lost.
    #[arg(long)]
    pub status: Option<String>,
    /// Expected close date, YYYY-MM-DD or +N days (none clears).
    #[arg(long, visible_alias = "expected-close", value_name = "DATE")]
    pub close: Option<String>,
    /// Notes on the opportunity.
    #[arg(long)]
    pub notes: Option<String>,
    /// Step 1, is it real (是不是机会): yes, no or unsure (none clears).
    #[arg(long, value_name = "JUDGEMENT")]
    pub real: Option<String>,
    /// Why: the note of step 1.
    #[arg(long, value_name = "TEXT")]
    pub real_note: Option<String>,
    /// Step 2, is there competition (是不是存在竞争): yes, no or unsure.
    #[arg(long, value_name = "JUDGEMENT")]
    pub competition: Option<String>,
    /// Why: the note of step 2.
    #[arg(long, value_name = "TEXT")]
    pub competition_note: Option<String>,
    /// Step 3, can we win (是不是能赢): yes, no or unsure.
    #[arg(long, value_name = "JUDGEMENT")]
    pub can_win: Option<String>,
    /// Why: the note of step 3.
    #[arg(long, value_name = "TEXT")]
    pub can_win_note: Option<String>,
    /// Step 4, is it worth winning (是不是值得赢): yes, no or unsure.
    #[arg(long, value_name = "JUDGEMENT")]
    pub worth_winning: Option<String>,
    /// Why: the note of step 4.
    #[arg(long, value_name = "TEXT")]
    pub worth_winning_note: Option<String>,
    /// Users of the product (实际使用者): contact names or ids, comma separated; replaces
    /// the list (an empty value clears it).
    #[arg(long, value_delimiter = ',', value_name = "CONTACTS")]
    pub user_contacts: Option<Vec<String>>,
    /// Technical gatekeepers (技术把关者).
    #[arg(long, value_delimiter = ',', value_name = "CONTACTS")]
    pub gatekeepers: Option<Vec<String>>,
    /// Coaches (教练).
    #[arg(long, value_delimiter = ',', value_name = "CONTACTS")]
    pub coaches: Option<Vec<String>>,
    /// Decision makers (决策者).
    #[arg(long, value_delimiter = ',', value_name = "CONTACTS")]
    pub decision_makers: Option<Vec<String>>,
}

#[derive(Debug, Subcommand)]
pub enum OpportunityCommand {
    /// Add an opportunity to an account; prints the new id.
    Add {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// What the deal is, e.g. 3号线改造.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        fields: OpportunityFields,
    },
    /// Edit an opportunity.
    Edit {
        /// Opportunity name, id or id prefix.
        id: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: OpportunityFields,
    },
    /// An opportunity's assessment, buying roles and danger-zone check.
    Show {
        /// Opportunity name, id or id prefix.
        id: String,
    },
    /// Remove an opportunity (kept in history).
    Rm {
        /// Opportunity name, id or id prefix.
        id: String,
    },
    /// Opportunities on this device (the same as `rapport opportunities`).
    List(OpportunityFilter),
}

#[derive(Debug, Args)]
pub struct OpportunityFilter {
    /// Only this account: id, id prefix or name.
    #[arg(long)]
    pub account: Option<String>,
    /// Only this status: open, won or lost.
    #[arg(long)]
    pub status: Option<String>,
}

pub(super) fn run(ctx: &Ctx, cmd: OpportunityCommand) -> Result<()> {
    match cmd {
        OpportunityCommand::Add {
            account,
            name,
            fields,
        } => {
            let account = find_account(ctx, &account)?;
            let changes = Changes::read(ctx, &account, &fields)?;
            let mut record = Opportunity {
                account_id: account.id.clone(),
                name: name.trim().to_owned(),
                ..Opportunity::default()
            };
            changes.apply(&mut record);
            let id = ctx.client.create(&record)?;
            saved(ctx, DocKind::Opportunity, &id)
        }
        OpportunityCommand::Edit { id, name, fields } => {
            let opp = find_opportunity(ctx, &id)?;
            let account = find_account(ctx, &opp.record.account_id)?;
            let changes = Changes::read(ctx, &account, &fields)?;
            if name.is_none() && changes.is_empty() {
                return Err(fail(t(ctx.lang, M::NothingToChange).to_owned()));
            }
            let updated = ctx.client.update::<Opportunity>(&opp.id, |o| {
                if let Some(n) = name {
                    o.name = n.trim().to_owned();
                }
                changes.apply(o);
            })?;
            done(
                ctx,
                M::Updated,
                DocKind::Opportunity,
                &opp.id,
                &updated.name,
            )
        }
        OpportunityCommand::Show { id } => show(ctx, &id),
        OpportunityCommand::Rm { id } => {
            let opp = find_opportunity(ctx, &id)?;
            ctx.client.remove::<Opportunity>(&opp.id)?;
            done(
                ctx,
                M::Removed,
                DocKind::Opportunity,
                &opp.id,
                &opp.record.name,
            )
        }
        OpportunityCommand::List(filter) => list(ctx, &filter),
    }
}

fn find_opportunity(ctx: &Ctx, typed: &str) -> Result<Item<Opportunity>> {
    find_named::<Opportunity>(ctx, typed, |o| &o.name)
}

/// The four steps in order, with the option that sets each.
const STEPS: [(&str, M); 4] = [
    ("real", M::StepReal),
    ("competition", M::StepCompetition),
    ("can-win", M::StepCanWin),
    ("worth-winning", M::StepWorthWinning),
];

fn step_mut(o: &mut Opportunity, i: usize) -> Option<&mut Step> {
    let a = &mut o.assessment;
    match i {
        0 => Some(&mut a.real),
        1 => Some(&mut a.competition),
        2 => Some(&mut a.can_win),
        3 => Some(&mut a.worth_winning),
        _ => None,
    }
}

fn steps(o: &Opportunity) -> [&Step; 4] {
    let a = &o.assessment;
    [&a.real, &a.competition, &a.can_win, &a.worth_winning]
}

/// What an add or edit sets, read and checked before anything is written.
struct Changes {
    value: Option<Option<f64>>,
    status: Option<OpportunityStatus>,
    close: Option<Option<String>>,
    notes: Option<String>,
    judgements: [Option<Option<Judgement>>; 4],
    notes_of_steps: [Option<String>; 4],
    roles: Vec<(BuyingRole, Vec<String>)>,
}

impl Changes {
    fn read(ctx: &Ctx, account: &Item<Account>, f: &OpportunityFields) -> Result<Changes> {
        let lang = ctx.lang;
        let value = f
            .value
            .as_deref()
            .map(|v| clear_value(lang, "value", v, parse::parse_amount, M::ExpectAmount))
            .transpose()?;
        let status = f
            .status
            .as_deref()
            .map(|v| term::<OpportunityStatus>(lang, "status", v))
            .transpose()?;
        let close = match f.close.as_deref() {
            Some(v) if parse::is_clear(v) => Some(None),
            Some(v) => Some(Some(date_text(lang, "close", v)?)),
            None => None,
        };
        let typed = [&f.real, &f.competition, &f.can_win, &f.worth_winning];
        let mut judgements: [Option<Option<Judgement>>; 4] = [None; 4];
        for (i, (slot, typed)) in judgements.iter_mut().zip(typed).enumerate() {
            if let Some(v) = typed.as_deref() {
                let flag = STEPS.get(i).map_or("", |(flag, _)| *flag);
                *slot = Some(clear_term::<Judgement>(lang, flag, v)?);
            }
        }
        let notes_of_steps = [
            f.real_note.clone(),
            f.competition_note.clone(),
            f.can_win_note.clone(),
            f.worth_winning_note.clone(),
        ];
        let mut roles = Vec::new();
        for (role, typed) in [
            (BuyingRole::User, &f.user_contacts),
            (BuyingRole::TechnicalGatekeeper, &f.gatekeepers),
            (BuyingRole::Coach, &f.coaches),
            (BuyingRole::DecisionMaker, &f.decision_makers),
        ] {
            if let Some(list) = typed {
                roles.push((role, resolve_contacts(ctx, account, list)?));
            }
        }
        Ok(Changes {
            value,
            status,
            close,
            notes: f.notes.clone(),
            judgements,
            notes_of_steps,
            roles,
        })
    }

    fn is_empty(&self) -> bool {
        self.value.is_none()
            && self.status.is_none()
            && self.close.is_none()
            && self.notes.is_none()
            && self.judgements.iter().all(Option::is_none)
            && self.notes_of_steps.iter().all(Option::is_none)
            && self.roles.is_empty()
    }

    fn apply(self, o: &mut Opportunity) {
        if let Some(v) = self.value {
            o.value = v;
        }
        if let Some(v) = self.status {
            o.status = v;
        }
        if let Some(v) = self.close {
            o.expected_close = v;
        }
        if let Some(v) = self.notes {
            o.notes = optional_text(v).unwrap_or_default();
        }
        for (i, j) in self.judgements.into_iter().enumerate() {
            if let (Some(j), Some(step)) = (j, step_mut(o, i)) {
                step.judgement = j;
            }
        }
        for (i, n) in self.notes_of_steps.into_iter().enumerate() {
            if let (Some(n), Some(step)) = (n, step_mut(o, i)) {
                step.note = n.trim().to_owned();
            }
        }
        for (role, ids) in self.roles {
            *o.roles.get_mut(role) = ids;
        }
    }
}

/// What the device knows for the danger-zone check: live contacts and when each was
/// last met.
struct Knowledge {
    live: HashSet<String>,
    last_met: HashMap<String, LocalTime>,
    now_ms: i64,
}

impl Knowledge {
    fn load(ctx: &Ctx, account: Option<&str>) -> Result<Knowledge> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let live = ctx
            .client
            .list::<Contact>(account)?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let visits = ctx.client.list::<Visit>(account)?;
        let last_met = method::last_met(
            visits
                .iter()
                .map(|v| (v.record.contacts_met.as_slice(), v.record.occurred_at)),
            now_ms,
        );
        Ok(Knowledge {
            live,
            last_met,
            now_ms,
        })
    }

    fn danger(&self, o: &Opportunity) -> Vec<Danger> {
        method::danger_zone(
            &o.roles,
            |c| self.live.contains(c),
            &self.last_met,
            self.now_ms,
        )
    }

    fn known(&self, o: &Opportunity) -> usize {
        method::roles_known(&o.roles, |c| self.live.contains(c))
    }
}

/// The day a contact was last met, where it happened, and how long ago.
fn last_met_text(lang: Lang, at: Option<LocalTime>) -> String {
    match at.and_then(when::local_date) {
        Some(day) => paren(lang, &day.to_string(), &days_from_today(lang, day)),
        None => t(lang, M::NeverMet).to_owned(),
    }
}

fn show(ctx: &Ctx, typed: &str) -> Result<()> {
    let lang = ctx.lang;
    let Item { id, record: o } = find_opportunity(ctx, typed)?;
    let abbr = abbr(ctx)?;
    let accounts = account_names(&ctx.client)?;
    let names = contact_names(&ctx.client)?;
    let know = Knowledge::load(ctx, Some(&o.account_id))?;
    let close = match &o.expected_close {
        Some(d) => match chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(date) => paren(lang, d, &days_from_today(lang, date)),
            Err(_) => d.clone(),
        },
        None => t(lang, M::NotSet).to_owned(),
    };
    let rows = vec![
        (t(lang, M::LabelId), ids::short(&abbr, &id).to_owned()),
        (
            t(lang, M::LabelAccount),
            accounts.get(&o.account_id).cloned().unwrap_or_default(),
        ),
        (t(lang, M::LabelStatus), o.status.name(lang).to_owned()),
        (
            t(lang, M::LabelValue),
            o.value
                .map_or_else(|| t(lang, M::NotSet).to_owned(), amount),
        ),
        (t(lang, M::LabelExpectedClose), close),
        (t(lang, M::LabelNotes), o.notes.trim().to_owned()),
    ];
    out!("{}", one_line(&o.name));
    out_table(&fields(&rows))?;

    out!("");
    out!("{}", t(lang, M::AssessmentHeading));
    let rows: Vec<Vec<String>> = steps(&o)
        .iter()
        .zip(STEPS)
        .enumerate()
        .map(|(i, (step, (_, label)))| {
            vec![
                format!("{}. {}", i + 1, t(lang, label)),
                step.judgement
                    .map_or_else(|| "?".to_owned(), |j| j.name(lang).to_owned()),
                one_line(&step.note),
            ]
        })
        .collect();
    let headers = [
        t(lang, M::ColStep),
        t(lang, M::ColJudgement),
        t(lang, M::ColNote),
    ];
    out_table(&indent(&render(&headers, &rows, &[])))?;

    out!("");
    out!("{}", t(lang, M::RolesHeading));
    let mut rows: Vec<Vec<String>> = Vec::new();
    for role in BuyingRole::ALL {
        let holders: Vec<&String> = o
            .roles
            .get(*role)
            .iter()
            .filter(|c| know.live.contains(c.as_str()))
            .collect();
        if holders.is_empty() {
            rows.push(vec![
                role.name(lang).to_owned(),
                t(lang, M::RoleUnknown).to_owned(),
                String::new(),
            ]);
        }
        for c in holders {
            rows.push(vec![
                role.name(lang).to_owned(),
                person(&names, &abbr, c),
                last_met_text(lang, know.last_met.get(c.as_str()).copied()),
            ]);
        }
    }
    let headers = [
        t(lang, M::ColRole),
        t(lang, M::ColContact),
        t(lang, M::ColLastMet),
    ];
    out_table(&indent(&render(&headers, &rows, &[])))?;

    out!("");
    let danger = know.danger(&o);
    if danger.is_empty() {
        out!(
            "{}",
            tf(lang, M::DangerNone, &[("days", &method::RECENT_DAYS)])
        );
    } else {
        out!("{}", t(lang, M::DangerYes));
        for d in &danger {
            let line = match d {
                Danger::Unknown(role) => tf(lang, M::DangerUnknown, &[("role", &role.name(lang))]),
                Danger::NotMetRecently {
                    role,
                    contact_id,
                    last_met: None,
                } => tf(
                    lang,
                    M::DangerNeverMet,
                    &[
                        ("role", &role.name(lang)),
                        ("name", &person(&names, &abbr, contact_id)),
                    ],
                ),
                Danger::NotMetRecently {
                    role,
                    contact_id,
                    last_met,
                } => tf(
                    lang,
                    M::DangerNotMet,
                    &[
                        ("role", &role.name(lang)),
                        ("name", &person(&names, &abbr, contact_id)),
                        ("days", &method::RECENT_DAYS),
                        ("last", &last_met_text(lang, *last_met)),
                    ],
                ),
            };
            out!("  - {line}");
        }
        if o.status != OpportunityStatus::Open {
            out!("  {}", t(lang, M::DangerClosedNote));
        }
    }
    Ok(())
}

pub(super) fn list(ctx: &Ctx, filter: &OpportunityFilter) -> Result<()> {
    let lang = ctx.lang;
    let account_id = account_filter(ctx, filter.account.as_deref())?;
    let status = filter
        .status
        .as_deref()
        .map(|s| term::<OpportunityStatus>(lang, "status", s))
        .transpose()?;
    let mut list: Vec<Item<Opportunity>> = ctx
        .client
        .list::<Opportunity>(account_id.as_deref())?
        .into_iter()
        .filter(|o| status.is_none_or(|s| o.record.status == s))
        .collect();
    if list.is_empty() {
        out!("{}", t(lang, M::NoOpportunities));
        return Ok(());
    }
    // Open deals first, then won, then lost; the soonest close first within each.
    list.sort_by(|a, b| {
        let key = |o: &Opportunity| {
            (
                OpportunityStatus::ALL.iter().position(|s| *s == o.status),
                o.expected_close
                    .clone()
                    .unwrap_or_else(|| "9999".to_owned()),
            )
        };
        key(&a.record).cmp(&key(&b.record))
    });
    let know = Knowledge::load(ctx, account_id.as_deref())?;
    let accounts = account_names(&ctx.client)?;
    let abbr = abbr(ctx)?;
    let mut in_danger = 0;
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|o| {
            let r = &o.record;
            let danger = r.status == OpportunityStatus::Open && !know.danger(r).is_empty();
            if danger {
                in_danger += 1;
            }
            vec![
                ids::short(&abbr, &o.id).to_owned(),
                one_line(&r.name),
                r.status.name(lang).to_owned(),
                r.value.map(amount).unwrap_or_default(),
                r.expected_close.clone().unwrap_or_default(),
                format!("{}/4", know.known(r)),
                if danger {
                    t(lang, M::DangerMark).to_owned()
                } else {
                    String::new()
                },
                accounts
                    .get(&r.account_id)
                    .map(|n| one_line(n))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let headers = [
        t(lang, M::ColId),
        t(lang, M::ColName),
        t(lang, M::ColStatus),
        t(lang, M::ColValue),
        t(lang, M::ColClose),
        t(lang, M::ColRolesKnown),
        t(lang, M::ColDanger),
        t(lang, M::ColAccount),
    ];
    out_table(&render(&headers, &rows, &[3]))?;
    if in_danger > 0 {
        out!("");
        out!(
            "{}",
            tf(
                lang,
                M::DangerFooter,
                &[("n", &in_danger), ("days", &method::RECENT_DAYS)]
            )
        );
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_steps_are_set_in_order() {
        let mut o = Opportunity::default();
        for i in 0..4 {
            if let Some(s) = step_mut(&mut o, i) {
                s.note = format!("{i}");
            }
        }
        assert!(step_mut(&mut o, 4).is_none());
        let notes: Vec<&str> = steps(&o).iter().map(|s| s.note.as_str()).collect();
        assert_eq!(notes, ["0", "1", "2", "3"]);
        assert_eq!(o.assessment.can_win.note, "2");
    }
}
