//! `--demo`: a demo company to explore Rapport with, generated from a fixed seed.
//!
//! A manager, three reps and an admin; ten accounts with their contacts, each rep on a
//! few account teams (one account shared by two reps); eight weeks of visits up to today.
//! The same seed gives the same company, the same ids and the same visits relative to the
//! current week. Seeding is skipped when the company already exists.

use automerge::ActorId;
use chrono::{Datelike, TimeZone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapport_client_core::model::{self, AnyRecord, Contact, LocalTime, Visit};
use rapport_client_core::protocol::Role;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use crate::admin::{self, NewAccount, NewCompany, NewTeam, NewUser};
use crate::app::App;
use crate::auth::now_ms;
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
    let mut accounts = Vec::new();
    for a in &ACCOUNTS {
        accounts.push(
            admin::create_account(
                app,
                tenant_id,
                admin::SYSTEM_AUTHOR,
                NewAccount {
                    name: a.name.into(),
                    industry: Some(a.industry.into()),
                    city: Some(a.city.into()),
                    lat: Some(a.lat),
                    lon: Some(a.lon),
                },
            )
            .await?,
        );
    }
    for (rep, served) in reps.iter().zip(TEAMS) {
        for &i in served {
            admin::assign(app, tenant_id, &accounts[i].id, &rep.id).await?;
        }
    }

    let tz: chrono_tz::Tz = TIME_ZONE
        .parse()
        .map_err(|_| anyhow::anyhow!("demo time zone"))?;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let this_monday =
        today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));

    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    let mut seq = crate::sync::lock_sequence(&txn, tenant_id).await?;
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
        }
        .insert(&txn)
        .await?;
        let mut contacts: Vec<(usize, String)> = Vec::new();
        for &a in TEAMS[r] {
            // Shared accounts get their contacts from the first rep serving them.
            if TEAMS[..r].iter().any(|t| t.contains(&a)) {
                continue;
            }
            for (name, title) in ACCOUNTS[a].contacts {
                let id = seeded_id(&mut rng);
                let contact = Contact {
                    account_id: accounts[a].id.clone(),
                    name: (*name).into(),
                    title: Some((*title).into()),
                    phone: None,
                    notes: None,
                    deleted: false,
                    ..Default::default()
                };
                let mut doc = model::new_document(actor.clone());
                model::write_record(&mut doc, &contact).map_err(anyhow::Error::from)?;
                crate::sync::insert_new_document(
                    &txn,
                    tenant_id,
                    &id,
                    &rep.id,
                    &mut doc,
                    &AnyRecord::Contact(contact),
                    &mut seq,
                )
                .await?;
                contacts.push((a, id));
            }
        }
        for week in (0..WEEKS).rev() {
            let monday = this_monday - chrono::Duration::weeks(week);
            let n = rng.gen_range(6..=12);
            for _ in 0..n {
                let a = TEAMS[r][rng.gen_range(0..TEAMS[r].len())];
                let day = monday + chrono::Duration::days(rng.gen_range(0..5));
                let hour = rng.gen_range(9..17);
                let minute = [0, 15, 30, 45][rng.gen_range(0..4)];
                let Some(local) = day.and_hms_opt(hour, minute, 0) else {
                    continue;
                };
                let Some(at) = tz.from_local_datetime(&local).earliest() else {
                    continue;
                };
                let purpose = PURPOSES[rng.gen_range(0..PURPOSES.len())];
                let duration = rng.gen_range(2..=8) * 15;
                let met: Vec<String> = contacts
                    .iter()
                    .filter(|(acc, _)| *acc == a)
                    .map(|(_, id)| id.clone())
                    .take(1)
                    .collect();
                let id = seeded_id(&mut rng);
                if at > now {
                    continue; // Later this week: not happened yet.
                }
                let DemoAccount { lat, lon, .. } = ACCOUNTS[a];
                let visit = Visit {
                    account_id: accounts[a].id.clone(),
                    occurred_at: LocalTime::from_datetime(&at),
                    logged_at: LocalTime::from_datetime(
                        &(at + chrono::Duration::minutes(duration + 10)),
                    ),
                    duration_min: duration,
                    purpose: purpose.into(),
                    notes: String::new(),
                    contacts_met: met,
                    check_in: Some(model::CheckIn {
                        lat,
                        lon,
                        accuracy_m: 25.0,
                    }),
                    deleted: false,
                    ..Default::default()
                };
                let mut doc = model::new_document(actor.clone());
                model::write_record(&mut doc, &visit).map_err(anyhow::Error::from)?;
                crate::sync::insert_new_document(
                    &txn,
                    tenant_id,
                    &id,
                    &rep.id,
                    &mut doc,
                    &AnyRecord::Visit(visit),
                    &mut seq,
                )
                .await?;
            }
        }
    }
    crate::sync::set_sequence(&txn, tenant_id, seq).await?;
    txn.commit().await?;
    Ok(true)
}
