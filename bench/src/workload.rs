//! The generated company: its shape (teams, reps, accounts) and its history of records,
//! deterministic from a seed.
//!
//! Proportions follow DOMAIN.md and the performance targets (docs/BENCHMARKS.md): 200 reps in 20 teams, 2,000 accounts each
//! served by two reps of one team (so a rep serves 20), ten contacts per account (three of
//! them key contacts with a VIP card), one opportunity per account, and per account and
//! year about 125 visits (a rep's 20 accounts give about 24 visits a week, past the weekly
//! target of 10), a favour and an info report a month (the scorecard asks for one a month
//! on every key account), six intelligence items, eight greetings (holidays and birthdays
//! of key contacts) and two relationship events. A rep's 20 accounts then hold about 3,500
//! documents a year, as the new-device scenario says.

use chrono::{Datelike, TimeZone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapport_client_core::model::{AnyRecord, LocalTime, Occasion, Visit};
use rapport_sample::{self as sample, Talk, VisitDraft, seeded_id};

/// Bumped whenever generation changes, so cached databases of an older generator are
/// never reused.
pub const GENERATOR_VERSION: u32 = 2;

/// UTC offset of the company (Asia/Shanghai), minutes east.
pub const OFFSET_MIN: i64 = 480;

/// The last day of history (the "today" of the generated company), fixed so the workload
/// does not depend on the day the benchmark runs. A Friday.
pub fn anchor_day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default()
}

/// Records per account per year, besides visits.
const FAVOURS_PER_YEAR: f64 = 12.0;
const INTEL_PER_YEAR: f64 = 6.0;
const INFO_PER_YEAR: f64 = 12.0;
const GREETINGS_PER_YEAR: f64 = 8.0;
const EVENTS_PER_YEAR: f64 = 2.0;

/// The shape and history length of a generated company.
#[derive(Debug, Clone)]
pub struct Params {
    pub teams: usize,
    pub reps_per_team: usize,
    pub accounts_per_team: usize,
    pub contacts_per_account: usize,
    pub key_contacts_per_account: usize,
    pub visits_per_account_year: f64,
    /// Days of history up to [`anchor_day`].
    pub days: i64,
    pub seed: u64,
}

impl Params {
    /// The benchmark company with `days` of history.
    pub fn company(days: i64) -> Params {
        Params {
            teams: 20,
            reps_per_team: 10,
            accounts_per_team: 100,
            contacts_per_account: 10,
            key_contacts_per_account: 3,
            visits_per_account_year: 125.0,
            days,
            seed: 7,
        }
    }

    /// A tiny company for the CI smoke run: every code path, seconds.
    pub fn smoke(days: i64) -> Params {
        Params {
            teams: 2,
            reps_per_team: 3,
            accounts_per_team: 6,
            contacts_per_account: 4,
            key_contacts_per_account: 2,
            visits_per_account_year: 125.0,
            days,
            seed: 7,
        }
    }

    /// Names the workload in cache keys and database names.
    pub fn key(&self) -> String {
        format!(
            "g{GENERATOR_VERSION}-t{}r{}a{}c{}k{}v{}-d{}-s{}",
            self.teams,
            self.reps_per_team,
            self.accounts_per_team,
            self.contacts_per_account,
            self.key_contacts_per_account,
            self.visits_per_account_year,
            self.days,
            self.seed
        )
    }

    pub fn reps(&self) -> usize {
        self.teams * self.reps_per_team
    }

    pub fn accounts(&self) -> usize {
        self.teams * self.accounts_per_team
    }

    /// The reps (global indexes) serving account `a`: two reps of its team.
    pub fn account_reps(&self, a: usize) -> Vec<usize> {
        let team = a / self.accounts_per_team;
        let k = a % self.accounts_per_team;
        let first = team * self.reps_per_team + k % self.reps_per_team;
        let second = team * self.reps_per_team + (k + 1) % self.reps_per_team;
        if first == second {
            vec![first]
        } else {
            vec![first, second]
        }
    }

    /// The accounts rep `r` serves.
    pub fn rep_accounts(&self, r: usize) -> Vec<usize> {
        (0..self.accounts())
            .filter(|a| self.account_reps(*a).contains(&r))
            .collect()
    }

    pub fn rep_name(&self, r: usize) -> String {
        format!("r{}-{}", r / self.reps_per_team, r % self.reps_per_team)
    }

    pub fn manager_name(&self, team: usize) -> String {
        format!("m{team}")
    }

    /// Windows of history in which records are pushed, oldest first: a rep syncs at
    /// least once per window. (start ms, end ms)
    pub fn windows(&self) -> Vec<(i64, i64)> {
        let end = day_start_ms(anchor_day() + chrono::Duration::days(1));
        let start = end - self.days * DAY_MS;
        let step = 28 * DAY_MS;
        let mut out = Vec::new();
        let mut t = start;
        while t < end {
            out.push((t, (t + step).min(end)));
            t += step;
        }
        out
    }
}

const DAY_MS: i64 = 86_400_000;

/// Local midnight of `day` in the company's zone, as UTC milliseconds.
pub fn day_start_ms(day: chrono::NaiveDate) -> i64 {
    let offset = chrono::FixedOffset::east_opt(i32::try_from(OFFSET_MIN * 60).unwrap_or(0));
    let Some(offset) = offset else { return 0 };
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| offset.from_local_datetime(&t).single())
        .map_or(0, |t| t.timestamp_millis())
}

/// One generated record and who writes it.
#[derive(Debug, Clone)]
pub struct GenDoc {
    pub id: String,
    pub rep: usize,
    pub record: AnyRecord,
}

/// A deterministic stream for one part of the workload.
fn stream(seed: u64, part: u64, index: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(
        seed ^ part.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.wrapping_mul(0xBF58_476D_1CE4_E5B9),
    )
}

/// The id of contact `k` of account `a` (visits and greetings refer to it).
pub fn contact_id(p: &Params, a: usize, k: usize) -> String {
    let mut rng = stream(p.seed, 1, (a * 1000 + k) as u64);
    seeded_id(&mut rng)
}

/// How many of an expected `mean` happen: the whole part, and one more with the
/// probability of the fraction (so a year averages out exactly).
fn how_many(rng: &mut ChaCha8Rng, mean: f64) -> usize {
    let whole = mean.floor();
    let extra = usize::from(rng.gen_bool((mean - whole).clamp(0.0, 1.0)));
    whole as usize + extra
}

/// Contacts and an opportunity per account, written by the account's first rep.
pub fn setup_docs(p: &Params, account_ids: &[String], a: usize) -> Vec<GenDoc> {
    let rep = p.account_reps(a)[0];
    let mut rng = stream(p.seed, 2, a as u64);
    let mut docs = Vec::new();
    let mut contact_ids = Vec::new();
    for k in 0..p.contacts_per_account {
        let key = k < p.key_contacts_per_account;
        let title = ["采购总监", "设备部主管", "使用部门经理", "技术总监"][k % 4];
        let person = (format!("联系人 {a}-{k}"), title.to_owned());
        let id = contact_id(p, a, k);
        contact_ids.push(id.clone());
        docs.push(GenDoc {
            id,
            rep,
            record: AnyRecord::Contact(sample::contact(&mut rng, &account_ids[a], k, person, key)),
        });
    }
    docs.push(GenDoc {
        id: seeded_id(&mut rng),
        rep,
        record: AnyRecord::Opportunity(sample::opportunity(
            &mut rng,
            &account_ids[a],
            format!("客户 {a} 年度框架协议"),
            anchor_day(),
            &contact_ids,
        )),
    });
    docs
}

/// A moment in the window: a working day's hour, local time.
fn moment(rng: &mut ChaCha8Rng, start: i64, end: i64, hour_from: i64, hour_to: i64) -> LocalTime {
    let days = ((end - start) / DAY_MS).max(1);
    let day = rng.gen_range(0..days);
    let minute = rng.gen_range(hour_from * 60..hour_to * 60);
    let utc_ms = (start + day * DAY_MS + minute * 60_000).min(end - 60_000);
    LocalTime {
        utc_ms,
        offset_min: OFFSET_MIN,
    }
}

/// A visit on account `a` at `at`, as a rep logs it, meeting one or two of the
/// account's contacts.
pub fn visit(
    p: &Params,
    rng: &mut ChaCha8Rng,
    account_ids: &[String],
    a: usize,
    at: LocalTime,
) -> Visit {
    let duration_min = sample::duration_min(rng);
    let late = sample::logged_late(rng);
    let contacts_met = (0..rng.gen_range(1..=2))
        .map(|_| contact_id(p, a, rng.gen_range(0..p.contacts_per_account.max(1))))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let talk = Talk::draw(rng);
    let draft = VisitDraft {
        purpose: sample::purpose(rng),
        duration_min,
        contacts_met,
        talk,
        late,
    };
    draft.visit(rng, &account_ids[a], at, account_location(a))
}

/// Where account `a` is (for check-ins), spread over East China.
pub fn account_location(a: usize) -> (f64, f64) {
    let i = a as f64;
    (28.0 + (i * 0.37) % 5.0, 117.0 + (i * 0.53) % 5.0)
}

/// The records of account `a` in one window of history, each with the rep who writes it.
pub fn window_docs(
    p: &Params,
    account_ids: &[String],
    a: usize,
    w: usize,
    (start, end): (i64, i64),
) -> Vec<GenDoc> {
    let reps = p.account_reps(a);
    let mut rng = stream(p.seed, 3, (a * 10_000 + w) as u64);
    let years = (end - start) as f64 / (365.0 * DAY_MS as f64);
    let account = account_ids[a].as_str();
    let mut docs = Vec::new();
    let mut push = |rng: &mut ChaCha8Rng, record: AnyRecord| {
        let rep = reps[rng.gen_range(0..reps.len())];
        docs.push(GenDoc {
            id: seeded_id(rng),
            rep,
            record,
        });
    };
    let key_contact = |rng: &mut ChaCha8Rng| {
        (p.key_contacts_per_account > 0)
            .then(|| contact_id(p, a, rng.gen_range(0..p.key_contacts_per_account)))
    };
    let hours = |from, to| move |rng: &mut ChaCha8Rng| moment(rng, start, end, from, to);
    for _ in 0..how_many(&mut rng, p.visits_per_account_year * years) {
        let at = moment(&mut rng, start, end, 9, 17);
        let v = visit(p, &mut rng, account_ids, a, at);
        push(&mut rng, AnyRecord::Visit(v));
    }
    for _ in 0..how_many(&mut rng, FAVOURS_PER_YEAR * years) {
        let favour = sample::favour(&mut rng, account, key_contact, hours(12, 20));
        push(&mut rng, AnyRecord::Favour(favour));
    }
    for _ in 0..how_many(&mut rng, INTEL_PER_YEAR * years) {
        let intel = sample::intel(&mut rng, account, key_contact, hours(9, 18));
        push(&mut rng, AnyRecord::Intel(intel));
    }
    for _ in 0..how_many(&mut rng, INFO_PER_YEAR * years) {
        let report = sample::info_report(&mut rng, account, key_contact, hours(9, 18));
        push(&mut rng, AnyRecord::InfoReport(report));
    }
    for _ in 0..how_many(&mut rng, GREETINGS_PER_YEAR * years) {
        let greeting = sample::greeting(&mut rng, account, occasion, key_contact, hours(8, 10));
        push(&mut rng, AnyRecord::Greeting(greeting));
    }
    for _ in 0..how_many(&mut rng, EVENTS_PER_YEAR * years) {
        let event = sample::relationship_event(&mut rng, account, key_contact, hours(9, 18));
        push(&mut rng, AnyRecord::RelationshipEvent(event));
    }
    docs
}

/// A greeting's occasion: one of the four holidays or a birthday.
fn occasion(rng: &mut ChaCha8Rng) -> Occasion {
    [
        Occasion::SpringFestival,
        Occasion::MidAutumn,
        Occasion::DragonBoat,
        Occasion::NationalDay,
        Occasion::Birthday,
    ][rng.gen_range(0..5)]
}

/// A new visit the benchmark's device logs "now" (at the anchor day).
pub fn fresh_visit(p: &Params, account_ids: &[String], a: usize, n: u64) -> Visit {
    let mut rng = stream(p.seed, 4, n);
    let start = day_start_ms(anchor_day());
    let at = moment(&mut rng, start, start + DAY_MS, 9, 17);
    visit(p, &mut rng, account_ids, a, at)
}

/// The ISO week and the month of the anchor day, as report periods.
pub fn anchor_periods() -> (String, String) {
    let d = anchor_day();
    let w = d.iso_week();
    (
        format!("{}-W{:02}", w.year(), w.week()),
        format!("{}-{:02}", d.year(), d.month()),
    )
}
