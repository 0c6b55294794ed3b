//! The records as the apps see them: plain uniffi records and enums, separate from the
//! Automerge model types, with the conversions written out here (by two small macros
//! that list every field once). Times are Unix milliseconds plus the UTC offset in
//! minutes; ids are strings. A record's `deleted` flag is not exported: removing is
//! `remove_*`, and lists show live records only.

use crate::model::{self, vocab};

/// Declares an FFI enum with the same variants as a vocabulary enum, and both conversions.
macro_rules! ffi_vocab {
    ($($(#[$m:meta])* $name:ident = $model:ident { $($variant:ident),+ $(,)? })+) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name { $($variant),+ }

        impl From<vocab::$model> for $name {
            fn from(v: vocab::$model) -> Self {
                match v { $(vocab::$model::$variant => $name::$variant),+ }
            }
        }

        impl From<$name> for vocab::$model {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => vocab::$model::$variant),+ }
            }
        }
    )+};
}

ffi_vocab! {
    Tier = Tier { A, B, C, D }
    Stage = Stage { Gestation, Initial, Intermediate, Advanced, StrategicAlliance }
    AdminLevel = AdminLevel { Executive, DepartmentHead, Staff }
    RelationshipLevel = RelationshipLevel { Acquainted, Familiar, Trusted, Ally }
    BuyingRole = BuyingRole { User, TechnicalGatekeeper, Coach, DecisionMaker }
    Spin = Spin { Situation, Problem, Implication, NeedPayoff }
    Objection = Objection { NoNeed, NoTrust, NoBudget, NoHurry }
    Signal = Signal { AcceptedIdea, NextStep, IntroducedSenior, TechnicalExchange }
    Judgement = Judgement { Yes, No, Unsure }
    OpportunityStatus = OpportunityStatus { Open, Won, Lost }
    FavourKind = FavourKind { Business, Personal }
    Confidence = Confidence { Low, Medium, High }
    InfoKind = InfoKind { Shipments, Inventory, ConsumerFeedback }
    Occasion = Occasion {
        SpringFestival, LanternFestival, DragonBoat, MidAutumn, DoubleNinth, NewYear,
        NationalDay, Birthday,
    }
    Channel = Channel { InPerson, Phone, Message, WeChat, Email, Gift, Card }
    EventKind = EventKind { FirstThought, BestDisplay, PrivateHelp }
    /// Named apart from Swift's `Calendar`.
    BirthdayCalendar = Calendar { Solar, Lunar }
}

/// How one field converts: as is, `Into`, inside an `Option`, or item by item.
macro_rules! conv {
    (same, $e:expr) => {
        $e
    };
    (into, $e:expr) => {
        $e.into()
    };
    (opt, $e:expr) => {
        $e.map(Into::into)
    };
    (vec, $e:expr) => {
        $e.into_iter().map(Into::into).collect()
    };
}

/// Declares an FFI record and its conversions from and to the model type; model fields
/// not listed (`deleted`) take their default.
macro_rules! ffi_record {
    ($(
        $(#[$m:meta])*
        $name:ident = $model:ty {
            $($(#[$fm:meta])* $field:ident : $ty:ty => $mode:ident),+ $(,)?
        }
    )+) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, uniffi::Record)]
        pub struct $name { $($(#[$fm])* pub $field: $ty),+ }

        impl From<$model> for $name {
            fn from(m: $model) -> Self {
                $name { $($field: conv!($mode, m.$field)),+ }
            }
        }

        impl From<$name> for $model {
            #[allow(clippy::needless_update)]
            fn from(f: $name) -> Self {
                Self { $($field: conv!($mode, f.$field)),+, ..Default::default() }
            }
        }
    )+};
}

/// A moment as the rep lived it: Unix milliseconds (UTC) and the UTC offset of the place,
/// in minutes east of Greenwich (Shanghai: 480).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct LocalTime {
    pub unix_ms: i64,
    pub offset_min: i32,
}

impl From<model::LocalTime> for LocalTime {
    fn from(t: model::LocalTime) -> Self {
        LocalTime {
            unix_ms: t.utc_ms,
            // The model accepts offsets of at most a day, so this never clamps a valid time.
            offset_min: t.offset_min.clamp(-1440, 1440) as i32,
        }
    }
}

impl From<LocalTime> for model::LocalTime {
    fn from(t: LocalTime) -> Self {
        model::LocalTime {
            utc_ms: t.unix_ms,
            offset_min: i64::from(t.offset_min),
        }
    }
}

ffi_record! {
    GeoPoint = model::GeoPoint { lat: f64 => same, lon: f64 => same }

    /// One period's figures; `period` is `2026`, `2026-Q3` or `2026-11`.
    PeriodMetrics = model::PeriodMetrics {
        period: String => same,
        sales: Option<f64> => same,
        profit: Option<f64> => same,
        collections: Option<f64> => same,
        transactions: Option<i64> => same,
    }

    StageStep = model::StageStep { id: String => same, stage: Stage => into, at: LocalTime => into }

    /// A key customer organisation. Only an admin may change its name, industry, city
    /// or location, or remove it: a rep's edit of those is rejected by the server.
    Account = model::Account {
        name: String => same,
        industry: Option<String> => same,
        city: Option<String> => same,
        location: Option<GeoPoint> => opt,
        metrics: Vec<PeriodMetrics> => vec,
        tier_override: Option<Tier> => opt,
        cadence_days: Option<i64> => same,
        current_value: Option<i64> => same,
        potential_value: Option<i64> => same,
        stage: Option<Stage> => opt,
        stage_history: Vec<StageStep> => vec,
    }

    /// A birthday on the solar or the lunar calendar.
    Birthday = model::Birthday {
        calendar: BirthdayCalendar => into,
        month: i64 => same,
        day: i64 => same,
        leap_month: bool => same,
    }

    /// The VIP relationship card.
    VipCard = model::VipCard {
        knows_rep_name: bool => same,
        interests: String => same,
        birthday: Option<Birthday> => opt,
        concerns: String => same,
        helped_with_concern: bool => same,
        notes: String => same,
    }

    /// A person at an account.
    Contact = model::Contact {
        account_id: String => same,
        name: String => same,
        title: Option<String> => same,
        phone: Option<String> => same,
        notes: Option<String> => same,
        admin_level: Option<AdminLevel> => opt,
        relationship_level: Option<RelationshipLevel> => opt,
        roles: Vec<BuyingRole> => vec,
        key_contact: bool => same,
        vip_card: Option<VipCard> => opt,
    }

    AssessmentStep = model::Step { judgement: Option<Judgement> => opt, note: String => same }

    /// The four-step opportunity assessment.
    Assessment = model::Assessment {
        real: AssessmentStep => into,
        competition: AssessmentStep => into,
        can_win: AssessmentStep => into,
        worth_winning: AssessmentStep => into,
    }

    /// Contact ids per buying role.
    RoleContacts = model::RoleContacts {
        user: Vec<String> => same,
        technical_gatekeeper: Vec<String> => same,
        coach: Vec<String> => same,
        decision_maker: Vec<String> => same,
    }

    /// A deal at an account.
    Opportunity = model::Opportunity {
        account_id: String => same,
        name: String => same,
        value: Option<f64> => same,
        status: OpportunityStatus => into,
        /// `YYYY-MM-DD`.
        expected_close: Option<String> => same,
        assessment: Assessment => into,
        roles: RoleContacts => into,
        notes: String => same,
    }

    /// Where the device was when the visit was logged.
    CheckIn = model::CheckIn { lat: f64 => same, lon: f64 => same, accuracy_m: f64 => same }

    /// A visit to an account.
    Visit = model::Visit {
        account_id: String => same,
        occurred_at: LocalTime => into,
        logged_at: LocalTime => into,
        duration_min: i64 => same,
        purpose: String => same,
        notes: String => same,
        contacts_met: Vec<String> => same,
        check_in: Option<CheckIn> => opt,
        spin: Vec<Spin> => vec,
        objections: Vec<Objection> => vec,
        signals: Vec<Signal> => vec,
        next_step: Option<String> => same,
        /// `YYYY-MM-DD`.
        next_step_due: Option<String> => same,
    }

    /// Something done for a contact or an account.
    Favour = model::Favour {
        account_id: String => same,
        contact_id: Option<String> => same,
        kind: FavourKind => into,
        description: String => same,
        value: Option<f64> => same,
        occurred_at: LocalTime => into,
    }

    /// Competitor intelligence.
    Intel = model::Intel {
        account_id: String => same,
        competitor: String => same,
        product: Option<String> => same,
        price: Option<f64> => same,
        observation: String => same,
        source_contact_id: Option<String> => same,
        confidence: Confidence => into,
        occurred_at: LocalTime => into,
    }

    /// What the customer told of their shipments, inventory or end consumers.
    InfoReport = model::InfoReport {
        account_id: String => same,
        kind: InfoKind => into,
        figure: Option<f64> => same,
        unit: Option<String> => same,
        details: String => same,
        contact_id: Option<String> => same,
        occurred_at: LocalTime => into,
    }

    /// A greeting on a holiday or a key person's birthday.
    Greeting = model::Greeting {
        account_id: String => same,
        contact_id: Option<String> => same,
        occasion: Occasion => into,
        channel: Channel => into,
        occurred_at: LocalTime => into,
        notes: String => same,
    }

    /// A sign of a strong relationship.
    RelationshipEvent = model::RelationshipEvent {
        account_id: String => same,
        kind: EventKind => into,
        description: String => same,
        contact_id: Option<String> => same,
        occurred_at: LocalTime => into,
    }
}

/// The model type an FFI record stands for.
pub trait FfiOf {
    type Model;
}

/// Generates, from the table of kinds ([`crate::for_each_kind!`]), what the binding has
/// per kind: which model type each FFI record stands for, the `{ id, record }` pair lists
/// return, and [`RecordKind`].
macro_rules! ffi_kinds {
    ($(
        $kind:ident $wire:literal $table:literal $authored:literal ($en:literal, $zh:literal)
            $item:ident,
    )+) => {
        $(
            impl FfiOf for $kind {
                type Model = model::$kind;
            }

            #[derive(Debug, Clone, PartialEq, uniffi::Record)]
            pub struct $item {
                pub id: String,
                pub record: $kind,
            }

            impl From<crate::api::Item<model::$kind>> for $item {
                fn from(i: crate::api::Item<model::$kind>) -> Self {
                    $item { id: i.id, record: i.record.into() }
                }
            }
        )+

        /// The kinds of record, for the timeline.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
        pub enum RecordKind { $($kind),+ }

        impl From<model::DocKind> for RecordKind {
            fn from(k: model::DocKind) -> Self {
                match k { $(model::DocKind::$kind => RecordKind::$kind),+ }
            }
        }
    };
}

crate::for_each_kind!(ffi_kinds);

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn round_trip<F, M>(model: M)
    where
        M: Clone + PartialEq + std::fmt::Debug + From<F>,
        F: From<M>,
    {
        let back = M::from(F::from(model.clone()));
        assert_eq!(back, model);
    }

    #[test]
    fn records_convert_to_the_ffi_and_back_unchanged() {
        let at = model::LocalTime {
            utc_ms: 1_764_210_600_000,
            offset_min: 480,
        };
        round_trip::<Visit, _>(model::Visit {
            account_id: "acc".into(),
            occurred_at: at,
            logged_at: at,
            duration_min: 45,
            purpose: "review".into(),
            notes: "n".into(),
            contacts_met: vec!["c1".into()],
            check_in: Some(model::CheckIn {
                lat: 31.2,
                lon: 121.5,
                accuracy_m: 10.0,
            }),
            spin: vec![vocab::Spin::NeedPayoff],
            objections: vec![vocab::Objection::NoBudget],
            signals: vec![vocab::Signal::IntroducedSenior],
            next_step: Some("quote".into()),
            next_step_due: Some("2026-12-01".into()),
            deleted: false,
        });
        round_trip::<Contact, _>(model::Contact {
            account_id: "acc".into(),
            name: "Zhou".into(),
            roles: vec![vocab::BuyingRole::Coach],
            key_contact: true,
            vip_card: Some(model::VipCard {
                birthday: Some(model::Birthday {
                    calendar: vocab::Calendar::Lunar,
                    month: 6,
                    day: 1,
                    leap_month: true,
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        round_trip::<Account, _>(model::Account {
            name: "Huadong Steel".into(),
            location: Some(model::GeoPoint { lat: 1.0, lon: 2.0 }),
            stage: Some(vocab::Stage::StrategicAlliance),
            stage_history: vec![model::StageStep {
                id: "s".into(),
                stage: vocab::Stage::Initial,
                at,
            }],
            metrics: vec![model::PeriodMetrics {
                period: "2026-11".into(),
                sales: Some(1.5),
                ..Default::default()
            }],
            ..Default::default()
        });
        round_trip::<Opportunity, _>(model::Opportunity {
            name: "line 3".into(),
            status: vocab::OpportunityStatus::Won,
            ..Default::default()
        });
    }
}
