//! `--demo`: a demo company to explore Rapport with, generated from a fixed seed.
//!
//! A manager, three reps and an admin; ten accounts with their figures, stages and
//! contacts (key contacts with VIP cards, buying roles), an opportunity per account, each
//! rep on a few account teams (one account shared by two reps); eight weeks of visits (with
//! SPIN questions, objections, signals, next steps), favours, competitor intelligence,
//! customer information, holiday greetings and relationship events, up to today.
//! The same seed gives the same company, the same ids and the same visits relative to the
//! current week. Seeding is skipped when the company already exists.

use automerge::ActorId;
use chrono::{Datelike, TimeZone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapport_client_core::model::{
    self, Account, AdminLevel, AnyRecord, Assessment, Birthday, BuyingRole, Calendar, Channel,
    CheckIn, Confidence, Contact, EventKind, Favour, FavourKind, GeoPoint, Greeting, InfoKind,
    InfoReport, Intel, Judgement, LocalTime, Objection, Occasion, Opportunity, OpportunityStatus,
    PeriodMetrics, RelationshipEvent, RelationshipLevel, RoleContacts, Signal, Spin, Stage,
    StageStep, Step, VipCard, Visit, calendar,
};
use rapport_client_core::protocol::Role;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use crate::admin::{self, NewCompany, NewTeam, NewUser};
use crate::app::App;
use crate::changelog::{Sequence, insert_new_document};
use crate::clock::now_ms;
use crate::db::{devices, tenants};
use crate::error::ApiResult;

pub const COMPANY: &str = "demo";
pub const PASSWORD: &str = "rapport-demo";
pub const TIME_ZONE: &str = "Asia/Shanghai";
const SEED: u64 = 2026;
pub const WEEKS: i64 = 8;

/// (user name, display name)
pub const REPS: [(&str, &str); 3] = [("li", "李娜"), ("zhao", "赵强"), ("chen", "陈伟")];
pub const MANAGER: (&str, &str) = ("wang", "王经理");

/// One demo account and its contacts (name, title).
struct DemoAccount {
    name: &'static str,
    industry: &'static str,
    city: &'static str,
    lat: f64,
    lon: f64,
    contacts: &'static [(&'static str, &'static str)],
}

const ACCOUNTS: [DemoAccount; 10] = [
    DemoAccount {
        name: "华东钢铁集团",
        industry: "钢铁",
        city: "上海",
        lat: 31.23,
        lon: 121.47,
        contacts: &[
            ("张总", "采购总监"),
            ("刘工", "设备部主管"),
            ("周经理", "使用部门经理"),
        ],
    },
    DemoAccount {
        name: "江南化工",
        industry: "化工",
        city: "苏州",
        lat: 31.30,
        lon: 120.62,
        contacts: &[("吴总", "总经理"), ("郑工", "技术总监")],
    },
    DemoAccount {
        name: "海润食品",
        industry: "食品",
        city: "杭州",
        lat: 30.27,
        lon: 120.15,
        contacts: &[("孙经理", "采购经理"), ("钱主任", "质量主任")],
    },
    DemoAccount {
        name: "东方汽车零部件",
        industry: "汽车",
        city: "宁波",
        lat: 29.87,
        lon: 121.54,
        contacts: &[
            ("冯总", "副总经理"),
            ("陈工", "工艺工程师"),
            ("褚经理", "生产经理"),
        ],
    },
    DemoAccount {
        name: "金陵医药",
        industry: "医药",
        city: "南京",
        lat: 32.06,
        lon: 118.80,
        contacts: &[("卫总", "董事长"), ("蒋主任", "设备主任")],
    },
    DemoAccount {
        name: "明珠电子",
        industry: "电子",
        city: "无锡",
        lat: 31.49,
        lon: 120.31,
        contacts: &[("沈经理", "采购经理"), ("韩工", "研发主管")],
    },
    DemoAccount {
        name: "长江物流",
        industry: "物流",
        city: "南通",
        lat: 31.98,
        lon: 120.89,
        contacts: &[("杨总", "运营总监"), ("朱经理", "仓储经理")],
    },
    DemoAccount {
        name: "太湖纺织",
        industry: "纺织",
        city: "常州",
        lat: 31.81,
        lon: 119.97,
        contacts: &[("秦总", "总经理"), ("尤工", "设备工程师")],
    },
    DemoAccount {
        name: "新安建材",
        industry: "建材",
        city: "合肥",
        lat: 31.82,
        lon: 117.23,
        contacts: &[("许经理", "采购经理"), ("何总", "副总裁")],
    },
    DemoAccount {
        name: "瓯江电器",
        industry: "电器",
        city: "温州",
        lat: 28.00,
        lon: 120.67,
        contacts: &[("吕主任", "办公室主任"), ("施工", "技术总监")],
    },
];

/// Which accounts (by index) each rep serves; account 3 is shared by li and zhao.
const TEAMS: [&[usize]; 3] = [&[0, 1, 2, 3], &[3, 4, 5, 6], &[7, 8, 9]];

const PURPOSES: [&str; 6] = [
    "季度业务回顾",
    "新品技术交流",
    "了解采购计划",
    "售后问题跟进",
    "拜访决策者",
    "节日问候拜访",
];

/// An independent random stream for one rep and one part of the seed.
fn stream(rep: usize, part: i64) -> ChaCha8Rng {
    let rep = u64::try_from(rep).unwrap_or(0);
    ChaCha8Rng::seed_from_u64(SEED ^ (rep << 32) ^ part.cast_unsigned().wrapping_mul(0x9E37_79B9))
}

fn seeded_id(rng: &mut ChaCha8Rng) -> String {
    let bytes: [u8; 16] = rng.r#gen();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// What `--demo` prints: who can sign in and what to try.
pub fn banner(server_url: &str) -> String {
    let reps: Vec<String> = REPS.iter().map(|(u, _)| (*u).to_owned()).collect();
    format!(
        "Demo company '{COMPANY}' (time zone {TIME_ZONE}); every password is '{PASSWORD}'.\n\
         \x20 manager: {}   reps: {}   admin: admin\n\
         Try, in another terminal:\n\
         \x20 cargo run -p rapport-cli -- --home /tmp/rapport-li login --server {server_url} --company {COMPANY} --user li --password {PASSWORD}\n\
         \x20 cargo run -p rapport-cli -- --home /tmp/rapport-li sync\n\
         \x20 cargo run -p rapport-cli -- --home /tmp/rapport-li accounts\n\
         \x20 cargo run -p rapport-cli -- --home /tmp/rapport-wang login --server {server_url} --company {COMPANY} --user wang --password {PASSWORD}\n\
         \x20 cargo run -p rapport-cli -- --home /tmp/rapport-wang report weekly",
        MANAGER.0,
        reps.join(", "),
    )
}

/// Seeds the demo company unless it exists. Returns whether it seeded.
pub async fn seed(app: &App) -> ApiResult<bool> {
    let exists = tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(COMPANY))
        .one(&app.db)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let company = admin::create_company(
        app,
        NewCompany {
            slug: COMPANY.into(),
            name: "Rapport 示范公司".into(),
            time_zone: TIME_ZONE.into(),
            admin_username: "admin".into(),
            admin_password: PASSWORD.into(),
        },
    )
    .await?;
    let tenant_id = company.id.as_str();
    let team = admin::create_team(
        app,
        tenant_id,
        NewTeam {
            name: "华东大客户部".into(),
        },
    )
    .await?;
    admin::create_user(
        app,
        tenant_id,
        NewUser {
            username: MANAGER.0.into(),
            display_name: Some(MANAGER.1.into()),
            password: PASSWORD.into(),
            role: Role::Manager,
            team_id: Some(team.id.clone()),
        },
    )
    .await?;
    let mut reps = Vec::new();
    for (username, display) in REPS {
        reps.push(
            admin::create_user(
                app,
                tenant_id,
                NewUser {
                    username: username.into(),
                    display_name: Some(display.into()),
                    password: PASSWORD.into(),
                    role: Role::Rep,
                    team_id: Some(team.id.clone()),
                },
            )
            .await?,
        );
    }
    let tz: chrono_tz::Tz = TIME_ZONE
        .parse()
        .map_err(|_| anyhow::anyhow!("demo time zone"))?;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let this_monday =
        today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let first_day = this_monday - chrono::Duration::weeks(WEEKS - 1);
    // A moment on a given day, if it has already happened.
    let moment = |day: chrono::NaiveDate, hour: u32, minute: u32| {
        let local = day.and_hms_opt(hour, minute, 0)?;
        let at = tz.from_local_datetime(&local).earliest()?;
        (at <= now).then(|| LocalTime::from_datetime(&at))
    };

    let account_ids: Vec<String> = ACCOUNTS.iter().map(|_| seeded_id(&mut rng)).collect();
    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    let mut seed = Seed {
        seq: Sequence::lock(&txn, tenant_id).await?,
    };
    for (i, a) in ACCOUNTS.iter().enumerate() {
        // Four quarters of figures (万元); the pyramid puts a few accounts on top.
        let scale = [
            260.0, 120.0, 90.0, 210.0, 60.0, 140.0, 35.0, 80.0, 45.0, 20.0,
        ][i];
        let metrics = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
            .iter()
            .map(|period| PeriodMetrics {
                period: (*period).into(),
                sales: Some((scale * rng.gen_range(0.8..1.2_f64)).round()),
                profit: Some((scale * rng.gen_range(0.1..0.2_f64)).round()),
                collections: Some((scale * rng.gen_range(0.7..1.0_f64)).round()),
                transactions: Some(rng.gen_range(3..30)),
            })
            .collect();
        let stage = Stage::ALL[(i * 3 + 1) % Stage::ALL.len()];
        let history = Stage::ALL
            .iter()
            .take_while(|s| **s <= stage)
            .enumerate()
            .filter_map(|(k, s)| {
                let day = first_day - chrono::Duration::weeks(52 - 10 * i64::try_from(k).ok()?);
                Some(StageStep {
                    id: seeded_id(&mut rng),
                    stage: *s,
                    at: moment(day, 10, 0)?,
                })
            })
            .collect();
        let account = Account {
            name: a.name.into(),
            industry: Some(a.industry.into()),
            city: Some(a.city.into()),
            location: Some(GeoPoint {
                lat: a.lat,
                lon: a.lon,
            }),
            metrics,
            current_value: Some(1 + i64::try_from(i % 5).unwrap_or(0)),
            potential_value: Some(5 - i64::try_from(i % 4).unwrap_or(0)),
            stage: Some(stage),
            stage_history: history,
            ..Account::default()
        };
        let actor = ActorId::from(rng.r#gen::<[u8; 16]>());
        seed.insert(
            &txn,
            &account_ids[i],
            admin::SYSTEM_AUTHOR,
            actor,
            AnyRecord::Account(account),
        )
        .await?;
    }

    for (r, rep) in reps.iter().enumerate() {
        // The rep's seeding "device", so every change has a registered actor.
        let actor = ActorId::from(rng.r#gen::<[u8; 16]>());
        devices::ActiveModel {
            id: Set(seeded_id(&mut rng)),
            tenant_id: Set(tenant_id.to_owned()),
            user_id: Set(rep.id.clone()),
            actor_id: Set(actor.to_hex_string()),
            name: Set("demo seed".into()),
            active: Set(false),
            created_at: Set(now_ms()),
            told_seq: Set(0),
        }
        .insert(&txn)
        .await?;
        let mut put = async |id: String, record: AnyRecord| -> ApiResult<String> {
            seed.insert(&txn, &id, &rep.id, actor.clone(), record)
                .await?;
            Ok(id)
        };
        let mut contacts: Vec<(usize, String, bool)> = Vec::new();
        let mut birthdays: Vec<(usize, String, Birthday)> = Vec::new();
        for &a in TEAMS[r] {
            // Shared accounts get their contacts from the first rep serving them.
            if TEAMS[..r].iter().any(|t| t.contains(&a)) {
                continue;
            }
            for (k, (name, title)) in ACCOUNTS[a].contacts.iter().enumerate() {
                let key = k == 0 || title.contains('总');
                let roles = match k {
                    0 => vec![BuyingRole::DecisionMaker],
                    1 => vec![BuyingRole::TechnicalGatekeeper, BuyingRole::Coach],
                    _ => vec![BuyingRole::User],
                };
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
                if let Some(b) = card.as_ref().and_then(|c| c.birthday) {
                    birthdays.push((a, String::new(), b));
                }
                let contact = Contact {
                    account_id: account_ids[a].clone(),
                    name: (*name).into(),
                    title: Some((*title).into()),
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
                };
                let id = put(seeded_id(&mut rng), AnyRecord::Contact(contact)).await?;
                if let Some(last) = birthdays.last_mut()
                    && last.1.is_empty()
                {
                    last.1 = id.clone();
                }
                contacts.push((a, id, key));
            }
            // One opportunity per account, its roles partly filled: some sit in the
            // danger zone.
            let of = |role: usize| -> Vec<String> {
                contacts
                    .iter()
                    .filter(|(acc, _, _)| *acc == a)
                    .nth(role)
                    .map(|(_, id, _)| vec![id.clone()])
                    .unwrap_or_default()
            };
            let step = |j: Judgement, note: &str| Step {
                judgement: Some(j),
                note: note.into(),
            };
            let opportunity = Opportunity {
                account_id: account_ids[a].clone(),
                name: format!("{} 年度框架协议", ACCOUNTS[a].name),
                value: Some(f64::from(rng.gen_range(50..500_u32)) * 10_000.0),
                status: OpportunityStatus::Open,
                expected_close: Some(
                    (today + chrono::Duration::days(rng.gen_range(20..120)))
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
            };
            put(seeded_id(&mut rng), AnyRecord::Opportunity(opportunity)).await?;
        }
        for week in (0..WEEKS).rev() {
            // Each rep's week draws from its own stream, so what has not happened yet this
            // week (skipped) never shifts the rest of the company.
            let mut rng = stream(r, week);
            let monday = this_monday - chrono::Duration::weeks(week);
            let n = rng.gen_range(6..=12);
            for _ in 0..n {
                let a = TEAMS[r][rng.gen_range(0..TEAMS[r].len())];
                let day = monday + chrono::Duration::days(rng.gen_range(0..5));
                let hour = rng.gen_range(9..17);
                let minute = [0, 15, 30, 45][rng.gen_range(0..4)];
                let purpose = PURPOSES[rng.gen_range(0..PURPOSES.len())];
                let duration = rng.gen_range(2..=8) * 15;
                let met: Vec<String> = contacts
                    .iter()
                    .filter(|(acc, _, _)| *acc == a)
                    .map(|(_, id, _)| id.clone())
                    .take(rng.gen_range(1..=2))
                    .collect();
                let pick = |rng: &mut ChaCha8Rng, p: f64| rng.gen_bool(p);
                let spin = Spin::ALL
                    .iter()
                    .copied()
                    .filter(|_| pick(&mut rng, 0.5))
                    .collect::<Vec<_>>();
                let objections = Objection::ALL
                    .iter()
                    .copied()
                    .filter(|_| pick(&mut rng, 0.15))
                    .collect::<Vec<_>>();
                let signals = Signal::ALL
                    .iter()
                    .copied()
                    .filter(|_| pick(&mut rng, 0.2))
                    .collect::<Vec<_>>();
                let next = pick(&mut rng, 0.3);
                let late = pick(&mut rng, 0.1);
                let id = seeded_id(&mut rng);
                let Some(at) = moment(day, hour, minute) else {
                    continue; // Later this week: not happened yet.
                };
                let logged_after = if late { 60 * 30 } else { duration + 10 };
                let visit = Visit {
                    account_id: account_ids[a].clone(),
                    occurred_at: at,
                    logged_at: LocalTime {
                        utc_ms: at.utc_ms + logged_after * 60_000,
                        offset_min: at.offset_min,
                    },
                    duration_min: duration,
                    purpose: purpose.into(),
                    contacts_met: met,
                    check_in: Some(CheckIn {
                        lat: ACCOUNTS[a].lat + rng.gen_range(-0.002..0.002),
                        lon: ACCOUNTS[a].lon + rng.gen_range(-0.002..0.002),
                        accuracy_m: 25.0,
                    }),
                    spin,
                    objections,
                    signals,
                    next_step: next.then(|| "发送技术方案".into()),
                    next_step_due: next.then(|| {
                        (day + chrono::Duration::days(10))
                            .format("%Y-%m-%d")
                            .to_string()
                    }),
                    ..Visit::default()
                };
                put(id, AnyRecord::Visit(visit)).await?;
            }
            // The week's relationship work besides visits.
            let a = TEAMS[r][rng.gen_range(0..TEAMS[r].len())];
            let day = monday + chrono::Duration::days(rng.gen_range(0..5));
            let contact = contacts
                .iter()
                .find(|(acc, _, key)| *acc == a && *key)
                .map(|(_, id, _)| id.clone());
            let Some(at) = moment(day, 18, 30) else {
                continue;
            };
            let personal = rng.gen_bool(0.4);
            let favour = Favour {
                account_id: account_ids[a].clone(),
                contact_id: contact.clone(),
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
                // Now and then a gift above the limit, for the manager to review.
                value: rng
                    .gen_bool(0.15)
                    .then(|| f64::from(rng.gen_range(600..2000_u32))),
                occurred_at: at,
                ..Favour::default()
            };
            put(seeded_id(&mut rng), AnyRecord::Favour(favour)).await?;
            if rng.gen_bool(0.6) {
                let intel = Intel {
                    account_id: account_ids[a].clone(),
                    competitor: ["西门子", "ABB", "施耐德"][rng.gen_range(0..3)].into(),
                    product: Some("变频器".into()),
                    price: Some(f64::from(rng.gen_range(80..120_u32)) * 100.0),
                    observation: "报价下调约5%，承诺两周交货".into(),
                    source_contact_id: contact.clone(),
                    confidence: Confidence::ALL[rng.gen_range(0..3)],
                    occurred_at: at,
                    ..Intel::default()
                };
                put(seeded_id(&mut rng), AnyRecord::Intel(intel)).await?;
            }
            if rng.gen_bool(0.5) {
                let kind = InfoKind::ALL[rng.gen_range(0..3)];
                let report = InfoReport {
                    account_id: account_ids[a].clone(),
                    kind,
                    figure: (kind != InfoKind::ConsumerFeedback)
                        .then(|| f64::from(rng.gen_range(100..5000_u32))),
                    unit: (kind != InfoKind::ConsumerFeedback).then(|| "台".into()),
                    details: match kind {
                        InfoKind::Shipments => "本月出货",
                        InfoKind::Inventory => "仓库库存",
                        InfoKind::ConsumerFeedback => "终端反映噪音偏大",
                    }
                    .into(),
                    contact_id: contact.clone(),
                    occurred_at: at,
                    ..InfoReport::default()
                };
                put(seeded_id(&mut rng), AnyRecord::InfoReport(report)).await?;
            }
            if rng.gen_bool(0.25) {
                let event = RelationshipEvent {
                    account_id: account_ids[a].clone(),
                    kind: EventKind::ALL[rng.gen_range(0..3)],
                    description: "新品发布会第一个邀请我司".into(),
                    contact_id: contact.clone(),
                    occurred_at: at,
                    ..RelationshipEvent::default()
                };
                put(seeded_id(&mut rng), AnyRecord::RelationshipEvent(event)).await?;
            }
        }
        // Holiday greetings for key contacts on the holidays of the period.
        let mut rng = stream(r, -1);
        for (occasion, date) in
            calendar::holidays_between(first_day, (today - first_day).num_days())
        {
            for (a, contact, _) in contacts.iter().filter(|(_, _, key)| *key) {
                if !rng.gen_bool(0.7) {
                    continue;
                }
                let Some(at) = moment(date, 9, 0) else {
                    continue;
                };
                let greeting = Greeting {
                    account_id: account_ids[*a].clone(),
                    contact_id: Some(contact.clone()),
                    occasion,
                    channel: [Channel::WeChat, Channel::Phone, Channel::Gift][rng.gen_range(0..3)],
                    occurred_at: at,
                    ..Greeting::default()
                };
                put(seeded_id(&mut rng), AnyRecord::Greeting(greeting)).await?;
            }
        }
        // Birthday greetings for the key contacts whose birthday fell in the period.
        for (a, contact, birthday) in &birthdays {
            let span = (today - first_day).num_days();
            let Some(date) = calendar::next_birthday(*birthday, first_day, span) else {
                continue;
            };
            let (Some(at), true) = (moment(date, 8, 30), rng.gen_bool(0.8)) else {
                continue;
            };
            let greeting = Greeting {
                account_id: account_ids[*a].clone(),
                contact_id: Some(contact.clone()),
                occasion: Occasion::Birthday,
                channel: Channel::Gift,
                occurred_at: at,
                notes: "生日蛋糕".into(),
                ..Greeting::default()
            };
            put(seeded_id(&mut rng), AnyRecord::Greeting(greeting)).await?;
        }
    }
    seed.seq.finish(&txn).await?;
    txn.commit().await?;
    drop(_writer);

    for (rep, served) in reps.iter().zip(TEAMS) {
        for &i in served {
            admin::assign(app, tenant_id, &account_ids[i], &rep.id).await?;
        }
    }
    Ok(true)
}

/// Writes seeded documents under the tenant's sequence.
struct Seed {
    seq: Sequence,
}

impl Seed {
    async fn insert(
        &mut self,
        txn: &sea_orm::DatabaseTransaction,
        id: &str,
        author: &str,
        actor: ActorId,
        record: AnyRecord,
    ) -> ApiResult<()> {
        let mut doc = model::new_document(actor);
        record.write(&mut doc).map_err(anyhow::Error::from)?;
        insert_new_document(txn, &mut self.seq, id, author, &mut doc, &record).await
    }
}
