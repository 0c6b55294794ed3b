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
    KindAccount,
    KindContact,
    KindVisit,
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
}

/// The sentence `key` in `lang`.
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
            "{account} 没有与「{id}」匹配的联系人",
        ),
        M::Ambiguous => (
            "'{id}' matches more than one {kind} ({candidates}): give more characters",
            "「{id}」匹配多个{kind}（{candidates}）：请输入更多字符",
        ),
        M::TooShort => (
            "'{id}' is too short: give at least 4 characters of the id",
            "「{id}」太短：请至少输入 id 的前 4 个字符",
        ),
        M::KindAccount => ("account", "客户"),
        M::KindContact => ("contact", "联系人"),
        M::KindVisit => ("visit", "拜访"),
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
        M::NoContacts => ("No contacts.", "没有联系人。"),
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
    }
}
