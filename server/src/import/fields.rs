//! What a table holds and what its columns mean: each kind's fields and the headers that
//! name them (English, Chinese, and the column names of Rapport's own CSV files), how a
//! table's kind is told from its sheet or file name or from its headers, and how cell
//! text becomes a value. Closed lists (tier, buying roles, levels) accept their code and
//! the English and Chinese names of client-core's vocabulary, as the dashboard shows them.

use std::collections::HashMap;

use rapport_client_core::model::{DocKind, Terms};
use rapport_client_core::protocol::Role;

use super::ImportKind;
use super::read::Table;
use crate::error::{ApiError, ApiResult};

/// A field of an import row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Id,
    Name,
    Industry,
    City,
    Lat,
    Lon,
    Position,
    Tier,
    CadenceDays,
    CurrentValue,
    PotentialValue,
    Deleted,
    Account,
    Title,
    Phone,
    Notes,
    AdminLevel,
    RelationshipLevel,
    KeyContact,
    Roles,
    Username,
    DisplayName,
    Role,
    Team,
    Password,
    Active,
}

/// Headers of a kind's fields, compared after [`normalise`]. The first of each is the
/// name Rapport's export writes.
fn aliases(kind: ImportKind) -> &'static [(Field, &'static [&'static str])] {
    use Field::*;
    const ACCOUNT_REF: &[&str] = &[
        "account_id",
        "account",
        "account_name",
        "客户名称",
        "客户",
        "客户id",
        "客户编号",
    ];
    const DELETED: &[&str] = &["deleted", "removed", "已删除", "删除"];
    match kind {
        ImportKind::Team => &[
            (Id, &["id", "team_id"]),
            (
                Name,
                &["name", "team", "team_name", "团队", "团队名称", "名称"],
            ),
        ],
        ImportKind::User => &[
            (Id, &["id", "user_id"]),
            (
                Username,
                &["username", "user", "login", "用户名", "账号", "登录名"],
            ),
            (
                DisplayName,
                &["display_name", "name", "显示名", "显示名称", "姓名"],
            ),
            (Role, &["role", "角色"]),
            (Team, &["team", "team_name", "team_id", "团队", "团队名称"]),
            (
                Password,
                &["password", "initial_password", "密码", "初始密码"],
            ),
            (Active, &["active", "在用", "启用"]),
        ],
        ImportKind::Account => &[
            (Id, &["id", "account_id", "客户id", "客户编号"]),
            (
                Name,
                &[
                    "name",
                    "account",
                    "account_name",
                    "客户名称",
                    "客户",
                    "名称",
                ],
            ),
            (Industry, &["industry", "行业"]),
            (City, &["city", "城市"]),
            (Lat, &["lat", "latitude", "纬度"]),
            (Lon, &["lon", "lng", "longitude", "经度"]),
            (Position, &["position", "location", "位置", "坐标"]),
            (
                Tier,
                &[
                    "tier",
                    "tier_override",
                    "级别",
                    "等级",
                    "客户级别",
                    "客户等级",
                ],
            ),
            (
                CadenceDays,
                &["cadence_days", "cadence", "拜访周期", "拜访周期_天"],
            ),
            (CurrentValue, &["current_value", "现实价值"]),
            (PotentialValue, &["potential_value", "潜在价值"]),
            (Deleted, DELETED),
        ],
        ImportKind::Contact => &[
            (Id, &["id", "contact_id", "联系人id", "联系人编号"]),
            (Account, ACCOUNT_REF),
            (
                Name,
                &[
                    "name",
                    "contact",
                    "contact_name",
                    "姓名",
                    "联系人",
                    "联系人姓名",
                ],
            ),
            (Title, &["title", "职务", "职位"]),
            (Phone, &["phone", "mobile", "电话", "手机", "联系电话"]),
            (Notes, &["notes", "备注"]),
            (AdminLevel, &["admin_level", "行政级别", "行政分级"]),
            (RelationshipLevel, &["relationship_level", "关系层次"]),
            (KeyContact, &["key_contact", "key", "关键人", "关键联系人"]),
            (Roles, &["roles", "buying_roles", "角色", "购买角色"]),
            (Deleted, DELETED),
        ],
        ImportKind::Assignment => &[
            (Account, ACCOUNT_REF),
            (
                Username,
                &["username", "user", "user_id", "用户名", "用户", "销售"],
            ),
            (Active, &["active", "有效"]),
        ],
    }
}

/// A header as compared: trimmed, lower case, a required-field star and spaces or
/// hyphens dropped or made `_`, a unit in brackets dropped (`拜访周期（天）`).
pub fn normalise(header: &str) -> String {
    let h = header
        .trim()
        .trim_start_matches('\u{feff}')
        .trim_matches('*')
        .trim();
    let h = match h.find(['(', '（']) {
        Some(i) if i > 0 => &h[..i],
        _ => h,
    };
    h.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

/// A table with its kind and which column holds which field.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub table: Table,
    pub kind: ImportKind,
    pub columns: HashMap<Field, usize>,
    /// Headers that name no field of the kind (reported, not read).
    pub ignored: Vec<String>,
}

impl Sheet {
    /// The cell of `field` in `row`, when the column exists and the cell is not empty.
    pub fn get<'a>(&self, row: &'a [String], field: Field) -> Option<&'a str> {
        let i = *self.columns.get(&field)?;
        row.get(i).map(String::as_str).filter(|s| !s.is_empty())
    }
}

/// The kind a sheet or file name says, e.g. `accounts.csv`, `客户`, `Contacts 2026`.
fn kind_by_name(name: &str) -> Option<ImportKind> {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let n = normalise(stem);
    const NAMES: &[(ImportKind, &[&str])] = &[
        (
            ImportKind::Assignment,
            &["assignment", "account_team", "客户团队", "分配", "负责"],
        ),
        (ImportKind::Contact, &["contact", "联系人", "关系人"]),
        (ImportKind::User, &["user", "用户", "人员", "员工"]),
        (ImportKind::Team, &["team", "团队"]),
        (ImportKind::Account, &["account", "客户"]),
    ];
    NAMES
        .iter()
        .find(|(_, words)| words.iter().any(|w| n.contains(w)))
        .map(|(k, _)| *k)
}

/// The record kind a sheet or file name says that the import does not take (visits,
/// favours … : what reps log on their devices, and opportunities), such as the company
/// export's other files: refused by name, rather than read as accounts for their
/// `account` column. A kind is known by its wire name, table and names (the table of
/// kinds) and the other words files of it are commonly named with.
fn logged_kind_by_name(name: &str) -> Option<DocKind> {
    const ALSO: &[(DocKind, &[&str])] = &[
        (DocKind::Opportunity, &["opportunit", "商机"]),
        (DocKind::Favour, &["favor", "办事"]),
        (DocKind::Intel, &["intel", "竞争", "竞品"]),
        (DocKind::InfoReport, &["信息反馈"]),
        (DocKind::RelationshipEvent, &["关系事件"]),
    ];
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let n = normalise(stem);
    let words = |kind: DocKind| {
        let (en, zh) = kind.names();
        let also = ALSO.iter().filter(move |(k, _)| *k == kind);
        [kind.as_str(), kind.table(), en, zh]
            .into_iter()
            .chain(also.flat_map(|(_, w)| w.iter().copied()))
    };
    DocKind::ALL
        .into_iter()
        .filter(|k| !matches!(k, DocKind::Account | DocKind::Contact))
        .find(|k| words(*k).any(|w| n.contains(&normalise(w))))
}

/// The kind the headers say: user names with an account are account teams, user names
/// alone users, an account with a person's name contacts, an account's name accounts.
fn kind_by_headers(headers: &[String]) -> Option<ImportKind> {
    let has = |kind: ImportKind, field: Field| columns(kind, headers).0.contains_key(&field);
    let own_name = |h: &str| {
        let h = normalise(h);
        [
            "name",
            "姓名",
            "contact",
            "contact_name",
            "联系人",
            "联系人姓名",
        ]
        .contains(&h.as_str())
    };
    if has(ImportKind::Assignment, Field::Username) && has(ImportKind::Assignment, Field::Account) {
        Some(ImportKind::Assignment)
    } else if has(ImportKind::User, Field::Username) {
        Some(ImportKind::User)
    } else if has(ImportKind::Contact, Field::Account) && headers.iter().any(|h| own_name(h)) {
        Some(ImportKind::Contact)
    } else if has(ImportKind::Account, Field::Name) {
        let only_team = headers.iter().all(|h| {
            ["team", "team_name", "团队", "团队名称", "id"].contains(&normalise(h).as_str())
        });
        Some(if only_team {
            ImportKind::Team
        } else {
            ImportKind::Account
        })
    } else if has(ImportKind::Team, Field::Name) {
        Some(ImportKind::Team)
    } else {
        None
    }
}

/// Which column holds each field of `kind` (the first column that names it), and the
/// headers that name none.
fn columns(kind: ImportKind, headers: &[String]) -> (HashMap<Field, usize>, Vec<String>) {
    let mut found = HashMap::new();
    let mut ignored = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let h = normalise(header);
        if h.is_empty() {
            continue;
        }
        match aliases(kind)
            .iter()
            .find(|(_, names)| names.contains(&h.as_str()))
        {
            Some((field, _)) if !found.contains_key(field) => {
                found.insert(*field, i);
            }
            _ => ignored.push(header.clone()),
        }
    }
    (found, ignored)
}

/// Gives each table its kind, by its sheet name, else its file name, else its headers.
pub fn classify(tables: Vec<Table>) -> ApiResult<Vec<Sheet>> {
    let mut sheets = Vec::new();
    for table in tables {
        let named = [table.sheet.as_deref(), Some(table.file.as_str())];
        if let Some(what) = named.into_iter().flatten().find_map(logged_kind_by_name) {
            return Err(ApiError::Unprocessable(format!(
                "{} holds {} records, which reps log on their devices: the import takes \
                 accounts, contacts, users, teams and assignments only",
                table.label(),
                what.names().0
            )));
        }
        let kind = table
            .sheet
            .as_deref()
            .and_then(kind_by_name)
            .or_else(|| kind_by_name(&table.file))
            .or_else(|| kind_by_headers(&table.headers))
            .ok_or_else(|| {
                ApiError::Unprocessable(format!(
                    "cannot tell what {} holds: name the file or sheet accounts, contacts, \
                     users, teams or assignments, or give it the headers docs/import.md lists \
                     (its headers: {})",
                    table.label(),
                    table.headers.join(", ")
                ))
            })?;
        let (columns, ignored) = columns(kind, &table.headers);
        sheets.push(Sheet {
            table,
            kind,
            columns,
            ignored,
        });
    }
    Ok(sheets)
}

/// A value of a closed list by its code or its English or Chinese name, compared without
/// case, spaces, hyphens or underscores.
pub fn term<T: Copy>(
    terms: Terms,
    all: &[T],
    code: impl Fn(T) -> &'static str,
    text: &str,
) -> Option<T> {
    let key = |s: &str| {
        s.to_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .collect::<String>()
    };
    let wanted = key(text);
    let found = terms
        .iter()
        .find(|(c, en, zh)| [c, en, zh].iter().any(|t| key(t) == wanted))?;
    all.iter().copied().find(|v| code(*v) == found.0)
}

/// The names of a closed list, for messages: `a (A, A 类)`.
pub fn choices(terms: Terms) -> String {
    terms
        .iter()
        .map(|(c, en, zh)| format!("{c} ({en}, {zh})"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Users' roles by code and by name: a rep (销售, 客户经理), a manager (经理, 销售经理),
/// an admin (管理员).
pub fn role(text: &str) -> Option<Role> {
    let t = text.trim().to_lowercase();
    let t = t.as_str();
    match t {
        "rep" | "sales rep" | "销售" | "销售代表" | "客户经理" => Some(Role::Rep),
        "manager" | "sales manager" | "经理" | "销售经理" => Some(Role::Manager),
        "admin" | "administrator" | "管理员" => Some(Role::Admin),
        _ => None,
    }
}

/// Yes or no: `true`/`false`, `yes`/`no`, `y`/`n`, `1`/`0`, `x`, `✓`, `是`/`否`.
pub fn flag(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "x" | "✓" | "✔" | "是" | "对" => Some(true),
        "false" | "no" | "n" | "0" | "否" | "不是" => Some(false),
        _ => None,
    }
}

/// The parts of a list cell: `coach, 决策者`, `教练、决策者`, `a;b`.
pub fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', '，', '、', ';', '；', '|', '/'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_client_core::model::{BuyingRole, Tier};

    fn kind(headers: &[&str]) -> Option<ImportKind> {
        kind_by_headers(&headers.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn kinds_from_headers_and_names() {
        assert_eq!(
            kind(&["客户名称", "行业", "城市"]),
            Some(ImportKind::Account)
        );
        assert_eq!(
            kind(&["客户名称", "姓名", "职务"]),
            Some(ImportKind::Contact)
        );
        assert_eq!(
            kind(&["用户名", "姓名", "角色", "团队"]),
            Some(ImportKind::User)
        );
        assert_eq!(kind(&["account", "username"]), Some(ImportKind::Assignment));
        assert_eq!(kind(&["团队"]), Some(ImportKind::Team));
        assert_eq!(kind(&["colour", "size"]), None);
        assert_eq!(kind_by_name("Contacts 2026.csv"), Some(ImportKind::Contact));
        assert_eq!(kind_by_name("客户团队"), Some(ImportKind::Assignment));
        assert_eq!(kind_by_name("客户"), Some(ImportKind::Account));
        assert_eq!(kind_by_name("Sheet1"), None);
        assert_eq!(normalise(" 拜访周期（天）*"), "拜访周期");
        assert_eq!(normalise("Display Name"), "display_name");
    }

    #[test]
    fn files_of_what_reps_log_are_refused_by_name() {
        let table = |file: &str, sheet: Option<&str>| Table {
            file: file.into(),
            sheet: sheet.map(Into::into),
            headers: vec!["account".into(), "purpose".into()],
            rows: Vec::new(),
        };
        for (file, sheet) in [
            ("visits.csv", None),
            ("export.xlsx", Some("拜访记录")),
            ("greetings.csv", None),
            ("opportunities.csv", None),
            ("客情事件.csv", None),
            ("competitor_intel.csv", None),
            ("export.xlsx", Some("帮客户做一件事")),
        ] {
            let err = classify(vec![table(file, sheet)]).expect_err(file);
            assert!(err.to_string().contains("reps log"), "{err}");
        }
        // The same headers in a file named for accounts are accounts.
        let sheets = classify(vec![table("accounts.csv", None)]).expect("accounts");
        assert_eq!(sheets[0].kind, ImportKind::Account);
    }

    #[test]
    fn values_by_code_and_names() {
        let tier = |s| term(Tier::TERMS, Tier::ALL, Tier::code, s);
        assert_eq!(tier("A"), Some(Tier::A));
        assert_eq!(tier("b"), Some(Tier::B));
        assert_eq!(tier("C类"), Some(Tier::C));
        assert_eq!(tier("E"), None);
        let role = |s| term(BuyingRole::TERMS, BuyingRole::ALL, BuyingRole::code, s);
        assert_eq!(role("决策者"), Some(BuyingRole::DecisionMaker));
        assert_eq!(
            role("Technical Gatekeeper"),
            Some(BuyingRole::TechnicalGatekeeper)
        );
        assert_eq!(role("decision_maker"), Some(BuyingRole::DecisionMaker));
        assert_eq!(
            list("教练、决策者, user").collect::<Vec<_>>(),
            ["教练", "决策者", "user"]
        );
        assert_eq!(super::role("经理"), Some(Role::Manager));
        assert_eq!(super::role("销售"), Some(Role::Rep));
        assert_eq!(flag("是"), Some(true));
        assert_eq!(flag("maybe"), None);
    }
}
