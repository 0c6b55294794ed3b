//! The CLI's two languages and every user-facing sentence, in one table.
//!
//! Reps in the field read Chinese; managers and engineers may prefer English. Keeping each
//! sentence's English and Chinese side by side in [`t`] means a new message cannot be added
//! in one language and forgotten in the other. Sentences take named `{placeholders}`,
//! filled by [`tf`], because word order differs between the two languages.

use std::fmt::Display;

/// The language of everything the CLI prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

/// Reads a `--lang` / `RAPPORT_LANG` value. Locale-style values (`zh_CN.UTF-8`, `en_US`)
/// are accepted too, since people often copy their `LANG` into `RAPPORT_LANG`.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    let lower = s.trim().to_ascii_lowercase();
    if lower.starts_with("zh") {
        Ok(Lang::Zh)
    } else if lower.starts_with("en") {
        Ok(Lang::En)
    } else {
        Err(format!("'{s}' is not a supported language (en or zh)"))
    }
}

/// Chooses the language: an explicit choice wins; otherwise the locale, read in POSIX
/// precedence (`LC_ALL`, then `LC_MESSAGES`, then `LANG`; empty values do not count).
/// Chinese when that locale starts with `zh`, English otherwise.
pub fn pick_lang(explicit: Option<Lang>, locale_vars: &[Option<&str>]) -> Lang {
    if let Some(l) = explicit {
        return l;
    }
    let locale = locale_vars
        .iter()
        .flatten()
        .map(|v| v.trim())
        .find(|v| !v.is_empty());
    match locale {
        Some(v) if v.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
        _ => Lang::En,
    }
}

/// The language from the process environment, when no `--lang` was given.
pub fn lang_from_env(explicit: Option<Lang>) -> Lang {
    let vars: Vec<Option<String>> = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .map(|k| std::env::var(k).ok())
        .collect();
    let refs: Vec<Option<&str>> = vars.iter().map(|v| v.as_deref()).collect();
    pick_lang(explicit, &refs)
}

/// Every sentence and label the CLI prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum M {
    ErrorPrefix,
    WarningPrefix,
    NoHome,
    PasswordPrompt,
    PasswordEmpty,
    LoginRefused,
    SignedIn,
    CompanyTimeZone,
    HintSync,
    LoggedOut,
    LoggedOutWaiting,
    RoleRep,
    RoleManager,
    RoleAdmin,
    LabelUser,
    LabelServer,
    LabelWaiting,
    LabelCursor,
    LabelLastSync,
    Never,
    NotSignedIn,
    SignedOutWas,
    RemovedFromTeam,
    ChangesOne,
    ChangesMany,
    WaitingSync,
    NothingWaiting,
    RejectedHeader,
    SyncDone,
    SyncRoundTrips,
    SyncAccepted,
    SyncRejected,
    SyncReceived,
    StillWaiting,
    AllSent,
    OfflineNone,
    OfflineOne,
    OfflineMany,
    OfflineHint,
    ErrOffline,
    ErrNotSignedIn,
    ErrSignedOut,
    ErrOtherUsersData,
    ErrServer,
    ErrInvalid,
    NotFound,
    NoContactAt,
    Ambiguous,
    TooShort,
    Saved,
    Updated,
    Removed,
    NothingToChange,
    BadAt,
    AtNoOffset,
    FutureVisit,
    BadWeek,
    NoAccounts,
    NoContacts,
    NoVisits,
    NoRecords,
    ColId,
    ColName,
    ColCity,
    ColIndustry,
    ColTitle,
    ColPhone,
    ColAccount,
    ColWhen,
    ColDuration,
    ColPurpose,
    ColKind,
    ColWhat,
    ColRep,
    ColUsername,
    ColVisits,
    ColAccounts,
    Minutes,
    TimelineHeading,
    ReportTitle,
    ReportTimeZone,
    Total,
    NoReps,
    BadValue,
    OneOf,
    ExpectAmount,
    ExpectNumber,
    ExpectCount,
    ExpectDate,
    ExpectMonthDay,
    ExpectRating,
    ExpectCadence,
    ExpectPeriod,
    ExpectYesNo,
    FutureTime,
    Today,
    Tomorrow,
    Yesterday,
    DaysAgo,
    InDays,
    Yes,
    No,
    NotSet,
    Unknown,
    NoneRecorded,
    RemovedMark,
    LabelId,
    LabelAccount,
    LabelCity,
    LabelIndustry,
    LabelTier,
    LabelCadence,
    LabelStage,
    LabelCurrentValue,
    LabelPotentialValue,
    LabelLocation,
    LabelLastVisit,
    LabelContacts,
    LabelOpenOpportunities,
    LabelTitle,
    LabelPhone,
    LabelAdminLevel,
    LabelRelationship,
    LabelRoles,
    LabelKeyContact,
    LabelLastMet,
    LabelInOpportunities,
    LabelNotes,
    LabelStatus,
    LabelValue,
    LabelExpectedClose,
    LabelWhen,
    LabelDuration,
    LabelPurpose,
    LabelMet,
    LabelCheckIn,
    LabelLogged,
    LabelSpin,
    LabelObjections,
    LabelSignals,
    LabelNextStep,
    TierFromScore,
    TierNoFigures,
    TierByHand,
    CadenceFromTier,
    CadenceByHand,
    OverdueSince,
    OverdueSinceAgo,
    NextVisitDue,
    NeverVisited,
    ContactsCount,
    MetricsHeading,
    NoMetrics,
    StageHistoryHeading,
    NoStageHistory,
    ColPeriod,
    ColSales,
    ColProfit,
    ColCollections,
    ColTransactions,
    ColTier,
    ColStage,
    ColLastVisit,
    MetricsNeedFigure,
    NoSuchPeriod,
    AccountNow,
    LeapMonth,
    NoCardYet,
    CardUpdated,
    CardDepth,
    CardNotKey,
    CardHeading,
    CardKnowsName,
    CardInterests,
    CardBirthday,
    CardConcerns,
    CardHelped,
    NextOn,
    NoCard,
    NeverMet,
    ColRoles,
    ColKey,
    ColCard,
    KeyMark,
    StepReal,
    StepCompetition,
    StepCanWin,
    StepWorthWinning,
    AssessmentHeading,
    RolesHeading,
    ColStep,
    ColJudgement,
    ColNote,
    ColRole,
    ColContact,
    ColLastMet,
    RoleUnknown,
    DangerNone,
    DangerYes,
    DangerUnknown,
    DangerNotMet,
    DangerNeverMet,
    DangerClosedNote,
    DangerMark,
    DangerFooter,
    NoOpportunities,
    ColStatus,
    ColValue,
    ColClose,
    ColRolesKnown,
    ColDanger,
    NoCheckIn,
    AccountNoLocation,
    CheckInVerified,
    CheckInTooFar,
    CheckInTooVague,
    LoggedLate,
    LoggedOnTime,
    NextStepDue,
    DueNeedsStep,
    FlagVerified,
    FlagUnverified,
    FlagLate,
    ColFlags,
    FavourOverLimit,
    FlagOverLimit,
    OverLimitFooter,
    NoFavours,
    NoIntel,
    NoInfo,
    NoGreetings,
    NoEvents,
    ColCompetitor,
    ColProduct,
    ColPrice,
    ColConfidence,
    ColSource,
    ColFigure,
    ColOccasion,
    ColChannel,
    ColNotes,
    InfoNeedsContent,
    BirthdayNeedsContact,
    ConfidenceIs,
    DueHeading,
    NothingDue,
    DueVisitsHeading,
    DueStepsHeading,
    DueBirthdaysHeading,
    DueHolidaysHeading,
    DueNow,
    EveryDays,
    EveryDay,
    ColDue,
    ColCadence,
    ColNextStep,
    ColVisit,
    ColBirthday,
}

/// The sentence `key` in `lang`.
///
/// A message catalogue: one arm per message with its English and Chinese side by side,
/// so a translator reads and checks both at once. It is long because the CLI has that
/// many messages, not because it holds several concepts; splitting it would only part
/// the messages of one screen.
pub fn t(lang: Lang, key: M) -> &'static str {
    let (en, zh) = match key {
        M::ErrorPrefix => ("error: ", "错误："),
        M::WarningPrefix => ("warning: ", "警告："),
        M::NoHome => (
            "cannot find your home directory: set --home or RAPPORT_HOME",
            "找不到主目录：请设置 --home 或 RAPPORT_HOME",
        ),
        M::PasswordPrompt => (
            "Password for {who} (visible as you type): ",
            "{who} 的密码（输入时可见）：",
        ),
        M::PasswordEmpty => ("no password given", "未提供密码"),
        M::LoginRefused => (
            "the server refused the sign-in: {reason}",
            "服务器拒绝登录：{reason}",
        ),
        M::SignedIn => (
            "Signed in as {name} ({who}), role: {role}.",
            "已登录：{name}（{who}），角色：{role}。",
        ),
        M::CompanyTimeZone => ("Company time zone: {tz}.", "公司时区：{tz}。"),
        M::HintSync => (
            "Run `rapport sync` to fetch your accounts and records.",
            "运行 `rapport sync` 获取您的客户和记录。",
        ),
        M::LoggedOut => (
            "Signed out. Your records stay on this device.",
            "已退出登录。您的记录仍保存在本设备上。",
        ),
        M::LoggedOutWaiting => (
            "{changes} will be sent when you sign in again and sync.",
            "{changes}将在您重新登录并同步后发送。",
        ),
        M::RoleRep => ("rep", "销售代表"),
        M::RoleManager => ("manager", "销售经理"),
        M::RoleAdmin => ("admin", "管理员"),
        M::LabelUser => ("User", "用户"),
        M::LabelServer => ("Server", "服务器"),
        M::LabelWaiting => ("Sync queue", "同步队列"),
        M::LabelCursor => ("Sync cursor", "同步游标"),
        M::LabelLastSync => ("Last sync", "上次同步"),
        M::Never => ("never", "从未同步"),
        M::NotSignedIn => ("not signed in", "未登录"),
        M::SignedOutWas => ("signed out (was {who})", "已退出（曾登录为 {who}）"),
        M::RemovedFromTeam => (
            "Removed from {account}'s team on {date}: its other records left this device, and new records on it are no longer accepted.",
            "已于 {date} 被移出 {account} 的客户团队：该客户的其他记录已从本设备移除，新记录不再被接受。",
        ),
        M::ChangesOne => ("1 change", "1 项更改"),
        M::ChangesMany => ("{n} changes", "{n} 项更改"),
        M::WaitingSync => ("{changes} waiting for sync", "{changes}等待同步"),
        M::NothingWaiting => ("nothing waiting for sync", "没有等待同步的更改"),
        M::RejectedHeader => (
            "Rejected by the server (edit the record to send it again):",
            "被服务器拒绝的记录（修改记录后会重新发送）：",
        ),
        M::SyncDone => ("Sync done.", "同步完成。"),
        M::SyncRoundTrips => ("round trips", "往返次数"),
        M::SyncAccepted => ("documents accepted", "服务器接受的文档"),
        M::SyncRejected => ("documents rejected", "服务器拒绝的文档"),
        M::SyncReceived => ("documents received", "收到的文档"),
        M::StillWaiting => (
            "{changes} still waiting for sync: run `rapport sync` again.",
            "仍有{changes}等待同步：请再次运行 `rapport sync`。",
        ),
        M::AllSent => ("Nothing waiting for sync.", "没有等待同步的更改。"),
        M::OfflineNone => (
            "server unreachable; nothing on this device is waiting to be sent",
            "无法连接服务器；本设备上没有等待发送的更改",
        ),
        M::OfflineOne => (
            "server unreachable; your 1 change is safe on this device",
            "无法连接服务器；您的 1 项更改已安全保存在本设备上",
        ),
        M::OfflineMany => (
            "server unreachable; your {n} changes are safe on this device",
            "无法连接服务器；您的 {n} 项更改已安全保存在本设备上",
        ),
        M::OfflineHint => (
            "Run `rapport sync` again when you are back online. ({detail})",
            "恢复网络后请再次运行 `rapport sync`。（{detail}）",
        ),
        M::ErrOffline => (
            "server unreachable ({detail})",
            "无法连接服务器（{detail}）",
        ),
        M::ErrNotSignedIn => (
            "not signed in: run `rapport login` first",
            "尚未登录：请先运行 `rapport login`",
        ),
        M::ErrSignedOut => (
            "signed out by the server ({reason}): run `rapport login` again",
            "已被服务器登出（{reason}）：请重新运行 `rapport login`",
        ),
        M::ErrOtherUsersData => (
            "this device holds the data of {holder}: sign in as {holder}, or use another --home",
            "本设备保存着 {holder} 的数据：请以 {holder} 登录，或使用另一个 --home",
        ),
        M::ErrServer => (
            "the server answered {status}: {message}",
            "服务器返回 {status}：{message}",
        ),
        M::ErrInvalid => ("invalid {detail}", "无效的输入：{detail}"),
        M::NotFound => ("no {kind} matches '{id}'", "没有与「{id}」匹配的{kind}"),
        M::NoContactAt => (
            "no contact of {account} matches '{id}'",
            "{account} 没有与「{id}」匹配的客户关系人",
        ),
        M::Ambiguous => (
            "'{id}' matches more than one {kind} ({candidates}): give more characters",
            "「{id}」匹配多个{kind}（{candidates}）：请输入更多字符",
        ),
        M::TooShort => (
            "'{id}' is too short: give at least 4 characters of the id",
            "「{id}」太短：请至少输入 id 的前 4 个字符",
        ),
        M::Saved => (
            "Saved the {kind} on this device; it is sent at the next sync.",
            "{kind}已保存在本设备上，下次同步时发送。",
        ),
        M::Updated => ("Updated {kind} {id}: {title}", "已更新{kind} {id}：{title}"),
        M::Removed => ("Removed {kind} {id}: {title}", "已删除{kind} {id}：{title}"),
        M::NothingToChange => (
            "nothing to change: give at least one option to edit",
            "没有要修改的内容：请至少给出一个选项",
        ),
        M::BadAt => (
            "'{at}' is not a time like 2026-11-27T10:30:00+08:00",
            "「{at}」不是形如 2026-11-27T10:30:00+08:00 的时间",
        ),
        M::AtNoOffset => (
            "'{at}' has no UTC offset: add it, e.g. 2026-11-27T10:30:00+08:00",
            "「{at}」缺少 UTC 时差：请加上，例如 2026-11-27T10:30:00+08:00",
        ),
        M::FutureVisit => (
            "the visit time {at} is in the future",
            "拜访时间 {at} 在未来",
        ),
        M::BadWeek => (
            "'{week}' is not an ISO week like 2026-W48",
            "「{week}」不是形如 2026-W48 的 ISO 周",
        ),
        M::NoAccounts => (
            "No accounts on this device yet: run `rapport sync`.",
            "本设备上还没有客户：请运行 `rapport sync`。",
        ),
        M::NoContacts => ("No contacts.", "没有客户关系人。"),
        M::NoVisits => ("No visits.", "没有拜访记录。"),
        M::NoRecords => ("No records for this account yet.", "该客户还没有记录。"),
        M::ColId => ("ID", "ID"),
        M::ColName => ("NAME", "名称"),
        M::ColCity => ("CITY", "城市"),
        M::ColIndustry => ("INDUSTRY", "行业"),
        M::ColTitle => ("TITLE", "职务"),
        M::ColPhone => ("PHONE", "电话"),
        M::ColAccount => ("ACCOUNT", "客户"),
        M::ColWhen => ("WHEN", "时间"),
        M::ColDuration => ("DURATION", "时长"),
        M::ColPurpose => ("PURPOSE", "目的"),
        M::ColKind => ("KIND", "类型"),
        M::ColWhat => ("WHAT", "内容"),
        M::ColRep => ("REP", "销售代表"),
        M::ColUsername => ("USERNAME", "用户名"),
        M::ColVisits => ("VISITS", "拜访次数"),
        M::ColAccounts => ("ACCOUNTS", "客户数"),
        M::Minutes => ("{n} min", "{n} 分钟"),
        M::TimelineHeading => (
            "{name}: {n} records, newest first",
            "{name}：共 {n} 条记录，最新的在前",
        ),
        M::ReportTitle => (
            "Weekly visits: {team}, {week} ({from} to {to})",
            "每周拜访：{team}，{week}（{from} 至 {to}）",
        ),
        M::ReportTimeZone => ("Time zone: {tz}", "时区：{tz}"),
        M::Total => ("Total", "合计"),
        M::NoReps => ("No reps in this team.", "该团队没有销售代表。"),
        M::BadValue => (
            "{flag}: '{value}' is not {expected}",
            "{flag}：「{value}」无效，应为{expected}",
        ),
        M::OneOf => ("one of: {choices}", "以下之一：{choices}"),
        M::ExpectAmount => (
            "an amount of zero or more, e.g. 12800, 12,800 or 1.5万",
            "零或正的金额，例如 12800、12,800 或 1.5万",
        ),
        M::ExpectNumber => ("a number, e.g. 1200 or 1.5万", "数字，例如 1200 或 1.5万"),
        M::ExpectCount => ("a whole number of zero or more", "零或正整数"),
        M::ExpectDate => (
            "a date like 2026-11-27, +7 (days from today), today or tomorrow",
            "形如 2026-11-27 的日期、+7（7 天后）、today 或 tomorrow",
        ),
        M::ExpectMonthDay => ("a month and day like 08-15", "形如 08-15 的月-日"),
        M::ExpectRating => ("a score from 1 to 5, or none", "1 到 5 的分数，或 none"),
        M::ExpectCadence => (
            "a number of days from 1 to 366, or none",
            "1 到 366 的天数，或 none",
        ),
        M::ExpectPeriod => (
            "a period like 2026, 2026-Q3 or 2026-11",
            "形如 2026、2026-Q3 或 2026-11 的期间",
        ),
        M::ExpectYesNo => ("yes or no", "yes 或 no（是或否）"),
        M::FutureTime => ("the time {at} is in the future", "时间 {at} 在未来"),
        M::Today => ("today", "今天"),
        M::Tomorrow => ("tomorrow", "明天"),
        M::Yesterday => ("yesterday", "昨天"),
        M::DaysAgo => ("{n} days ago", "{n} 天前"),
        M::InDays => ("in {n} days", "{n} 天后"),
        M::Yes => ("yes", "是"),
        M::No => ("no", "否"),
        M::NotSet => ("not set", "未填写"),
        M::Unknown => ("not known yet", "尚不了解"),
        M::RemovedMark => ("removed", "已删除"),
        M::NoneRecorded => ("none", "无"),
        M::LabelId => ("ID", "ID"),
        M::LabelAccount => ("Account", "客户"),
        M::LabelCity => ("City", "城市"),
        M::LabelIndustry => ("Industry", "行业"),
        M::LabelTier => ("Tier", "价值分级"),
        M::LabelCadence => ("Visit cadence", "拜访周期"),
        M::LabelStage => ("Stage", "关系阶段"),
        M::LabelCurrentValue => ("Current value", "现实价值"),
        M::LabelPotentialValue => ("Potential value", "潜在价值"),
        M::LabelLocation => ("Location", "位置"),
        M::LabelLastVisit => ("Last visit", "上次拜访"),
        M::LabelContacts => ("Contacts", "客户关系人"),
        M::LabelOpenOpportunities => ("Open opportunities", "跟进中的机会"),
        M::LabelTitle => ("Title", "职务"),
        M::LabelPhone => ("Phone", "电话"),
        M::LabelAdminLevel => ("Admin level", "行政分级"),
        M::LabelRelationship => ("Relationship", "关系层次"),
        M::LabelRoles => ("Buying roles", "采购角色"),
        M::LabelKeyContact => ("Key contact", "重点客户"),
        M::LabelLastMet => ("Last met", "上次见面"),
        M::LabelInOpportunities => ("In opportunities", "参与的机会"),
        M::LabelNotes => ("Notes", "备注"),
        M::LabelStatus => ("Status", "状态"),
        M::LabelValue => ("Value", "金额"),
        M::LabelExpectedClose => ("Expected close", "预计成交"),
        M::LabelWhen => ("When", "时间"),
        M::LabelDuration => ("Duration", "时长"),
        M::LabelPurpose => ("Purpose", "目的"),
        M::LabelMet => ("Met", "见到"),
        M::LabelCheckIn => ("Check-in", "签到"),
        M::LabelLogged => ("Logged", "记录于"),
        M::LabelSpin => ("SPIN questions", "SPIN 提问"),
        M::LabelObjections => ("Objections", "遇到的拒绝"),
        M::LabelSignals => ("Buying signals", "购买标志"),
        M::LabelNextStep => ("Next step", "下一步"),
        M::TierFromScore => (
            "value score {score}, {period}",
            "价值得分 {score}，{period}",
        ),
        M::TierNoFigures => ("no figures yet", "尚无业绩数据"),
        M::TierByHand => (
            "{tier} (set by hand; the figures give {figures}: {why})",
            "{tier}（手动设定；按业绩为 {figures}：{why}）",
        ),
        M::CadenceFromTier => ("every {n} days (tier {tier})", "每 {n} 天（{tier} 类客户）"),
        M::CadenceByHand => ("every {n} days (set by hand)", "每 {n} 天（手动设定）"),
        M::OverdueSince => ("overdue since {date}", "已逾期（自 {date} 起）"),
        M::OverdueSinceAgo => (
            "OVERDUE since {date} ({ago})",
            "已逾期：自 {date} 起（{ago}）",
        ),
        M::NextVisitDue => ("next visit due {date}", "下次拜访应在 {date} 前"),
        M::NeverVisited => ("never visited", "从未拜访"),
        M::ContactsCount => ("{n} ({key} key)", "{n} 人（重点 {key} 人）"),
        M::MetricsHeading => (
            "Figures per period (single metrics):",
            "各期业绩（单一指标）：",
        ),
        M::NoMetrics => (
            "No figures yet: rapport account edit ACCOUNT --metrics 2026-Q3 --sales 120",
            "尚无业绩：rapport account edit 客户 --metrics 2026-Q3 --sales 120",
        ),
        M::StageHistoryHeading => ("Stage history:", "关系阶段变化："),
        M::NoStageHistory => ("No stage changes recorded.", "尚无阶段变化记录。"),
        M::ColPeriod => ("PERIOD", "期间"),
        M::ColSales => ("SALES", "销售额"),
        M::ColProfit => ("PROFIT", "利润"),
        M::ColCollections => ("COLLECTIONS", "回款"),
        M::ColTransactions => ("TRANSACTIONS", "交易次数"),
        M::ColTier => ("TIER", "分级"),
        M::ColStage => ("STAGE", "关系阶段"),
        M::ColLastVisit => ("LAST VISIT", "上次拜访"),
        M::MetricsNeedFigure => (
            "--metrics needs a figure to set: --sales, --profit, --collections or --transactions",
            "--metrics 需要同时给出 --sales、--profit、--collections 或 --transactions",
        ),
        M::NoSuchPeriod => (
            "the account has no figures for {period}",
            "该客户没有 {period} 的业绩",
        ),
        M::AccountNow => (
            "Now: tier {tier}, a visit every {n} days, stage: {stage}.",
            "现在：{tier} 类，每 {n} 天拜访一次，关系阶段：{stage}。",
        ),
        M::LeapMonth => (" (leap month)", "（闰月）"),
        M::NoCardYet => (
            "{name} has no VIP card yet: give what you know, e.g. --interests 高尔夫 --knows-name yes",
            "{name} 还没有 VIP 客情关系卡：请给出已了解的内容，例如 --interests 高尔夫 --knows-name yes",
        ),
        M::CardUpdated => (
            "Updated the VIP card of {kind} {id}: {title}",
            "已更新{kind} {id} 的 VIP 客情关系卡：{title}",
        ),
        M::CardDepth => ("Card depth: {n} of 4.", "客情深度：4 项中已了解 {n} 项。"),
        M::CardNotKey => (
            "{name} is not marked a key contact, so the card does not count on the scorecard: rapport contact edit {id} --key",
            "{name} 尚未标记为重点客户，此卡不计入考核：rapport contact edit {id} --key",
        ),
        M::CardHeading => (
            "VIP card (客情关系卡), depth {n} of 4:",
            "VIP 客情关系卡（深度：4 项中已了解 {n} 项）：",
        ),
        M::CardKnowsName => ("Calls you by name", "能叫出您的名字"),
        M::CardInterests => ("Interests", "兴趣爱好"),
        M::CardBirthday => ("Birthday", "生日"),
        M::CardConcerns => ("Personal concerns", "私人情况"),
        M::CardHelped => ("Helped with one", "为其解忧"),
        M::NextOn => ("next {date}, {when}", "下次 {date}，{when}"),
        M::NoCard => (
            "No VIP card: rapport contact card ID --knows-name yes --interests ...",
            "尚无 VIP 客情关系卡：rapport contact card ID --knows-name yes --interests ...",
        ),
        M::NeverMet => ("never met in a visit", "拜访中从未见过"),
        M::ColRoles => ("ROLES", "采购角色"),
        M::ColKey => ("KEY", "重点"),
        M::ColCard => ("CARD", "客情卡"),
        M::KeyMark => ("key", "重点"),
        M::StepReal => ("Is it real?", "是不是机会"),
        M::StepCompetition => ("Is there competition?", "是不是存在竞争"),
        M::StepCanWin => ("Can we win?", "是不是能赢"),
        M::StepWorthWinning => ("Is it worth winning?", "是不是值得赢"),
        M::AssessmentHeading => ("Four-step assessment:", "四步评估："),
        M::RolesHeading => (
            "Buying roles (the four buying influences):",
            "四种购买影响者：",
        ),
        M::ColStep => ("STEP", "步骤"),
        M::ColJudgement => ("JUDGEMENT", "判断"),
        M::ColNote => ("NOTE", "说明"),
        M::ColRole => ("ROLE", "角色"),
        M::ColContact => ("CONTACT", "客户关系人"),
        M::ColLastMet => ("LAST MET", "上次见面"),
        M::RoleUnknown => ("(nobody known)", "（尚不明确）"),
        M::DangerNone => (
            "Not in the danger zone: all four roles are known and each was met in the last {days} days.",
            "不在销售雷区：四种角色均已明确，且近 {days} 天内都拜访过。",
        ),
        M::DangerYes => ("In the danger zone (销售雷区):", "处于销售雷区："),
        M::DangerUnknown => ("{role}: nobody known in this role", "{role}：身份不明"),
        M::DangerNotMet => (
            "{role} {name}: not met in a visit in the last {days} days (last: {last})",
            "{role} {name}：近 {days} 天未拜访（上次：{last}）",
        ),
        M::DangerNeverMet => (
            "{role} {name}: never met in a visit",
            "{role} {name}：从未拜访过",
        ),
        M::DangerClosedNote => (
            "(The opportunity is closed; the danger zone matters for open ones.)",
            "（该机会已结束；销售雷区只针对跟进中的机会。）",
        ),
        M::DangerMark => ("DANGER", "雷区"),
        M::DangerFooter => (
            "{n} open opportunities are in the danger zone: a buying role unknown, or not met in the last {days} days. See `rapport opportunity show ID`.",
            "{n} 个跟进中的机会处于销售雷区：有采购角色身份不明，或近 {days} 天未拜访。详见 `rapport opportunity show ID`。",
        ),
        M::NoOpportunities => ("No opportunities.", "没有销售机会。"),
        M::ColStatus => ("STATUS", "状态"),
        M::ColValue => ("VALUE", "金额"),
        M::ColClose => ("CLOSE", "预计成交"),
        M::ColRolesKnown => ("ROLES", "角色明确"),
        M::ColDanger => ("DANGER ZONE", "雷区"),
        M::NoCheckIn => ("no check-in", "未签到"),
        M::AccountNoLocation => (
            "the account has no location, so the check-in cannot be verified",
            "该客户没有位置信息，无法核实签到",
        ),
        M::CheckInVerified => (
            "verified, {distance} from the account",
            "已核实，距客户 {distance}",
        ),
        M::CheckInTooFar => (
            "not verified: {distance} from the account, beyond {radius}",
            "未核实：距客户 {distance}，超出 {radius}",
        ),
        M::CheckInTooVague => (
            "not verified: the position is less precise than {radius} ({distance} from the account)",
            "未核实：定位精度低于 {radius}（距客户 {distance}）",
        ),
        M::LoggedLate => (
            "LATE: logged {hours} h after the visit (the limit is {limit} h)",
            "补录：拜访后 {hours} 小时才记录（限 {limit} 小时）",
        ),
        M::LoggedOnTime => ("on time", "及时记录"),
        M::NextStepDue => ("{step} (due {due}, {when})", "{step}（{due} 前，{when}）"),
        M::DueNeedsStep => (
            "a due date needs a next step: give --next-step too",
            "截止日期需要有下一步：请同时给出 --next-step",
        ),
        M::FlagVerified => ("verified", "已核实"),
        M::FlagUnverified => ("unverified", "未核实"),
        M::FlagLate => ("late", "补录"),
        M::ColFlags => ("FLAGS", "标记"),
        M::FavourOverLimit => (
            "the value {value} is over the company's limit of {limit}: it is flagged for your manager",
            "金额 {value} 超过公司限额 {limit}：将提示您的经理",
        ),
        M::FlagOverLimit => ("OVER LIMIT", "超限"),
        M::OverLimitFooter => (
            "{n} favours are over the company's limit of {limit} and flagged for the manager (anti-bribery).",
            "{n} 项超过公司限额 {limit}，将提示经理（反商业贿赂）。",
        ),
        M::NoFavours => ("No favours.", "没有帮客户做一件事的记录。"),
        M::NoIntel => ("No competitor intelligence.", "没有竞争对手情况。"),
        M::NoInfo => ("No customer info.", "没有客户信息反馈。"),
        M::NoGreetings => ("No greetings.", "没有问候记录。"),
        M::NoEvents => ("No relationship events.", "没有客情事件。"),
        M::ColCompetitor => ("COMPETITOR", "竞争对手"),
        M::ColProduct => ("PRODUCT", "产品"),
        M::ColPrice => ("PRICE", "价格"),
        M::ColConfidence => ("CONFIDENCE", "可信度"),
        M::ColSource => ("SOURCE", "信息来源"),
        M::ColFigure => ("FIGURE", "数据"),
        M::ColOccasion => ("OCCASION", "节日/场合"),
        M::ColChannel => ("CHANNEL", "方式"),
        M::ColNotes => ("NOTES", "备注"),
        M::InfoNeedsContent => (
            "give --figure, --details or both",
            "请给出 --figure、--details 或两者",
        ),
        M::BirthdayNeedsContact => (
            "a birthday greeting needs --contact: whose birthday it was",
            "生日问候需要 --contact：是谁的生日",
        ),
        M::ConfidenceIs => ("confidence: {level}", "可信度：{level}"),
        M::DueHeading => (
            "Due from {from} to {to} (next {days} days):",
            "{from} 至 {to} 的待办（未来 {days} 天）：",
        ),
        M::NothingDue => ("Nothing due.", "没有待办事项。"),
        M::DueVisitsHeading => (
            "Visits due ({n}, {overdue} overdue):",
            "应拜访的客户（{n} 个，其中逾期 {overdue} 个）：",
        ),
        M::DueStepsHeading => ("Next steps promised ({n}):", "承诺的下一步（{n} 项）："),
        M::DueBirthdaysHeading => ("Birthdays of key people ({n}):", "关键人物生日（{n} 人）："),
        M::DueHolidaysHeading => (
            "Holidays: greet your key contacts ({key} on this device):",
            "传统节日：向重点客户问候（本设备上共 {key} 人）：",
        ),
        M::DueNow => ("due now", "现在就该拜访"),
        M::EveryDay => ("every day", "每天"),
        M::EveryDays => ("every {n} days", "每 {n} 天"),
        M::ColDue => ("DUE", "到期"),
        M::ColCadence => ("CADENCE", "拜访周期"),
        M::ColNextStep => ("NEXT STEP", "下一步"),
        M::ColVisit => ("VISIT", "拜访"),
        M::ColBirthday => ("BIRTHDAY", "生日"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// The sentence `key` in `lang` with its `{name}` placeholders filled.
pub fn tf(lang: Lang, key: M, args: &[(&str, &dyn Display)]) -> String {
    fill(t(lang, key), args)
}

fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// A colon before what follows: `: ` or `：`.
pub fn colon(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ": ",
        Lang::Zh => "：",
    }
}

/// The separator of list items: `, ` or `、`.
pub fn list_sep(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ", ",
        Lang::Zh => "、",
    }
}

/// The separator of two clauses: `; ` or `；`.
pub fn semi(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "; ",
        Lang::Zh => "；",
    }
}

/// `main (aside)`, with full-width brackets in Chinese: `main（aside）`.
pub fn paren(lang: Lang, main: &str, aside: &str) -> String {
    match lang {
        Lang::En => format!("{main} ({aside})"),
        Lang::Zh => format!("{main}（{aside}）"),
    }
}

/// "1 change" / "3 changes" / "3 项更改".
pub fn changes(lang: Lang, n: u64) -> String {
    if n == 1 {
        t(lang, M::ChangesOne).to_owned()
    } else {
        tf(lang, M::ChangesMany, &[("n", &n)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_language_wins_over_the_locale() {
        assert_eq!(pick_lang(Some(Lang::En), &[Some("zh_CN.UTF-8")]), Lang::En);
        assert_eq!(pick_lang(Some(Lang::Zh), &[Some("en_US.UTF-8")]), Lang::Zh);
    }

    #[test]
    fn the_locale_picks_chinese_only_when_it_starts_with_zh() {
        assert_eq!(
            pick_lang(None, &[None, None, Some("zh_CN.UTF-8")]),
            Lang::Zh
        );
        assert_eq!(pick_lang(None, &[None, None, Some("zh_TW")]), Lang::Zh);
        assert_eq!(
            pick_lang(None, &[None, None, Some("en_US.UTF-8")]),
            Lang::En
        );
        assert_eq!(pick_lang(None, &[None, None, Some("C")]), Lang::En);
        assert_eq!(pick_lang(None, &[None, None, None]), Lang::En);
    }

    #[test]
    fn lc_all_overrides_lang_and_empty_values_do_not_count() {
        // LC_ALL, LC_MESSAGES, LANG
        assert_eq!(
            pick_lang(None, &[Some("en_US"), None, Some("zh_CN")]),
            Lang::En
        );
        assert_eq!(pick_lang(None, &[Some(""), None, Some("zh_CN")]), Lang::Zh);
        assert_eq!(
            pick_lang(None, &[None, Some("zh_HK"), Some("en_US")]),
            Lang::Zh
        );
    }

    #[test]
    fn lang_values_accept_locale_spellings() {
        assert_eq!(parse_lang("zh"), Ok(Lang::Zh));
        assert_eq!(parse_lang("zh_CN.UTF-8"), Ok(Lang::Zh));
        assert_eq!(parse_lang("EN"), Ok(Lang::En));
        assert_eq!(parse_lang("en_GB"), Ok(Lang::En));
        assert!(parse_lang("fr").is_err());
        assert!(parse_lang("").is_err());
    }

    #[test]
    fn placeholders_are_filled_by_name() {
        assert_eq!(
            tf(
                Lang::En,
                M::WaitingSync,
                &[("changes", &changes(Lang::En, 3))]
            ),
            "3 changes waiting for sync"
        );
        assert_eq!(
            tf(
                Lang::Zh,
                M::WaitingSync,
                &[("changes", &changes(Lang::Zh, 1))]
            ),
            "1 项更改等待同步"
        );
        assert_eq!(changes(Lang::En, 1), "1 change");
        assert_eq!(changes(Lang::En, 0), "0 changes");
        assert_eq!(paren(Lang::En, "a", "b"), "a (b)");
        assert_eq!(paren(Lang::Zh, "甲", "乙"), "甲（乙）");
    }
}
