//! Made-up records of a key-account company, drawn from a random stream: the server's
//! demo company (`--demo`) and the benchmark's workload are both made of them.
//!
//! Each generator draws from the stream it is given in a fixed order, so the same seed
//! gives the same records; callers decide the account, the contact and the moment, and
//! the generator draws the rest (what a rep would write about it). Changing the order or
//! the number of draws changes every record drawn after them: the demo company and the
//! benchmark's cached databases (its `GENERATOR_VERSION`) change with it.

use chrono::Duration;
use rand::Rng;
use rapport_client_core::model::{
    AdminLevel, Assessment, Birthday, BuyingRole, Calendar, Channel, CheckIn, Confidence, Contact,
    EventKind, Favour, FavourKind, Greeting, InfoKind, InfoReport, Intel, Judgement, LocalTime,
    Objection, Occasion, Opportunity, OpportunityStatus, RelationshipEvent, RelationshipLevel,
    RoleContacts, Signal, Spin, Step, VipCard, Visit,
};

/// What a visit is for.
const PURPOSES: [&str; 6] = [
    "季度业务回顾",
    "新品技术交流",
    "了解采购计划",
    "售后问题跟进",
    "拜访决策者",
    "节日问候拜访",
];

/// A record id (a UUID) drawn from the stream.
pub fn seeded_id(rng: &mut impl Rng) -> String {
    let bytes: [u8; 16] = rng.r#gen();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A key contact's VIP card: whether they know the rep's name, an interest, a birthday
/// (solar or lunar) and a concern the rep may have helped with.
fn vip_card(rng: &mut impl Rng) -> VipCard {
    VipCard {
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
    }
}

/// Contact `k` of an account (named `name`, with `title`): the first is the executive who
/// decides, the second a department head who is both technical gatekeeper and coach, the
/// others staff who use the product. A key contact has a VIP card.
pub fn contact(
    rng: &mut impl Rng,
    account_id: &str,
    k: usize,
    (name, title): (String, String),
    key: bool,
) -> Contact {
    let (admin_level, roles) = match k {
        0 => (AdminLevel::Executive, vec![BuyingRole::DecisionMaker]),
        1 => (
            AdminLevel::DepartmentHead,
            vec![BuyingRole::TechnicalGatekeeper, BuyingRole::Coach],
        ),
        _ => (AdminLevel::Staff, vec![BuyingRole::User]),
    };
    let vip_card = key.then(|| vip_card(rng));
    Contact {
        account_id: account_id.to_owned(),
        name,
        title: Some(title),
        admin_level: Some(admin_level),
        relationship_level: Some(RelationshipLevel::ALL[rng.gen_range(0..4)]),
        roles,
        key_contact: key,
        vip_card,
        ..Contact::default()
    }
}

/// An account's yearly framework deal, open, closing 20 to 120 days after `today`; its
/// buying roles held by the account's first contacts as [`contact`] gives them roles
/// (`contacts` in that order; a role with no such contact is left empty).
pub fn opportunity(
    rng: &mut impl Rng,
    account_id: &str,
    name: String,
    today: chrono::NaiveDate,
    contacts: &[String],
) -> Opportunity {
    let of = |k: usize| contacts.get(k).cloned().into_iter().collect::<Vec<_>>();
    let step = |j: Judgement, note: &str| Step {
        judgement: Some(j),
        note: note.into(),
    };
    Opportunity {
        account_id: account_id.to_owned(),
        name,
        value: Some(f64::from(rng.gen_range(50..500_u32)) * 10_000.0),
        status: OpportunityStatus::Open,
        expected_close: Some(date_text(today + Duration::days(rng.gen_range(20..120)))),
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
    }
}

/// What a visit is for.
pub fn purpose(rng: &mut impl Rng) -> &'static str {
    PURPOSES[rng.gen_range(0..PURPOSES.len())]
}

/// How long a visit lasts: half an hour to two hours, in quarters.
pub fn duration_min(rng: &mut impl Rng) -> i64 {
    rng.gen_range(2..=8) * 15
}

/// Whether a rep logs a visit late (one in ten).
pub fn logged_late(rng: &mut impl Rng) -> bool {
    rng.gen_bool(0.1)
}

/// What a visit's conversation achieved: the SPIN questions asked, the objections met,
/// the buying signals, and whether a next step was agreed.
#[derive(Debug, Clone)]
pub struct Talk {
    spin: Vec<Spin>,
    objections: Vec<Objection>,
    signals: Vec<Signal>,
    next_step: bool,
}

impl Talk {
    pub fn draw(rng: &mut impl Rng) -> Talk {
        Talk {
            spin: each_with(rng, Spin::ALL, 0.5),
            objections: each_with(rng, Objection::ALL, 0.15),
            signals: each_with(rng, Signal::ALL, 0.2),
            next_step: rng.gen_bool(0.3),
        }
    }
}

/// A visit's content, drawn before its moment is known; [`VisitDraft::visit`] places it.
#[derive(Debug, Clone)]
pub struct VisitDraft {
    pub purpose: &'static str,
    pub duration_min: i64,
    pub contacts_met: Vec<String>,
    pub talk: Talk,
    /// Logged 30 hours after the visit, else right after it ends.
    pub late: bool,
}

impl VisitDraft {
    /// The visit on `account_id` at `at`, checked in within about 200 m of the account's
    /// `(lat, lon)`; a next step is due ten days after the visit's day.
    pub fn visit(
        self,
        rng: &mut impl Rng,
        account_id: &str,
        at: LocalTime,
        (lat, lon): (f64, f64),
    ) -> Visit {
        let logged_after_min = if self.late {
            60 * 30
        } else {
            self.duration_min + 10
        };
        let talk = self.talk;
        let due = at
            .to_datetime()
            .map(|t| date_text(t.date_naive() + Duration::days(10)));
        Visit {
            account_id: account_id.to_owned(),
            occurred_at: at,
            logged_at: LocalTime {
                utc_ms: at.utc_ms + logged_after_min * 60_000,
                offset_min: at.offset_min,
            },
            duration_min: self.duration_min,
            purpose: self.purpose.into(),
            contacts_met: self.contacts_met,
            check_in: Some(CheckIn {
                lat: lat + rng.gen_range(-0.002..0.002),
                lon: lon + rng.gen_range(-0.002..0.002),
                accuracy_m: 25.0,
            }),
            spin: talk.spin,
            objections: talk.objections,
            signals: talk.signals,
            next_step: talk.next_step.then(|| "发送技术方案".into()),
            next_step_due: due.filter(|_| talk.next_step),
            ..Visit::default()
        }
    }
}

/// A favour done for a contact: a personal one (four in ten) or a business one, now and
/// then a gift above the usual favour limit for the manager to review. `contact` and `at`
/// give the contact and the moment, drawing from the stream or not.
pub fn favour<R: Rng>(
    rng: &mut R,
    account_id: &str,
    contact: impl FnOnce(&mut R) -> Option<String>,
    at: impl FnOnce(&mut R) -> LocalTime,
) -> Favour {
    let personal = rng.gen_bool(0.4);
    let (kind, description) = if personal {
        (FavourKind::Personal, "帮忙联系孩子实习单位")
    } else {
        (FavourKind::Business, "协调加急发货")
    };
    Favour {
        account_id: account_id.to_owned(),
        contact_id: contact(rng),
        kind,
        description: description.into(),
        value: rng
            .gen_bool(0.15)
            .then(|| f64::from(rng.gen_range(600..2000_u32))),
        occurred_at: at(rng),
        ..Favour::default()
    }
}

/// A competitor's price cut on a drive, heard from a contact (see [`favour`] for
/// `contact` and `at`).
pub fn intel<R: Rng>(
    rng: &mut R,
    account_id: &str,
    contact: impl FnOnce(&mut R) -> Option<String>,
    at: impl FnOnce(&mut R) -> LocalTime,
) -> Intel {
    Intel {
        account_id: account_id.to_owned(),
        competitor: ["西门子", "ABB", "施耐德"][rng.gen_range(0..3)].into(),
        product: Some("变频器".into()),
        price: Some(f64::from(rng.gen_range(80..120_u32)) * 100.0),
        observation: "报价下调约5%，承诺两周交货".into(),
        source_contact_id: contact(rng),
        confidence: Confidence::ALL[rng.gen_range(0..3)],
        occurred_at: at(rng),
        ..Intel::default()
    }
}

/// A customer information report from a contact: shipments or inventory with a figure,
/// or consumer feedback without one (see [`favour`] for `contact` and `at`).
pub fn info_report<R: Rng>(
    rng: &mut R,
    account_id: &str,
    contact: impl FnOnce(&mut R) -> Option<String>,
    at: impl FnOnce(&mut R) -> LocalTime,
) -> InfoReport {
    let kind = InfoKind::ALL[rng.gen_range(0..3)];
    let counted = kind != InfoKind::ConsumerFeedback;
    InfoReport {
        account_id: account_id.to_owned(),
        kind,
        figure: counted.then(|| f64::from(rng.gen_range(100..5000_u32))),
        unit: counted.then(|| "台".into()),
        details: match kind {
            InfoKind::Shipments => "本月出货",
            InfoKind::Inventory => "仓库库存",
            InfoKind::ConsumerFeedback => "终端反映噪音偏大",
        }
        .into(),
        contact_id: contact(rng),
        occurred_at: at(rng),
        ..InfoReport::default()
    }
}

/// A greeting to a contact on an occasion, sent by WeChat, phone or gift (see [`favour`]
/// for `contact` and `at`; `occasion` likewise).
pub fn greeting<R: Rng>(
    rng: &mut R,
    account_id: &str,
    occasion: impl FnOnce(&mut R) -> Occasion,
    contact: impl FnOnce(&mut R) -> Option<String>,
    at: impl FnOnce(&mut R) -> LocalTime,
) -> Greeting {
    Greeting {
        account_id: account_id.to_owned(),
        occasion: occasion(rng),
        contact_id: contact(rng),
        channel: [Channel::WeChat, Channel::Phone, Channel::Gift][rng.gen_range(0..3)],
        occurred_at: at(rng),
        ..Greeting::default()
    }
}

/// A relationship event with a contact: the customer invited the rep's company first to
/// a product launch (see [`favour`] for `contact` and `at`).
pub fn relationship_event<R: Rng>(
    rng: &mut R,
    account_id: &str,
    contact: impl FnOnce(&mut R) -> Option<String>,
    at: impl FnOnce(&mut R) -> LocalTime,
) -> RelationshipEvent {
    RelationshipEvent {
        account_id: account_id.to_owned(),
        kind: EventKind::ALL[rng.gen_range(0..3)],
        description: "新品发布会第一个邀请我司".into(),
        contact_id: contact(rng),
        occurred_at: at(rng),
        ..RelationshipEvent::default()
    }
}

/// Each of `all`, in order, with probability `p`.
fn each_with<T: Copy>(rng: &mut impl Rng, all: &[T], p: f64) -> Vec<T> {
    all.iter().copied().filter(|_| rng.gen_bool(p)).collect()
}

/// A date as records write it, `YYYY-MM-DD`.
fn date_text(day: chrono::NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rapport_client_core::model::LocalTime;

    use super::{Talk, VisitDraft};

    fn draft(rng: &mut ChaCha8Rng, late: bool) -> VisitDraft {
        let mut talk = Talk::draw(rng);
        talk.next_step = true;
        VisitDraft {
            purpose: super::purpose(rng),
            duration_min: 60,
            contacts_met: Vec::new(),
            talk,
            late,
        }
    }

    /// 2026-03-02 07:00 in Shanghai, still 1 March in UTC.
    const EARLY_MORNING: LocalTime = LocalTime {
        utc_ms: 1_772_406_000_000,
        offset_min: 480,
    };

    #[test]
    fn a_next_step_is_due_ten_days_after_the_visits_own_day() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let visit = draft(&mut rng, false).visit(&mut rng, "a", EARLY_MORNING, (31.0, 121.0));
        assert_eq!(visit.next_step_due.as_deref(), Some("2026-03-12"));
    }

    #[test]
    fn a_late_visit_is_logged_thirty_hours_after_else_when_it_ends() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let on_time = draft(&mut rng, false).visit(&mut rng, "a", EARLY_MORNING, (31.0, 121.0));
        let late = draft(&mut rng, true).visit(&mut rng, "a", EARLY_MORNING, (31.0, 121.0));
        let after =
            |v: &rapport_client_core::model::Visit| v.logged_at.utc_ms - v.occurred_at.utc_ms;
        assert_eq!(after(&on_time), 70 * 60_000);
        assert_eq!(after(&late), 30 * 3_600_000);
    }
}
