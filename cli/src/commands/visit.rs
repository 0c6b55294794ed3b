//! Visits (拜访), the core record (§四.4.2): who was met, the check-in, and what the
//! method asks a rep to note: SPIN questions asked, objections met, buying signals
//! achieved, and the next step with its due date.
//!
//! Whether a check-in verifies the visit and whether it was logged late are the company's
//! rules (`Client::rules`), so `visit show` and `visits` agree with the manager's view.

use std::collections::HashMap;

use anyhow::Result;
use clap::{Args, Subcommand};
use rapport_client_core::Item;
use rapport_client_core::model::{
    Account, CheckIn, Contact, DocKind, LocalTime, Objection, Rules, Signal, Spin, Visit, rules,
};

use super::lookup::{
    account_filter, account_names, contact_names, find, find_account, person, resolve_contacts,
};
use super::timeline::Summary;
use super::values::{date_text, days_from_today, parse_at, term_list};
use super::{Ctx, abbr, done, fail, minutes, out_table, saved};
use crate::i18n::{Lang, M, list_sep, paren, semi, t, tf};
use crate::ids;
use crate::parse;
use crate::table::{fields, one_line, render};
use crate::terms::join_names;
use crate::when;

/// Where the rep was when logging: a check-in.
#[derive(Debug, Args)]
pub struct Position {
    /// Latitude of the check-in, in degrees.
    #[arg(long, requires = "lon", allow_negative_numbers = true)]
    pub lat: Option<f64>,
    /// Longitude of the check-in, in degrees.
    #[arg(long, requires = "lat", allow_negative_numbers = true)]
    pub lon: Option<f64>,
    /// Accuracy of the position in metres (default 0: a position typed by hand).
    #[arg(long, requires = "lat")]
    pub accuracy: Option<f64>,
}

/// What the method asks a rep to note of a visit (§三).
#[derive(Debug, Args)]
pub struct VisitMethod {
    /// SPIN questions asked: situation (背景性), problem (难点性), implication (暗示性),
    /// need_payoff (效益性); comma separated, replacing the list.
    #[arg(long, value_name = "LIST")]
    pub spin: Option<String>,
    /// Objections met: no_need (不需要), no_trust (不相信), no_budget (没预算), no_hurry
    /// (不着急).
    #[arg(long, value_name = "LIST")]
    pub objections: Option<String>,
    /// Buying signals achieved: accepted_idea, next_step, introduced_senior,
    /// technical_exchange.
    #[arg(long, value_name = "LIST")]
    pub signals: Option<String>,
    /// The agreed next step (an empty value clears it and its due date).
    #[arg(long, value_name = "TEXT")]
    pub next_step: Option<String>,
    /// When the next step is due: YYYY-MM-DD, +N days, today, tomorrow (none clears).
    #[arg(long, value_name = "DATE")]
    pub next_step_due: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum VisitCommand {
    /// Log a visit; prints the new id.
    Log {
        /// Account id, id prefix or name.
        #[arg(long)]
        account: String,
        /// Contacts met: names, ids or unique id prefixes, comma separated.
        #[arg(long, value_delimiter = ',')]
        contacts: Vec<String>,
        /// When the visit started, with its UTC offset, e.g. 2026-11-27T10:30:00+08:00
        /// (default: now).
        #[arg(long)]
        at: Option<String>,
        /// Duration in minutes.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(i64).range(0..=1440))]
        duration: i64,
        /// What the visit was for.
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        notes: Option<String>,
        #[command(flatten)]
        position: Position,
        #[command(flatten)]
        method: VisitMethod,
    },
    /// Edit a visit.
    Edit {
        /// Visit id or unique prefix.
        id: String,
        /// Contacts met, replacing the list (an empty value clears it).
        #[arg(long, value_delimiter = ',')]
        contacts: Option<Vec<String>>,
        /// When the visit started, with its UTC offset.
        #[arg(long)]
        at: Option<String>,
        /// Duration in minutes.
        #[arg(long, value_parser = clap::value_parser!(i64).range(0..=1440))]
        duration: Option<i64>,
        #[arg(long)]
        purpose: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[command(flatten)]
        position: Position,
        /// Remove the check-in.
        #[arg(long, conflicts_with = "lat")]
        no_check_in: bool,
        #[command(flatten)]
        method: VisitMethod,
    },
    /// Everything about a visit, with its check-in verification and late-logging flags.
    Show {
        /// Visit id or unique prefix.
        id: String,
    },
    /// Remove a visit (kept in history).
    Rm {
        /// Visit id or unique prefix.
        id: String,
    },
}

/// Warns (without refusing: clocks drift) when a visit is dated more than an hour ahead,
/// which is almost always a typo in the date.
fn warn_if_future(lang: Lang, at: &chrono::DateTime<chrono::FixedOffset>) {
    if *at > chrono::Utc::now() + chrono::Duration::hours(1) {
        crate::warn(
            lang,
            M::FutureVisit,
            &[("at", &when::format_local(LocalTime::from_datetime(at)))],
        );
    }
}

fn check_in(position: &Position) -> Option<CheckIn> {
    match (position.lat, position.lon) {
        (Some(lat), Some(lon)) => Some(CheckIn {
            lat,
            lon,
            accuracy_m: position.accuracy.unwrap_or(0.0),
        }),
        _ => None,
    }
}

/// The method's notes of a visit as an edit sets them: `None` leaves a field alone.
struct MethodChanges {
    spin: Option<Vec<Spin>>,
    objections: Option<Vec<Objection>>,
    signals: Option<Vec<Signal>>,
    next_step: Option<Option<String>>,
    next_step_due: Option<Option<String>>,
}

impl MethodChanges {
    fn read(lang: Lang, m: &VisitMethod) -> Result<MethodChanges> {
        let next_step = m.next_step.as_deref().map(|s| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        });
        let next_step_due = match m.next_step_due.as_deref() {
            Some(v) if parse::is_clear(v) => Some(None),
            Some(v) => Some(Some(date_text(lang, "next-step-due", v)?)),
            None => None,
        };
        Ok(MethodChanges {
            spin: m
                .spin
                .as_deref()
                .map(|v| term_list::<Spin>(lang, "spin", v))
                .transpose()?,
            objections: m
                .objections
                .as_deref()
                .map(|v| term_list::<Objection>(lang, "objections", v))
                .transpose()?,
            signals: m
                .signals
                .as_deref()
                .map(|v| term_list::<Signal>(lang, "signals", v))
                .transpose()?,
            next_step,
            next_step_due,
        })
    }

    fn is_empty(&self) -> bool {
        self.spin.is_none()
            && self.objections.is_none()
            && self.signals.is_none()
            && self.next_step.is_none()
            && self.next_step_due.is_none()
    }

    /// Applies the changes; clearing the next step clears its due date too. Refuses a due
    /// date without a step, before anything is written.
    fn apply(self, lang: Lang, v: &mut Visit) -> Result<()> {
        if let Some(s) = self.spin {
            v.spin = s;
        }
        if let Some(o) = self.objections {
            v.objections = o;
        }
        if let Some(s) = self.signals {
            v.signals = s;
        }
        if let Some(step) = self.next_step {
            if step.is_none() {
                v.next_step_due = None;
            }
            v.next_step = step;
        }
        if let Some(due) = self.next_step_due {
            v.next_step_due = due;
        }
        if v.next_step.is_none() && v.next_step_due.is_some() {
            return Err(fail(t(lang, M::DueNeedsStep).to_owned()));
        }
        Ok(())
    }
}

pub(super) fn run(ctx: &Ctx, cmd: VisitCommand) -> Result<()> {
    let lang = ctx.lang;
    match cmd {
        VisitCommand::Log {
            account,
            contacts,
            at,
            duration,
            purpose,
            notes,
            position,
            method,
        } => {
            let account = find_account(ctx, &account)?;
            let contacts_met = resolve_contacts(ctx, &account, &contacts)?;
            let method = MethodChanges::read(lang, &method)?;
            let now = chrono::Local::now().fixed_offset();
            let occurred = match at {
                Some(s) => parse_at(lang, &s)?,
                None => now,
            };
            warn_if_future(lang, &occurred);
            let mut record = Visit {
                account_id: account.id,
                occurred_at: LocalTime::from_datetime(&occurred),
                logged_at: LocalTime::from_datetime(&now),
                duration_min: duration,
                purpose: purpose.trim().to_owned(),
                notes: notes.unwrap_or_default(),
                contacts_met,
                check_in: check_in(&position),
                deleted: false,
                ..Default::default()
            };
            method.apply(lang, &mut record)?;
            let id = ctx.client.create(&record)?;
            saved(ctx, DocKind::Visit, &id)
        }
        VisitCommand::Edit {
            id,
            contacts,
            at,
            duration,
            purpose,
            notes,
            position,
            no_check_in,
            method,
        } => {
            let method = MethodChanges::read(lang, &method)?;
            let nothing = contacts.is_none()
                && at.is_none()
                && duration.is_none()
                && purpose.is_none()
                && notes.is_none()
                && position.lat.is_none()
                && !no_check_in
                && method.is_empty();
            if nothing {
                return Err(fail(t(lang, M::NothingToChange).to_owned()));
            }
            let visit = find::<Visit>(ctx, &id)?;
            let id = visit.id;
            let contacts_met = match &contacts {
                Some(typed) => {
                    let account = find_account(ctx, &visit.record.account_id)?;
                    Some(resolve_contacts(ctx, &account, typed)?)
                }
                None => None,
            };
            let occurred = match &at {
                Some(s) => {
                    let at = parse_at(lang, s)?;
                    warn_if_future(lang, &at);
                    Some(at)
                }
                None => None,
            };
            // Check the method's notes on a copy first, so a refusal writes nothing.
            let mut after = visit.record.clone();
            method.apply(lang, &mut after)?;
            let new_check_in = check_in(&position);
            let updated = ctx.client.update::<Visit>(&id, |v| {
                if let Some(c) = contacts_met {
                    v.contacts_met = c;
                }
                if let Some(at) = occurred {
                    v.occurred_at = LocalTime::from_datetime(&at);
                }
                if let Some(d) = duration {
                    v.duration_min = d;
                }
                if let Some(p) = purpose {
                    v.purpose = p.trim().to_owned();
                }
                if let Some(n) = notes {
                    v.notes = n;
                }
                if new_check_in.is_some() {
                    v.check_in = new_check_in;
                }
                if no_check_in {
                    v.check_in = None;
                }
                v.spin = after.spin;
                v.objections = after.objections;
                v.signals = after.signals;
                v.next_step = after.next_step;
                v.next_step_due = after.next_step_due;
            })?;
            done(ctx, M::Updated, DocKind::Visit, &id, &updated.purpose)
        }
        VisitCommand::Show { id } => show(ctx, &id),
        VisitCommand::Rm { id } => {
            let visit = find::<Visit>(ctx, &id)?;
            ctx.client.remove::<Visit>(&visit.id)?;
            done(
                ctx,
                M::Removed,
                DocKind::Visit,
                &visit.id,
                &visit.record.purpose,
            )
        }
    }
}

/// What the check-in says: verified, or why not.
fn check_in_text(lang: Lang, rules: &Rules, v: &Visit, account: Option<&Account>) -> String {
    let Some(c) = v.check_in else {
        return t(lang, M::NoCheckIn).to_owned();
    };
    let at = format!("{:.5}, {:.5} (±{:.0} m)", c.lat, c.lon, c.accuracy_m);
    let Some(loc) = account.and_then(|a| a.location) else {
        return format!("{at}{}{}", semi(lang), t(lang, M::AccountNoLocation));
    };
    let distance = rules::distance_m(c.lat, c.lon, loc.lat, loc.lon);
    let distance = if distance >= 1000.0 {
        format!("{:.1} km", distance / 1000.0)
    } else {
        format!("{distance:.0} m")
    };
    let radius = format!("{:.0} m", rules.checkin_radius_m);
    let verdict = if rules.verifies(v.check_in, Some(loc)) {
        tf(lang, M::CheckInVerified, &[("distance", &distance)])
    } else if c.accuracy_m > rules.checkin_radius_m {
        tf(
            lang,
            M::CheckInTooVague,
            &[("distance", &distance), ("radius", &radius)],
        )
    } else {
        tf(
            lang,
            M::CheckInTooFar,
            &[("distance", &distance), ("radius", &radius)],
        )
    };
    format!("{at}{}{verdict}", semi(lang))
}

fn logged_text(lang: Lang, rules: &Rules, v: &Visit) -> String {
    let hours = (v.logged_at.utc_ms - v.occurred_at.utc_ms) / 3_600_000;
    let at = when::format_local(v.logged_at);
    if rules.is_late(v) {
        format!(
            "{at}{}{}",
            semi(lang),
            tf(
                lang,
                M::LoggedLate,
                &[("hours", &hours), ("limit", &rules.late_after_hours)]
            )
        )
    } else {
        format!("{at}{}{}", semi(lang), t(lang, M::LoggedOnTime))
    }
}

fn show(ctx: &Ctx, typed: &str) -> Result<()> {
    let lang = ctx.lang;
    let Item { id, record: v } = find::<Visit>(ctx, typed)?;
    let rules = ctx.client.rules()?;
    let abbr = abbr(ctx)?;
    let account = ctx.client.get::<Account>(&v.account_id).ok();
    let names = contact_names(&ctx.client)?;
    let met: Vec<String> = v
        .contacts_met
        .iter()
        .map(|c| match (names.get(c), ctx.client.get::<Contact>(c)) {
            (None, Ok(removed)) => paren(lang, &one_line(&removed.name), t(lang, M::RemovedMark)),
            _ => person(&names, &abbr, c),
        })
        .collect();
    let none = || t(lang, M::NoneRecorded).to_owned();
    let list_or_none = |s: String| if s.is_empty() { none() } else { s };
    let next_step = match (&v.next_step, &v.next_step_due) {
        (Some(step), Some(due)) => {
            let when = chrono::NaiveDate::parse_from_str(due, "%Y-%m-%d")
                .map(|d| days_from_today(lang, d))
                .unwrap_or_default();
            tf(
                lang,
                M::NextStepDue,
                &[("step", &one_line(step)), ("due", due), ("when", &when)],
            )
        }
        (Some(step), None) => one_line(step),
        _ => none(),
    };
    let sep = list_sep(lang);
    let rows = vec![
        (t(lang, M::LabelId), ids::short(&abbr, &id).to_owned()),
        (
            t(lang, M::LabelAccount),
            account
                .as_ref()
                .map(|a| one_line(&a.name))
                .unwrap_or_default(),
        ),
        (t(lang, M::LabelWhen), when::format_local(v.occurred_at)),
        (t(lang, M::LabelDuration), minutes(lang, v.duration_min)),
        (t(lang, M::LabelPurpose), v.purpose.trim().to_owned()),
        (t(lang, M::LabelMet), list_or_none(met.join(sep))),
        (
            t(lang, M::LabelCheckIn),
            check_in_text(lang, &rules, &v, account.as_ref()),
        ),
        (t(lang, M::LabelLogged), logged_text(lang, &rules, &v)),
        (
            t(lang, M::LabelSpin),
            list_or_none(join_names(lang, &v.spin)),
        ),
        (
            t(lang, M::LabelObjections),
            list_or_none(join_names(lang, &v.objections)),
        ),
        (
            t(lang, M::LabelSignals),
            list_or_none(join_names(lang, &v.signals)),
        ),
        (t(lang, M::LabelNextStep), next_step),
        (t(lang, M::LabelNotes), v.notes.trim().to_owned()),
    ];
    out!("{}", one_line(&v.purpose));
    out_table(&fields(&rows))
}

pub(super) fn list(ctx: &Ctx, account: Option<&str>) -> Result<()> {
    let lang = ctx.lang;
    let account_id = account_filter(ctx, account)?;
    let list = ctx.client.list::<Visit>(account_id.as_deref())?;
    if list.is_empty() {
        out!("{}", t(lang, M::NoVisits));
        return Ok(());
    }
    let names = account_names(&ctx.client)?;
    let accounts: HashMap<String, Account> = ctx
        .client
        .list::<Account>(None)?
        .into_iter()
        .map(|a| (a.id, a.record))
        .collect();
    let rules = ctx.client.rules()?;
    let abbr = abbr(ctx)?;
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|v| {
            let r = &v.record;
            let mut flags: Vec<&str> = Vec::new();
            if r.check_in.is_some() {
                let location = accounts.get(&r.account_id).and_then(|a| a.location);
                flags.push(t(
                    lang,
                    if rules.verifies(r.check_in, location) {
                        M::FlagVerified
                    } else {
                        M::FlagUnverified
                    },
                ));
            }
            if rules.is_late(r) {
                flags.push(t(lang, M::FlagLate));
            }
            vec![
                ids::short(&abbr, &v.id).to_owned(),
                when::format_local(r.occurred_at),
                minutes(lang, r.duration_min),
                one_line(&r.purpose),
                names
                    .get(&r.account_id)
                    .map(|n| one_line(n))
                    .unwrap_or_default(),
                flags.join(list_sep(lang)),
            ]
        })
        .collect();
    let headers = [
        t(lang, M::ColId),
        t(lang, M::ColWhen),
        t(lang, M::ColDuration),
        t(lang, M::ColPurpose),
        t(lang, M::ColAccount),
        t(lang, M::ColFlags),
    ];
    out_table(&render(&headers, &rows, &[2]))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn method(next_step: Option<&str>, due: Option<&str>) -> MethodChanges {
        MethodChanges {
            spin: None,
            objections: None,
            signals: None,
            next_step: next_step.map(|s| (!s.is_empty()).then(|| s.to_owned())),
            next_step_due: due.map(|d| (!d.is_empty()).then(|| d.to_owned())),
        }
    }

    #[test]
    fn clearing_the_next_step_clears_its_due_date() {
        let mut v = Visit {
            next_step: Some("send quote".into()),
            next_step_due: Some("2026-12-01".into()),
            ..Visit::default()
        };
        method(Some(""), None)
            .apply(Lang::En, &mut v)
            .expect("valid");
        assert_eq!((v.next_step, v.next_step_due), (None, None));
    }

    #[test]
    fn a_due_date_needs_a_step() {
        let mut v = Visit::default();
        assert!(
            method(None, Some("2026-12-01"))
                .apply(Lang::En, &mut v)
                .is_err()
        );
        let mut v = Visit {
            next_step: Some("demo".into()),
            ..Visit::default()
        };
        method(None, Some("2026-12-01"))
            .apply(Lang::En, &mut v)
            .expect("the visit has a step");
        assert_eq!(v.next_step_due.as_deref(), Some("2026-12-01"));
    }
}
