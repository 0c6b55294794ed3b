//! The vocabulary of the key-account method: every closed list a record chooses from.
//!
//! Each is a unit enum stored in documents by its variant name; a value a reader does not
//! know makes the document invalid (the server rejects it with the field's name). `ALL`
//! lists the variants in the method's order and `code()` gives the stable snake_case name
//! used on the wire, in the read model and on the command line. The default is the first
//! variant.

use autosurgeon::{Hydrate, Reconcile};

macro_rules! vocabulary {
    ($(#[$meta:meta])* pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Reconcile, Hydrate)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case name.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.code() == s)
            }
        }

        /// The first variant: the start of a sequence, or the most common choice.
        impl Default for $name {
            fn default() -> Self {
                Self::ALL[0]
            }
        }

        /// As JSON (feature `json`): its `code()`.
        #[cfg(feature = "json")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        #[cfg(feature = "json")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).ok_or_else(|| {
                    let codes: Vec<&str> = Self::ALL.iter().map(|v| v.code()).collect();
                    serde::de::Error::custom(format!(
                        "'{s}' is not one of {}",
                        codes.join(", ")
                    ))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

vocabulary! {
    /// Value pyramid tier (客户价值金字塔, §一.1).
    pub enum Tier { A = "a", B = "b", C = "c", D = "d" }
}

vocabulary! {
    /// The five stages of a key-account relationship (§四.1).
    pub enum Stage {
        /// 孕育: both sides look for a chance to work together.
        Gestation = "gestation",
        /// 初级: cooperation starts; both adjust.
        Initial = "initial",
        /// 中级: trust after a "trial period"; the customer still buys elsewhere too.
        Intermediate = "intermediate",
        /// 高级: broad cooperation and loyalty.
        Advanced = "advanced",
        /// 战略联盟: strategic partners sharing resources.
        StrategicAlliance = "strategic_alliance",
    }
}

vocabulary! {
    /// Administrative level of a contact (行政分级, §二.4).
    pub enum AdminLevel { Executive = "executive", DepartmentHead = "department_head", Staff = "staff" }
}

vocabulary! {
    /// How close the rep is to a contact (关系层次, §二.4).
    pub enum RelationshipLevel {
        Acquainted = "acquainted",
        Familiar = "familiar",
        Trusted = "trusted",
        Ally = "ally",
    }
}

vocabulary! {
    /// The four buying influences (四种购买影响者, §三.2).
    pub enum BuyingRole {
        /// 实际使用者
        User = "user",
        /// 技术把关者
        TechnicalGatekeeper = "technical_gatekeeper",
        /// 教练
        Coach = "coach",
        /// 决策者
        DecisionMaker = "decision_maker",
    }
}

vocabulary! {
    /// SPIN questions (§三.3).
    pub enum Spin {
        /// 背景性问题
        Situation = "situation",
        /// 难点性问题
        Problem = "problem",
        /// 暗示性问题
        Implication = "implication",
        /// 效益性问题
        NeedPayoff = "need_payoff",
    }
}

vocabulary! {
    /// The four objections (§三.1).
    pub enum Objection {
        /// 我不需要
        NoNeed = "no_need",
        /// 我不相信
        NoTrust = "no_trust",
        /// 我没预算
        NoBudget = "no_budget",
        /// 我不着急
        NoHurry = "no_hurry",
    }
}

vocabulary! {
    /// The four buying signals (§三.4).
    pub enum Signal {
        /// 接受了原本不接受的理念和条件
        AcceptedIdea = "accepted_idea",
        /// 同意进入下一个流程
        NextStep = "next_step",
        /// 同意引荐更高一级的管理者
        IntroducedSenior = "introduced_senior",
        /// 同意召开技术交流会
        TechnicalExchange = "technical_exchange",
    }
}

vocabulary! {
    /// A judgement in the four-step opportunity assessment (§二.3).
    pub enum Judgement { Yes = "yes", No = "no", Unsure = "unsure" }
}

vocabulary! {
    pub enum OpportunityStatus { Open = "open", Won = "won", Lost = "lost" }
}

vocabulary! {
    /// 可公可私 (§四.4.2).
    pub enum FavourKind { Business = "business", Personal = "personal" }
}

vocabulary! {
    pub enum Confidence { Low = "low", Medium = "medium", High = "high" }
}

vocabulary! {
    /// What the customer told us (§四.4.3).
    pub enum InfoKind {
        /// 出货量
        Shipments = "shipments",
        /// 库存
        Inventory = "inventory",
        /// 终端消费者反馈
        ConsumerFeedback = "consumer_feedback",
    }
}

vocabulary! {
    /// What a greeting was for (§四.4.3): a traditional holiday or a key person's birthday.
    pub enum Occasion {
        /// 春节 (lunar 1-1)
        SpringFestival = "spring_festival",
        /// 元宵节 (lunar 1-15)
        LanternFestival = "lantern_festival",
        /// 端午节 (lunar 5-5)
        DragonBoat = "dragon_boat",
        /// 中秋节 (lunar 8-15)
        MidAutumn = "mid_autumn",
        /// 重阳节 (lunar 9-9)
        DoubleNinth = "double_ninth",
        /// 元旦 (1 January)
        NewYear = "new_year",
        /// 国庆节 (1 October)
        NationalDay = "national_day",
        /// A contact's birthday.
        Birthday = "birthday",
    }
}

vocabulary! {
    pub enum Channel {
        InPerson = "in_person",
        Phone = "phone",
        Message = "message",
        WeChat = "wechat",
        Email = "email",
        Gift = "gift",
        Card = "card",
    }
}

vocabulary! {
    /// Relationship events (§四.4.2).
    pub enum EventKind {
        /// 客户在重要场合总是第一个想到你
        FirstThought = "first_thought",
        /// 取得最佳终端陈列和信息发布
        BestDisplay = "best_display",
        /// 为其解忧: helped with a private matter
        PrivateHelp = "private_help",
    }
}

vocabulary! {
    pub enum Calendar { Solar = "solar", Lunar = "lunar" }
}
