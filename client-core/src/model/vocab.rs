//! The vocabulary of the key-account method: every closed list a record chooses from.
//!
//! Each is a unit enum stored in documents by its variant name; a value a reader does not
//! know makes the document invalid (the server rejects it with the field's name). `ALL`
//! lists the variants in the method's order and `code()` gives the stable snake_case name
//! used on the wire, in the read model and on the command line. Each value also carries
//! its English and Chinese names (see [`Term`]): written beside the value, in the course's
//! words, once for the CLI and the dashboard alike. The default is the first variant.

use autosurgeon::{Hydrate, Reconcile};

use super::terms::{Term, Terms};

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident $(labelled ($label_en:literal, $label_zh:literal))? {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ($en:literal, $zh:literal) ),+
            $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Reconcile, Hydrate)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Every value as `(code, English, Chinese)`.
            pub const TERMS: Terms = &[$(($code, $en, $zh)),+];

            /// The stable snake_case name.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.code() == s)
            }
        }

        impl Term for $name {
            fn all() -> &'static [Self] {
                Self::ALL
            }

            fn code(self) -> &'static str {
                $name::code(self)
            }

            fn names(self) -> (&'static str, &'static str) {
                match self { $($name::$variant => ($en, $zh)),+ }
            }
        }

        vocabulary!(@labelled $name $(($label_en, $label_zh))? { $($code ($en, $zh)),+ });

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
    (@labelled $name:ident { $($rows:tt)* }) => {};
    (@labelled $name:ident ($label_en:literal, $label_zh:literal) {
        $($code:literal ($en:literal, $zh:literal)),+
    }) => {
        impl $name {
            /// Every value as `(code, English, Chinese)`, each name led by the list's
            /// (`objection: no need`, `异议：不需要`), for views that mix several lists.
            pub const LABELLED: Terms = &[$((
                $code,
                concat!($label_en, ": ", $en),
                concat!($label_zh, "：", $zh),
            )),+];
        }
    };
}

vocabulary! {
    /// Value pyramid tier (客户价值金字塔, §一.1).
    pub enum Tier {
        A = "a" ("A", "A 类"),
        B = "b" ("B", "B 类"),
        C = "c" ("C", "C 类"),
        D = "d" ("D", "D 类"),
    }
}

vocabulary! {
    /// The five stages of a key-account relationship (§四.1).
    pub enum Stage {
        /// 孕育: both sides look for a chance to work together.
        Gestation = "gestation" ("gestation", "孕育阶段"),
        /// 初级: cooperation starts; both adjust.
        Initial = "initial" ("initial", "初级阶段"),
        /// 中级: trust after a "trial period"; the customer still buys elsewhere too.
        Intermediate = "intermediate" ("intermediate", "中级阶段"),
        /// 高级: broad cooperation and loyalty.
        Advanced = "advanced" ("advanced", "高级阶段"),
        /// 战略联盟: strategic partners sharing resources.
        StrategicAlliance = "strategic_alliance" ("strategic alliance", "战略联盟阶段"),
    }
}

vocabulary! {
    /// Administrative level of a contact (行政分级, §二.4).
    pub enum AdminLevel {
        Executive = "executive" ("executive", "高层领导"),
        DepartmentHead = "department_head" ("department head", "部门负责人"),
        Staff = "staff" ("staff", "一般员工"),
    }
}

vocabulary! {
    /// How close the rep is to a contact (关系层次, §二.4).
    pub enum RelationshipLevel {
        Acquainted = "acquainted" ("acquainted", "认识"),
        Familiar = "familiar" ("familiar", "熟悉"),
        Trusted = "trusted" ("trusted", "信任"),
        Ally = "ally" ("ally", "盟友"),
    }
}

vocabulary! {
    /// The four buying influences (四种购买影响者, §三.2).
    pub enum BuyingRole {
        User = "user" ("user", "实际使用者"),
        TechnicalGatekeeper = "technical_gatekeeper" ("technical gatekeeper", "技术把关者"),
        Coach = "coach" ("coach", "教练"),
        DecisionMaker = "decision_maker" ("decision maker", "决策者"),
    }
}

vocabulary! {
    /// SPIN questions (§三.3).
    pub enum Spin {
        Situation = "situation" ("situation question", "背景性问题"),
        Problem = "problem" ("problem question", "难点性问题"),
        Implication = "implication" ("implication question", "暗示性问题"),
        NeedPayoff = "need_payoff" ("need-payoff question", "效益性问题"),
    }
}

vocabulary! {
    /// The four objections (§三.1).
    pub enum Objection labelled ("objection", "异议") {
        /// 我不需要
        NoNeed = "no_need" ("no need", "不需要"),
        /// 我不相信
        NoTrust = "no_trust" ("no trust", "不相信"),
        /// 我没预算
        NoBudget = "no_budget" ("no budget", "没预算"),
        /// 我不着急
        NoHurry = "no_hurry" ("no hurry", "不着急"),
    }
}

vocabulary! {
    /// The four buying signals (§三.4).
    pub enum Signal labelled ("signal", "信号") {
        AcceptedIdea = "accepted_idea" ("accepted an idea once rejected", "接受了原本不接受的理念和条件"),
        NextStep = "next_step" ("agreed to the next step", "同意进入下一个流程"),
        IntroducedSenior = "introduced_senior" ("introduced a more senior manager", "同意引荐更高一级的管理者"),
        TechnicalExchange = "technical_exchange" ("agreed to a technical exchange", "同意召开技术交流会"),
    }
}

vocabulary! {
    /// A judgement in the four-step opportunity assessment (§二.3).
    pub enum Judgement {
        Yes = "yes" ("yes", "是"),
        No = "no" ("no", "否"),
        Unsure = "unsure" ("unsure", "不确定"),
    }
}

vocabulary! {
    pub enum OpportunityStatus {
        Open = "open" ("open", "跟进中"),
        Won = "won" ("won", "已赢单"),
        Lost = "lost" ("lost", "已丢单"),
    }
}

vocabulary! {
    /// 可公可私 (§四.4.2).
    pub enum FavourKind {
        Business = "business" ("business", "公事"),
        Personal = "personal" ("personal", "私事"),
    }
}

vocabulary! {
    pub enum Confidence {
        Low = "low" ("low", "低"),
        Medium = "medium" ("medium", "中"),
        High = "high" ("high", "高"),
    }
}

vocabulary! {
    /// What the customer told us (§四.4.3).
    pub enum InfoKind {
        Shipments = "shipments" ("shipments", "出货量"),
        Inventory = "inventory" ("inventory", "库存"),
        ConsumerFeedback = "consumer_feedback" ("end-consumer feedback", "终端消费者反馈"),
    }
}

vocabulary! {
    /// What a greeting was for (§四.4.3): a traditional holiday or a key person's birthday.
    pub enum Occasion {
        /// 春节 (lunar 1-1)
        SpringFestival = "spring_festival" ("Spring Festival", "春节"),
        /// 元宵节 (lunar 1-15)
        LanternFestival = "lantern_festival" ("Lantern Festival", "元宵节"),
        /// 端午节 (lunar 5-5)
        DragonBoat = "dragon_boat" ("Dragon Boat Festival", "端午节"),
        /// 中秋节 (lunar 8-15)
        MidAutumn = "mid_autumn" ("Mid-Autumn Festival", "中秋节"),
        /// 重阳节 (lunar 9-9)
        DoubleNinth = "double_ninth" ("Double Ninth Festival", "重阳节"),
        /// 元旦 (1 January)
        NewYear = "new_year" ("New Year's Day", "元旦"),
        /// 国庆节 (1 October)
        NationalDay = "national_day" ("National Day", "国庆节"),
        /// A contact's birthday.
        Birthday = "birthday" ("birthday", "生日"),
    }
}

vocabulary! {
    pub enum Channel {
        InPerson = "in_person" ("in person", "当面"),
        Phone = "phone" ("phone", "电话"),
        Message = "message" ("text message", "短信"),
        WeChat = "wechat" ("WeChat", "微信"),
        Email = "email" ("email", "邮件"),
        Gift = "gift" ("gift", "礼品"),
        Card = "card" ("card", "贺卡"),
    }
}

vocabulary! {
    /// Relationship events (§四.4.2).
    pub enum EventKind {
        /// 客户在重要场合总是第一个想到你
        FirstThought = "first_thought" ("thought of us first at an important occasion", "重要场合第一个想到我们"),
        BestDisplay = "best_display" ("best display and information placement", "取得最佳终端陈列和信息发布"),
        /// 为其解忧: helped with a private matter
        PrivateHelp = "private_help" ("helped with a private matter", "为其解忧"),
    }
}

vocabulary! {
    pub enum Calendar {
        Solar = "solar" ("solar", "公历"),
        Lunar = "lunar" ("lunar", "农历"),
    }
}
