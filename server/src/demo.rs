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
use chrono::{NaiveDate, TimeZone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapport_client_core::model::{
    self, Account, AnyRecord, Birthday, Channel, GeoPoint, Greeting, LocalTime, Occasion,
    PeriodMetrics, Stage, StageStep, calendar,
};
use rapport_client_core::protocol::Role;
use rapport_sample::{self as sample, Talk, VisitDraft, seeded_id};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use crate::admin::{self, NewCompany, NewTeam, NewUser, UserView};
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

/// An independent random stream for one rep and one part of the seed.
fn stream(rep: usize, part: i64) -> ChaCha8Rng {
    let rep = u64::try_from(rep).unwrap_or(0);
    ChaCha8Rng::seed_from_u64(SEED ^ (rep << 32) ^ part.cast_unsigned().wrapping_mul(0x9E37_79B9))
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
    let (tenant_id, reps) = create_people(app).await?;
    let tenant_id = tenant_id.as_str();
    let period = Period::up_to_now()?;
    let account_ids: Vec<String> = ACCOUNTS.iter().map(|_| seeded_id(&mut rng)).collect();
    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    let mut seed = Seed {
        txn: &txn,
        seq: Sequence::lock(&txn, tenant_id).await?,
    };
    seed_accounts(&mut seed, &mut rng, &account_ids, &period).await?;
    for (r, rep) in reps.iter().enumerate() {
        let actor = seeding_device(&seed, &mut rng, &rep.id).await?;
        let mut rep = RepSeed {
            seed: &mut seed,
            rep_id: &rep.id,
            actor,
            account_ids: &account_ids,
            period: &period,
            contacts: Vec::new(),
            birthdays: Vec::new(),
        };
        rep.seed(&mut rng, r).await?;
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

/// Creates the company (with its admin), its team, the manager and the reps; returns the
/// company's id and the reps.
async fn create_people(app: &App) -> ApiResult<(String, Vec<UserView>)> {
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
    let user = |(username, display): (&str, &str), role| NewUser {
        username: username.into(),
        display_name: Some(display.into()),
        password: PASSWORD.into(),
        role,
        team_id: Some(team.id.clone()),
    };
    admin::create_user(app, tenant_id, user(MANAGER, Role::Manager)).await?;
    let mut reps = Vec::new();
    for rep in REPS {
        reps.push(admin::create_user(app, tenant_id, user(rep, Role::Rep)).await?);
    }
    Ok((company.id, reps))
}

/// The demo's eight weeks in the company's time zone, up to now.
struct Period {
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
    today: NaiveDate,
    this_monday: NaiveDate,
    first_day: NaiveDate,
}

impl Period {
    fn up_to_now() -> ApiResult<Period> {
        let tz: chrono_tz::Tz = TIME_ZONE
            .parse()
            .map_err(|_| anyhow::anyhow!("demo time zone"))?;
        let now = crate::clock::now();
        let today = now.with_timezone(&tz).date_naive();
        let this_monday = crate::periods::monday_of(today);
        Ok(Period {
            tz,
            now,
            today,
            this_monday,
            first_day: this_monday - chrono::Duration::weeks(WEEKS - 1),
        })
    }

    /// Days from the first day of the period to today.
    fn days(&self) -> i64 {
        (self.today - self.first_day).num_days()
    }

    /// A moment on a given day, if it has already happened.
    fn moment(&self, day: NaiveDate, hour: u32, minute: u32) -> Option<LocalTime> {
        let local = day.and_hms_opt(hour, minute, 0)?;
        let at = self.tz.from_local_datetime(&local).earliest()?;
        (at <= self.now).then(|| LocalTime::from_datetime(&at))
    }
}

/// Each account's yearly sales in 万元: the pyramid puts a few accounts on top.
const SCALES: [f64; 10] = [
    260.0, 120.0, 90.0, 210.0, 60.0, 140.0, 35.0, 80.0, 45.0, 20.0,
];

/// The accounts, written by the system.
async fn seed_accounts(
    seed: &mut Seed<'_>,
    rng: &mut ChaCha8Rng,
    account_ids: &[String],
    period: &Period,
) -> ApiResult<()> {
    for (i, a) in ACCOUNTS.iter().enumerate() {
        let account = account(rng, i, a, period);
        let actor = ActorId::from(rng.r#gen::<[u8; 16]>());
        seed.insert(
            &account_ids[i],
            admin::SYSTEM_AUTHOR,
            actor,
            AnyRecord::Account(account),
        )
        .await?;
    }
    Ok(())
}

/// Account `i`: four quarters of figures, and the stages it went through over the past
/// year up to its stage now.
fn account(rng: &mut ChaCha8Rng, i: usize, a: &DemoAccount, period: &Period) -> Account {
    let scale = SCALES[i];
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
            let weeks_ago = 52 - 10 * i64::try_from(k).ok()?;
            let day = period.first_day - chrono::Duration::weeks(weeks_ago);
            Some(StageStep {
                id: seeded_id(rng),
                stage: *s,
                at: period.moment(day, 10, 0)?,
            })
        })
        .collect();
    Account {
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
    }
}

/// Registers a rep's seeding "device", so every change the rep's records carry has a
/// registered actor; returns the actor.
async fn seeding_device(seed: &Seed<'_>, rng: &mut ChaCha8Rng, rep_id: &str) -> ApiResult<ActorId> {
    let actor = ActorId::from(rng.r#gen::<[u8; 16]>());
    devices::ActiveModel {
        id: Set(seeded_id(rng)),
        tenant_id: Set(seed.seq.tenant_id().to_owned()),
        user_id: Set(rep_id.to_owned()),
        actor_id: Set(actor.to_hex_string()),
        name: Set("demo seed".into()),
        active: Set(false),
        created_at: Set(now_ms()),
        told_seq: Set(0),
    }
    .insert(seed.txn)
    .await?;
    Ok(actor)
}

/// One rep's records, written from the rep's seeding device.
struct RepSeed<'s, 'a> {
    seed: &'s mut Seed<'a>,
    rep_id: &'s str,
    actor: ActorId,
    account_ids: &'s [String],
    period: &'s Period,
    /// The contacts the rep wrote: (account index, contact id, key contact).
    contacts: Vec<(usize, String, bool)>,
    /// The birthdays on key contacts' VIP cards: (account index, contact id, birthday).
    birthdays: Vec<(usize, String, Birthday)>,
}

impl RepSeed<'_, '_> {
    /// Seeds rep `r`'s accounts (their contacts and opportunity), eight weeks of
    /// visits and relationship work, and the greetings of the period.
    async fn seed(&mut self, rng: &mut ChaCha8Rng, r: usize) -> ApiResult<()> {
        for &a in TEAMS[r] {
            // Shared accounts get their contacts from the first rep serving them.
            if TEAMS[..r].iter().any(|t| t.contains(&a)) {
                continue;
            }
            self.account_people(rng, a).await?;
        }
        for week in (0..WEEKS).rev() {
            self.week(r, week).await?;
        }
        // Greetings draw from their own stream too.
        let mut rng = stream(r, -1);
        self.holiday_greetings(&mut rng).await?;
        self.birthday_greetings(&mut rng).await
    }

    /// Writes `record` as document `id`.
    async fn put(&mut self, id: String, record: AnyRecord) -> ApiResult<String> {
        self.seed
            .insert(&id, self.rep_id, self.actor.clone(), record)
            .await?;
        Ok(id)
    }

    /// The ids of the contacts the rep wrote on account `a`, in order.
    fn contacts_of(&self, a: usize) -> Vec<String> {
        self.contacts
            .iter()
            .filter(|(acc, _, _)| *acc == a)
            .map(|(_, id, _)| id.clone())
            .collect()
    }

    /// Account `a`'s contacts (key contacts with VIP cards) and one opportunity, its roles
    /// partly filled: some sit in the danger zone.
    async fn account_people(&mut self, rng: &mut ChaCha8Rng, a: usize) -> ApiResult<()> {
        let account_id = &self.account_ids[a];
        for (k, (name, title)) in ACCOUNTS[a].contacts.iter().enumerate() {
            let key = k == 0 || title.contains('总');
            let person = ((*name).to_owned(), (*title).to_owned());
            let contact = sample::contact(rng, account_id, k, person, key);
            let birthday = contact.vip_card.as_ref().and_then(|c| c.birthday);
            let id = self
                .put(seeded_id(rng), AnyRecord::Contact(contact))
                .await?;
            if let Some(b) = birthday {
                self.birthdays.push((a, id.clone(), b));
            }
            self.contacts.push((a, id, key));
        }
        let name = format!("{} 年度框架协议", ACCOUNTS[a].name);
        let holders = self.contacts_of(a);
        let opportunity = sample::opportunity(rng, account_id, name, self.period.today, &holders);
        self.put(seeded_id(rng), AnyRecord::Opportunity(opportunity))
            .await?;
        Ok(())
    }

    /// The rep's visits and relationship work in the week `week` weeks before this one.
    async fn week(&mut self, r: usize, week: i64) -> ApiResult<()> {
        // Each rep's week draws from its own stream, so what has not happened yet this
        // week (skipped) never shifts the rest of the company.
        let mut rng = stream(r, week);
        let monday = self.period.this_monday - chrono::Duration::weeks(week);
        let n = rng.gen_range(6..=12);
        for _ in 0..n {
            self.visit(&mut rng, r, monday).await?;
        }
        self.relationship_work(&mut rng, r, monday).await
    }

    /// A visit on a working day of the week starting `monday`, unless it is still ahead.
    async fn visit(&mut self, rng: &mut ChaCha8Rng, r: usize, monday: NaiveDate) -> ApiResult<()> {
        let a = TEAMS[r][rng.gen_range(0..TEAMS[r].len())];
        let day = monday + chrono::Duration::days(rng.gen_range(0..5));
        let hour = rng.gen_range(9..17);
        let minute = [0, 15, 30, 45][rng.gen_range(0..4)];
        let purpose = sample::purpose(rng);
        let duration_min = sample::duration_min(rng);
        let met = rng.gen_range(1..=2);
        let draft = VisitDraft {
            purpose,
            duration_min,
            contacts_met: self.contacts_of(a).into_iter().take(met).collect(),
            talk: Talk::draw(rng),
            late: sample::logged_late(rng),
        };
        let id = seeded_id(rng);
        let Some(at) = self.period.moment(day, hour, minute) else {
            return Ok(()); // Later this week: not happened yet.
        };
        let place = (ACCOUNTS[a].lat, ACCOUNTS[a].lon);
        let visit = draft.visit(rng, &self.account_ids[a], at, place);
        self.put(id, AnyRecord::Visit(visit)).await?;
        Ok(())
    }

    /// The week's relationship work besides visits, with a key contact of one account:
    /// a favour, and maybe intelligence, an information report and a relationship event.
    async fn relationship_work(
        &mut self,
        rng: &mut ChaCha8Rng,
        r: usize,
        monday: NaiveDate,
    ) -> ApiResult<()> {
        let a = TEAMS[r][rng.gen_range(0..TEAMS[r].len())];
        let day = monday + chrono::Duration::days(rng.gen_range(0..5));
        let contact = self
            .contacts
            .iter()
            .find(|(acc, _, key)| *acc == a && *key)
            .map(|(_, id, _)| id.clone());
        let Some(at) = self.period.moment(day, 18, 30) else {
            return Ok(());
        };
        let account_ids = self.account_ids;
        let account_id = &account_ids[a];
        // The key contact and the moment are given: the generators draw nothing for them.
        let contact = |_: &mut ChaCha8Rng| contact.clone();
        let at = |_: &mut ChaCha8Rng| at;
        let favour = sample::favour(rng, account_id, contact, at);
        self.put(seeded_id(rng), AnyRecord::Favour(favour)).await?;
        if rng.gen_bool(0.6) {
            let intel = sample::intel(rng, account_id, contact, at);
            self.put(seeded_id(rng), AnyRecord::Intel(intel)).await?;
        }
        if rng.gen_bool(0.5) {
            let report = sample::info_report(rng, account_id, contact, at);
            self.put(seeded_id(rng), AnyRecord::InfoReport(report))
                .await?;
        }
        if rng.gen_bool(0.25) {
            let event = sample::relationship_event(rng, account_id, contact, at);
            self.put(seeded_id(rng), AnyRecord::RelationshipEvent(event))
                .await?;
        }
        Ok(())
    }

    /// Holiday greetings for key contacts on the holidays of the period.
    async fn holiday_greetings(&mut self, rng: &mut ChaCha8Rng) -> ApiResult<()> {
        let key_contacts: Vec<(usize, String)> = self
            .contacts
            .iter()
            .filter(|(_, _, key)| *key)
            .map(|(a, id, _)| (*a, id.clone()))
            .collect();
        let period = self.period;
        for (occasion, date) in calendar::holidays_between(period.first_day, period.days()) {
            for (a, contact) in &key_contacts {
                if !rng.gen_bool(0.7) {
                    continue;
                }
                let Some(at) = period.moment(date, 9, 0) else {
                    continue;
                };
                let account_id = &self.account_ids[*a];
                let greeting = sample::greeting(
                    rng,
                    account_id,
                    |_| occasion,
                    |_| Some(contact.clone()),
                    |_| at,
                );
                self.put(seeded_id(rng), AnyRecord::Greeting(greeting))
                    .await?;
            }
        }
        Ok(())
    }

    /// Birthday greetings for the key contacts whose birthday fell in the period.
    async fn birthday_greetings(&mut self, rng: &mut ChaCha8Rng) -> ApiResult<()> {
        let period = self.period;
        for (a, contact, birthday) in std::mem::take(&mut self.birthdays) {
            let Some(date) = calendar::next_birthday(birthday, period.first_day, period.days())
            else {
                continue;
            };
            let (Some(at), true) = (period.moment(date, 8, 30), rng.gen_bool(0.8)) else {
                continue;
            };
            let greeting = Greeting {
                account_id: self.account_ids[a].clone(),
                contact_id: Some(contact),
                occasion: Occasion::Birthday,
                channel: Channel::Gift,
                occurred_at: at,
                notes: "生日蛋糕".into(),
                ..Greeting::default()
            };
            self.put(seeded_id(rng), AnyRecord::Greeting(greeting))
                .await?;
        }
        Ok(())
    }
}

/// Writes seeded documents under the tenant's sequence.
struct Seed<'a> {
    txn: &'a DatabaseTransaction,
    seq: Sequence,
}

impl Seed<'_> {
    async fn insert(
        &mut self,
        id: &str,
        author: &str,
        actor: ActorId,
        record: AnyRecord,
    ) -> ApiResult<()> {
        let mut doc = model::new_document(actor);
        record.write(&mut doc).map_err(anyhow::Error::from)?;
        insert_new_document(self.txn, &mut self.seq, id, author, &mut doc, &record).await
    }
}
