//! The record kinds of DOMAIN.md, one Automerge document each.
//!
//! Fields that later versions added carry `missing = "Default::default"`, so documents
//! written before them still read. Lists of sub-items that several devices may edit
//! carry a stable `#[key]`, so concurrent edits merge item by item.

use autosurgeon::{Hydrate, Reconcile};

use super::vocab::*;
use super::{GeoPoint, LocalTime};

/// Declares a record struct and, from the same field list, the names and types the
/// shape check reads one by one (so a bad document's error names its field).
macro_rules! record_struct {
    ($(#[$meta:meta])* pub struct $name:ident { $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
        #[cfg_attr(feature = "json", derive(serde::Serialize, serde::Deserialize), serde(deny_unknown_fields))]
        pub struct $name { $( $(#[$fmeta])* pub $field : $ty ),* }

        impl super::Shape for $name {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            fn shape_problem(doc: &automerge::AutoCommit) -> Option<String> {
                super::shape_problem!(doc, $($field : $ty),*)
            }
        }
    };
}

record_struct! {
    /// A key customer organisation (大客户). Created by an admin, who alone may rename,
    /// move or remove it; reps keep its value, stage and scorecard.
    pub struct Account {
        pub name: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub industry: Option<String>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub city: Option<String>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub location: Option<GeoPoint>,
        /// Single value metrics per period (§一.1.1).
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub metrics: Vec<PeriodMetrics>,
        /// A tier set by hand, over the one the value score gives.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub tier_override: Option<Tier>,
        /// Days between visits, over the tier's cadence.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub cadence_days: Option<i64>,
        /// Value scorecard (§一.1.3): current value (现实价值), 1–5.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub current_value: Option<i64>,
        /// Value scorecard: potential value (潜在价值), 1–5.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub potential_value: Option<i64>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub stage: Option<Stage>,
        /// Every move of the stage, oldest first. Who moved it is known to the server from
        /// the signed-in user who pushed the change.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub stage_history: Vec<StageStep>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub deleted: bool,
    }
}

/// One period's figures; `period` is `2026`, `2026-Q3` or `2026-11`.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
#[cfg_attr(
    feature = "json",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct PeriodMetrics {
    #[key]
    pub period: String,
    pub sales: Option<f64>,
    pub profit: Option<f64>,
    /// 回款
    pub collections: Option<f64>,
    pub transactions: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
#[cfg_attr(
    feature = "json",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct StageStep {
    #[key]
    pub id: String,
    pub stage: Stage,
    pub at: LocalTime,
}

record_struct! {
    /// A person at an account (客户关系人).
    pub struct Contact {
        pub account_id: String,
        pub name: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub title: Option<String>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub phone: Option<String>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub notes: Option<String>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub admin_level: Option<AdminLevel>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub relationship_level: Option<RelationshipLevel>,
        /// Buying roles this person plays (several allowed).
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub roles: Vec<BuyingRole>,
        /// A key person: the scorecard expects a VIP card for them.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub key_contact: bool,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub vip_card: Option<VipCard>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub deleted: bool,
    }
}

/// The VIP relationship card (客情关系卡, §四.4.1).
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
#[cfg_attr(
    feature = "json",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct VipCard {
    /// They call the rep by name (互相能叫出名字).
    pub knows_rep_name: bool,
    /// 兴趣爱好
    pub interests: String,
    pub birthday: Option<Birthday>,
    /// Personal matters the rep knows of (私人情况).
    pub concerns: String,
    /// The rep helped with one (为其解忧).
    pub helped_with_concern: bool,
    pub notes: String,
}

impl VipCard {
    /// The four things the method asks a rep to know (card depth).
    pub fn depth(&self) -> u8 {
        u8::from(self.knows_rep_name)
            + u8::from(!self.interests.trim().is_empty())
            + u8::from(self.birthday.is_some())
            + u8::from(!self.concerns.trim().is_empty() || self.helped_with_concern)
    }
}

/// A birthday as people keep it: on the solar or the lunar calendar. Stored as one value
/// (`lunar 08-15`, `lunar leap 06-01`, `solar 03-21`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "json",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Birthday {
    pub calendar: Calendar,
    pub month: i64,
    pub day: i64,
    /// A lunar birthday in a leap month (闰月).
    #[cfg_attr(feature = "json", serde(default))]
    pub leap_month: bool,
}

record_struct! {
    /// A deal at an account (机会).
    pub struct Opportunity {
        pub account_id: String,
        pub name: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub value: Option<f64>,
        pub status: OpportunityStatus,
        /// Expected close, `YYYY-MM-DD`.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub expected_close: Option<String>,
        /// The four-step assessment (§二.3).
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub assessment: Assessment,
        /// Which contacts fill each buying role (§三.2).
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub roles: RoleContacts,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub notes: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub deleted: bool,
    }
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
#[cfg_attr(
    feature = "json",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct Assessment {
    /// 是不是机会
    pub real: Step,
    /// 是不是存在竞争
    pub competition: Step,
    /// 是不是能赢
    pub can_win: Step,
    /// 是不是值得赢
    pub worth_winning: Step,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
#[cfg_attr(
    feature = "json",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct Step {
    pub judgement: Option<Judgement>,
    pub note: String,
}

/// Contact ids per buying role.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
#[cfg_attr(
    feature = "json",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct RoleContacts {
    pub user: Vec<String>,
    pub technical_gatekeeper: Vec<String>,
    pub coach: Vec<String>,
    pub decision_maker: Vec<String>,
}

impl RoleContacts {
    pub fn get(&self, role: BuyingRole) -> &[String] {
        match role {
            BuyingRole::User => &self.user,
            BuyingRole::TechnicalGatekeeper => &self.technical_gatekeeper,
            BuyingRole::Coach => &self.coach,
            BuyingRole::DecisionMaker => &self.decision_maker,
        }
    }

    pub fn get_mut(&mut self, role: BuyingRole) -> &mut Vec<String> {
        match role {
            BuyingRole::User => &mut self.user,
            BuyingRole::TechnicalGatekeeper => &mut self.technical_gatekeeper,
            BuyingRole::Coach => &mut self.coach,
            BuyingRole::DecisionMaker => &mut self.decision_maker,
        }
    }

    /// Every (role, contact id) pair.
    pub fn pairs(&self) -> impl Iterator<Item = (BuyingRole, &String)> {
        BuyingRole::ALL
            .iter()
            .flat_map(move |r| self.get(*r).iter().map(move |c| (*r, c)))
    }
}

/// Where the device was when the rep logged a visit, and how sure it was. Stored as one
/// value (`31.23,121.47,25`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(
    feature = "json",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct CheckIn {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
}

record_struct! {
    /// A visit to an account (拜访): the core record of the method (§四.4.2).
    pub struct Visit {
        pub account_id: String,
        /// When the visit started, with the UTC offset where it happened.
        pub occurred_at: LocalTime,
        /// When the rep logged it on the device.
        pub logged_at: LocalTime,
        pub duration_min: i64,
        pub purpose: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub notes: String,
        /// Contact ids of the people met.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub contacts_met: Vec<String>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub check_in: Option<CheckIn>,
        /// SPIN questions asked (§三.3).
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub spin: Vec<Spin>,
        /// Objections met (§三.1).
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub objections: Vec<Objection>,
        /// Buying signals achieved (§三.4).
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub signals: Vec<Signal>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub next_step: Option<String>,
        /// Due date of the next step, `YYYY-MM-DD`.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub next_step_due: Option<String>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub deleted: bool,
    }
}

record_struct! {
    /// Something done for a contact or an account (帮客户做一件事; 礼尚往来).
    pub struct Favour {
        pub account_id: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub contact_id: Option<String>,
        pub kind: FavourKind,
        pub description: String,
        /// Value of a gift or hospitality, in the company's currency.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub value: Option<f64>,
        pub occurred_at: LocalTime,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub deleted: bool,
    }
}

record_struct! {
    /// Competitor intelligence (竞争对手情况).
    pub struct Intel {
        pub account_id: String,
        pub competitor: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub product: Option<String>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub price: Option<f64>,
        pub observation: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub source_contact_id: Option<String>,
        pub confidence: Confidence,
        pub occurred_at: LocalTime,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub deleted: bool,
    }
}

record_struct! {
    /// What the customer told us of their shipments, inventory or end consumers.
    pub struct InfoReport {
        pub account_id: String,
        pub kind: InfoKind,
        /// The figure given, if any (units in `unit`).
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub figure: Option<f64>,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub unit: Option<String>,
        pub details: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub contact_id: Option<String>,
        pub occurred_at: LocalTime,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub deleted: bool,
    }
}

record_struct! {
    /// A greeting on a traditional holiday or a key person's birthday (问候).
    pub struct Greeting {
        pub account_id: String,
        /// Required for a birthday greeting.
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub contact_id: Option<String>,
        pub occasion: Occasion,
        pub channel: Channel,
        pub occurred_at: LocalTime,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub notes: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub deleted: bool,
    }
}

record_struct! {
    /// A sign of a strong relationship (§四.4.2).
    pub struct RelationshipEvent {
        pub account_id: String,
        pub kind: EventKind,
        pub description: String,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub contact_id: Option<String>,
        pub occurred_at: LocalTime,
        #[autosurgeon(missing = "Default::default")]
        #[cfg_attr(feature = "json", serde(default))]
        pub deleted: bool,
    }
}
