//! `report`: the team reports fetched from the server (managers and admins), and a rep's
//! own scorecard (`report me`, printed by `scorecard`).

use anyhow::Result;
use clap::Subcommand;

use super::{Ctx, fail, out_table, scorecard};
use crate::i18n::{M, t, tf};
use crate::table::{one_line, render};
use crate::when;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Visits per rep in one ISO week, in the company's time zone.
    Weekly {
        /// ISO week, e.g. 2026-W48 (default: this week).
        #[arg(long)]
        week: Option<String>,
        /// Team name or id (admins must name one; managers see their own team).
        #[arg(long)]
        team: Option<String>,
    },
    /// Your own relationship-maintenance scorecard (reps).
    Me {
        /// ISO week (2026-W48) or month (2026-11); default: this week.
        #[arg(long)]
        period: Option<String>,
        /// Also list the records behind every figure.
        #[arg(long)]
        records: bool,
    },
    /// A rep's scorecard (their manager, or an admin).
    Scorecard {
        /// The rep's user name, display name or id.
        #[arg(long)]
        rep: String,
        /// ISO week (2026-W48) or month (2026-11); default: this week.
        #[arg(long)]
        period: Option<String>,
        /// Also list the records behind every figure.
        #[arg(long)]
        records: bool,
    },
}

pub(super) fn run(ctx: &Ctx, cmd: ReportCommand) -> Result<()> {
    match cmd {
        ReportCommand::Weekly { week, team } => weekly(ctx, week.as_deref(), team.as_deref()),
        ReportCommand::Me { period, records } => scorecard::me(ctx, period.as_deref(), records),
        ReportCommand::Scorecard {
            rep,
            period,
            records,
        } => scorecard::of_rep(ctx, &rep, period.as_deref(), records),
    }
}

fn weekly(ctx: &Ctx, week: Option<&str>, team: Option<&str>) -> Result<()> {
    let lang = ctx.lang;
    let week = match week {
        Some(w) => match when::parse_week(w) {
            Some(norm) => Some(norm),
            None => return Err(fail(tf(lang, M::BadWeek, &[("week", &w)]))),
        },
        None => None,
    };
    let report = ctx
        .client
        .weekly_report(week.as_deref(), team.map(str::trim))?;
    out!(
        "{}",
        tf(
            lang,
            M::ReportTitle,
            &[
                ("team", &report.team_name),
                ("week", &report.week),
                ("from", &when::date_of(&report.starts, 0)),
                ("to", &when::date_of(&report.ends, 1)),
            ],
        )
    );
    out!(
        "{}",
        tf(lang, M::ReportTimeZone, &[("tz", &report.time_zone)])
    );
    out!("");
    if report.reps.is_empty() {
        out!("{}", t(lang, M::NoReps));
        return Ok(());
    }
    let mut rows: Vec<Vec<String>> = report
        .reps
        .iter()
        .map(|r| {
            vec![
                one_line(&r.display_name),
                r.username.clone(),
                r.visits.to_string(),
                r.accounts.to_string(),
            ]
        })
        .collect();
    rows.push(vec![
        t(lang, M::Total).to_owned(),
        String::new(),
        report.total.to_string(),
        String::new(),
    ]);
    let headers = [
        t(lang, M::ColRep),
        t(lang, M::ColUsername),
        t(lang, M::ColVisits),
        t(lang, M::ColAccounts),
    ];
    out_table(&render(&headers, &rows, &[2, 3]))
}
