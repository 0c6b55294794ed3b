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
use rapport_client_core::model::{
    AdminLevel, AnyRecord, Assessment, Birthday, BuyingRole, Calendar, Channel, CheckIn,
    Confidence, Contact, EventKind, Favour, FavourKind, Greeting, InfoKind, InfoReport, Intel,
    Judgement, LocalTime, Objection, Occasion, Opportunity, OpportunityStatus, RelationshipEvent,
    RelationshipLevel, RoleContacts, Signal, Spin, Step, VipCard, Visit,
};

/// Bumped whenever generation changes, so cached databases of an older generator are
/// never reused.
pub const GENERATOR_VERSION: u32 = 1;

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

fn seeded_id(rng: &mut ChaCha8Rng) -> String {
    let bytes: [u8; 16] = rng.r#gen();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
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
        let card = key.then(|| VipCard {
            knows_rep_name: rng.gen_bool(0.8),
            interests: ["高尔夫", "茶道", "钓鱼", "书法", ""][rng.gen_range(0..5)].into(),
            birthday: rng.gen_bool(0.7).then(|| Birthday {
                calendar: if rng.gen_bool(0.4) {
                    Calendar::Lunar
                } else {
                    Calendar::Solar
                },
                month: rng.gen_range(1..=12),
                day: rng.gen_range(1..=28),
                leap_month: false,
            }),
            concerns: if rng.gen_bool(0.5) {
                "孩子明年高考".into()
            } else {
                String::new()
            },
            helped_with_concern: rng.gen_bool(0.3),
            notes: String::new(),
        });
        let roles = match k {
            0 => vec![BuyingRole::DecisionMaker],
            1 => vec![BuyingRole::TechnicalGatekeeper, BuyingRole::Coach],
            _ => vec![BuyingRole::User],
        };
        let id = contact_id(p, a, k);
        contact_ids.push(id.clone());
        docs.push(GenDoc {
            id,
            rep,
            record: AnyRecord::Contact(Contact {
                account_id: account_ids[a].clone(),
                name: format!("联系人 {a}-{k}"),
                title: Some(["采购总监", "设备部主管", "使用部门经理", "技术总监"][k % 4].into()),
                admin_level: Some(match k {
                    0 => AdminLevel::Executive,
                    1 => AdminLevel::DepartmentHead,
                    _ => AdminLevel::Staff,
                }),
                relationship_level: Some(RelationshipLevel::ALL[rng.gen_range(0..4)]),
                roles,
                key_contact: key,
                vip_card: card,
                ..Contact::default()
            }),
        });
    }
    let of = |k: usize| contact_ids.get(k).cloned().into_iter().collect::<Vec<_>>();
    let step = |j: Judgement, note: &str| Step {
        judgement: Some(j),
        note: note.into(),
    };
    docs.push(GenDoc {
        id: seeded_id(&mut rng),
        rep,
        record: AnyRecord::Opportunity(Opportunity {
            account_id: account_ids[a].clone(),
            name: format!("客户 {a} 年度框架协议"),
            value: Some(f64::from(rng.gen_range(50..500_u32)) * 10_000.0),
            status: OpportunityStatus::Open,
            expected_close: Some(
                (anchor_day() + chrono::Duration::days(rng.gen_range(20..120)))
                    .format("%Y-%m-%d")
                    .to_string(),
            ),
            assessment: Assessment {
                real: step(Judgement::Yes, "预算已批"),
                competition: step(Judgement::Yes, "两家竞争"),
                can_win: step(Judgement::Unsure, "技术评分接近"),
                worth_winning: step(Judgement::Yes, "三年框架"),
            },
            roles: RoleContacts {
                decision_maker: of(0),
                technical_gatekeeper: of(1),
                coach: of(1),
                user: of(2),
            },
            ..Opportunity::default()
        }),
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

const PURPOSES: [&str; 6] = [
    "季度业务回顾",
    "新品技术交流",
    "了解采购计划",
    "售后问题跟进",
    "拜访决策者",
    "节日问候拜访",
];

/// A visit on account `a` at `at`, as a rep logs it.
pub fn visit(
    p: &Params,
    rng: &mut ChaCha8Rng,
    account_ids: &[String],
    a: usize,
    at: LocalTime,
) -> Visit {
    let duration = rng.gen_range(2..=8) * 15;
    let late = rng.gen_bool(0.1);
    let met = (0..rng.gen_range(1..=2))
        .map(|_| contact_id(p, a, rng.gen_range(0..p.contacts_per_account.max(1))))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let spin = Spin::ALL
        .iter()
        .copied()
        .filter(|_| rng.gen_bool(0.5))
        .collect();
    let objections = Objection::ALL
        .iter()
        .copied()
        .filter(|_| rng.gen_bool(0.15))
        .collect();
    let signals = Signal::ALL
        .iter()
        .copied()
        .filter(|_| rng.gen_bool(0.2))
        .collect();
    let next = rng.gen_bool(0.3);
    let (lat, lon) = account_location(a);
    Visit {
        account_id: account_ids[a].clone(),
        occurred_at: at,
        logged_at: LocalTime {
            utc_ms: at.utc_ms
                + if late {
                    30 * 3_600_000
                } else {
                    (duration + 10) * 60_000
                },
            offset_min: at.offset_min,
        },
        duration_min: duration,
        purpose: PURPOSES[rng.gen_range(0..PURPOSES.len())].into(),
        contacts_met: met,
        check_in: Some(CheckIn {
            lat: lat + rng.gen_range(-0.002..0.002),
            lon: lon + rng.gen_range(-0.002..0.002),
            accuracy_m: 25.0,
        }),
        spin,
        objections,
        signals,
        next_step: next.then(|| "发送技术方案".into()),
        next_step_due: next.then(|| {
            chrono::DateTime::from_timestamp_millis(at.utc_ms + 10 * DAY_MS)
                .map(|t| t.date_naive().format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        }),
        ..Visit::default()
    }
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
    let mut docs = Vec::new();
    let key_contact = |rng: &mut ChaCha8Rng| {
        (p.key_contacts_per_account > 0)
            .then(|| contact_id(p, a, rng.gen_range(0..p.key_contacts_per_account)))
    };
    let push = |rng: &mut ChaCha8Rng, docs: &mut Vec<GenDoc>, record: AnyRecord| {
        let rep = reps[rng.gen_range(0..reps.len())];
        docs.push(GenDoc {
            id: seeded_id(rng),
            rep,
            record,
        });
    };
    for _ in 0..how_many(&mut rng, p.visits_per_account_year * years) {
        let at = moment(&mut rng, start, end, 9, 17);
        let v = visit(p, &mut rng, account_ids, a, at);
        push(&mut rng, &mut docs, AnyRecord::Visit(v));
    }
    for _ in 0..how_many(&mut rng, FAVOURS_PER_YEAR * years) {
        let personal = rng.gen_bool(0.4);
        let favour = Favour {
            account_id: account_ids[a].clone(),
            contact_id: key_contact(&mut rng),
            kind: if personal {
                FavourKind::Personal
            } else {
                FavourKind::Business
            },
            description: if personal {
                "帮忙联系孩子实习单位".into()
            } else {
                "协调加急发货".into()
            },
            value: rng
                .gen_bool(0.15)
                .then(|| f64::from(rng.gen_range(600..2000_u32))),
            occurred_at: moment(&mut rng, start, end, 12, 20),
            ..Favour::default()
        };
        push(&mut rng, &mut docs, AnyRecord::Favour(favour));
    }
    for _ in 0..how_many(&mut rng, INTEL_PER_YEAR * years) {
        let intel = Intel {
            account_id: account_ids[a].clone(),
            competitor: ["西门子", "ABB", "施耐德"][rng.gen_range(0..3)].into(),
            product: Some("变频器".into()),
            price: Some(f64::from(rng.gen_range(80..120_u32)) * 100.0),
            observation: "报价下调约5%，承诺两周交货".into(),
            source_contact_id: key_contact(&mut rng),
            confidence: Confidence::ALL[rng.gen_range(0..3)],
            occurred_at: moment(&mut rng, start, end, 9, 18),
            ..Intel::default()
        };
        push(&mut rng, &mut docs, AnyRecord::Intel(intel));
    }
    for _ in 0..how_many(&mut rng, INFO_PER_YEAR * years) {
        let kind = InfoKind::ALL[rng.gen_range(0..3)];
        let report = InfoReport {
            account_id: account_ids[a].clone(),
            kind,
            figure: (kind != InfoKind::ConsumerFeedback)
                .then(|| f64::from(rng.gen_range(100..5000_u32))),
            unit: (kind != InfoKind::ConsumerFeedback).then(|| "台".into()),
            details: "本月情况".into(),
            contact_id: key_contact(&mut rng),
            occurred_at: moment(&mut rng, start, end, 9, 18),
            ..InfoReport::default()
        };
        push(&mut rng, &mut docs, AnyRecord::InfoReport(report));
    }
    for _ in 0..how_many(&mut rng, GREETINGS_PER_YEAR * years) {
        let occasion = [
            Occasion::SpringFestival,
            Occasion::MidAutumn,
            Occasion::DragonBoat,
            Occasion::NationalDay,
            Occasion::Birthday,
        ][rng.gen_range(0..5)];
        let greeting = Greeting {
            account_id: account_ids[a].clone(),
            contact_id: key_contact(&mut rng),
            occasion,
            channel: [Channel::WeChat, Channel::Phone, Channel::Gift][rng.gen_range(0..3)],
            occurred_at: moment(&mut rng, start, end, 8, 10),
            ..Greeting::default()
        };
        push(&mut rng, &mut docs, AnyRecord::Greeting(greeting));
    }
    for _ in 0..how_many(&mut rng, EVENTS_PER_YEAR * years) {
        let event = RelationshipEvent {
            account_id: account_ids[a].clone(),
            kind: EventKind::ALL[rng.gen_range(0..3)],
            description: "新品发布会第一个邀请我司".into(),
            contact_id: key_contact(&mut rng),
            occurred_at: moment(&mut rng, start, end, 9, 18),
            ..RelationshipEvent::default()
        };
        push(&mut rng, &mut docs, AnyRecord::RelationshipEvent(event));
    }
    docs
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
