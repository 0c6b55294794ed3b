//! The export of one company: its teams, users (never their passwords), account teams
//! and every document of every kind (removed ones too, marked `deleted`), as JSON lines
//! and as CSV through the one CSV writer (`crate::csv`, which neutralises formula cells).
//! The accounts, contacts, users and account-team CSV files use the headers the import
//! reads, so an export imports back as it was.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use automerge::AutoCommit;
use rapport_client_core::model::{AnyRecord, DocKind};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::app::App;
use crate::db::{account_teams, documents, teams, users};
use crate::error::{ApiError, ApiResult};

/// One kind's records: JSON objects and CSV rows.
#[derive(Debug, Clone)]
pub struct Part {
    /// The files' name without extension, e.g. `contacts`.
    pub name: &'static str,
    pub lines: Vec<Value>,
    pub header: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
}

/// Everything a company holds.
#[derive(Debug, Clone)]
pub struct Export {
    pub parts: Vec<Part>,
}

impl Export {
    /// Writes `<name>.jsonl` and `<name>.csv` for every kind into `dir` (created if
    /// missing); returns the files written.
    pub fn write_to(&self, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for part in &self.parts {
            let mut jsonl = String::new();
            for line in &part.lines {
                jsonl.push_str(&serde_json::to_string(line)?);
                jsonl.push('\n');
            }
            let json_path = dir.join(format!("{}.jsonl", part.name));
            std::fs::write(&json_path, jsonl)?;
            let csv = crate::csv::rows(part.header, part.rows.iter().cloned());
            let csv_path = dir.join(format!("{}.csv", part.name));
            std::fs::write(&csv_path, csv.as_str())?;
            written.push(json_path);
            written.push(csv_path);
        }
        Ok(written)
    }

    /// Every record as one JSON line, `{"kind": …, …}`, kind after kind.
    pub fn json_lines(&self) -> serde_json::Result<String> {
        let mut out = String::new();
        for part in &self.parts {
            for line in &part.lines {
                let mut line = line.clone();
                if let Value::Object(map) = &mut line {
                    map.insert("kind".into(), Value::String(part.name.into()));
                }
                out.push_str(&serde_json::to_string(&line)?);
                out.push('\n');
            }
        }
        Ok(out)
    }
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

const DOC_HEADER: &[&str] = &[
    "id",
    "account",
    "account_id",
    "author",
    "deleted",
    "created_at",
    "updated_at",
    "title",
    "record",
];
const ACCOUNT_HEADER: &[&str] = &[
    "id",
    "name",
    "industry",
    "city",
    "lat",
    "lon",
    "tier",
    "cadence_days",
    "current_value",
    "potential_value",
    "stage",
    "deleted",
    "author",
    "created_at",
    "updated_at",
];
const CONTACT_HEADER: &[&str] = &[
    "id",
    "account",
    "account_id",
    "name",
    "title",
    "phone",
    "notes",
    "admin_level",
    "relationship_level",
    "key_contact",
    "roles",
    "deleted",
    "author",
    "created_at",
    "updated_at",
];

fn record_json(record: &AnyRecord) -> serde_json::Result<Value> {
    match record {
        AnyRecord::Account(r) => serde_json::to_value(r),
        AnyRecord::Contact(r) => serde_json::to_value(r),
        AnyRecord::Opportunity(r) => serde_json::to_value(r),
        AnyRecord::Visit(r) => serde_json::to_value(r),
        AnyRecord::Favour(r) => serde_json::to_value(r),
        AnyRecord::Intel(r) => serde_json::to_value(r),
        AnyRecord::InfoReport(r) => serde_json::to_value(r),
        AnyRecord::Greeting(r) => serde_json::to_value(r),
        AnyRecord::RelationshipEvent(r) => serde_json::to_value(r),
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// The CSV row of a document: its own columns for accounts and contacts, the common
/// columns and the record as JSON for the other kinds.
fn csv_row(doc: &documents::Model, record: &AnyRecord, account: &str, author: &str) -> Vec<String> {
    let common = [author.to_owned(), iso(doc.created_at), iso(doc.updated_at)];
    let mut row = match record {
        AnyRecord::Account(a) => vec![
            doc.id.clone(),
            a.name.clone(),
            opt(&a.industry),
            opt(&a.city),
            opt(&a.location.map(|l| l.lat)),
            opt(&a.location.map(|l| l.lon)),
            opt(&a.tier_override),
            opt(&a.cadence_days),
            opt(&a.current_value),
            opt(&a.potential_value),
            opt(&a.stage),
            a.deleted.to_string(),
        ],
        AnyRecord::Contact(c) => vec![
            doc.id.clone(),
            account.to_owned(),
            c.account_id.clone(),
            c.name.clone(),
            opt(&c.title),
            opt(&c.phone),
            opt(&c.notes),
            opt(&c.admin_level),
            opt(&c.relationship_level),
            c.key_contact.to_string(),
            c.roles
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(","),
            c.deleted.to_string(),
        ],
        other => {
            let json = record_json(other)
                .map(|v| v.to_string())
                .unwrap_or_default();
            return vec![
                doc.id.clone(),
                account.to_owned(),
                doc.account_id.clone(),
                author.to_owned(),
                doc.deleted.to_string(),
                iso(doc.created_at),
                iso(doc.updated_at),
                other.title(),
                json,
            ];
        }
    };
    row.extend(common);
    row
}

/// Reads everything of the company `tenant_id`.
pub async fn export(app: &App, tenant_id: &str) -> ApiResult<Export> {
    let team_rows = teams::Entity::find()
        .filter(teams::Column::TenantId.eq(tenant_id))
        .order_by_asc(teams::Column::Name)
        .all(&app.db)
        .await?;
    let user_rows = users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant_id))
        .order_by_asc(users::Column::Username)
        .all(&app.db)
        .await?;
    let team_names: HashMap<&str, &str> = team_rows
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    let usernames: HashMap<String, String> = user_rows
        .iter()
        .map(|u| (u.id.clone(), u.username.clone()))
        .collect();
    let mut parts = vec![
        Part {
            name: "teams",
            lines: team_rows
                .iter()
                .map(|t| json!({"id": t.id, "name": t.name}))
                .collect(),
            header: &["name", "id"],
            rows: team_rows
                .iter()
                .map(|t| vec![t.name.clone(), t.id.clone()])
                .collect(),
        },
        users_part(&user_rows, &team_names),
    ];
    let mut docs: HashMap<DocKind, Part> = HashMap::new();
    let mut account_names: HashMap<String, String> = HashMap::new();
    let mut pages = documents::Entity::find()
        .filter(documents::Column::TenantId.eq(tenant_id))
        // Accounts first, so every other record finds its account's name.
        .order_by_asc(documents::Column::CreatedSeq)
        .paginate(&app.db, 1000);
    let mut loaded = Vec::new();
    while let Some(page) = pages.fetch_and_next().await? {
        for doc in page {
            let kind = DocKind::parse(&doc.kind).ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("document {} of unknown kind", doc.id))
            })?;
            let am = AutoCommit::load(&doc.snapshot).map_err(|e| {
                ApiError::Internal(anyhow::anyhow!(
                    "stored document {} is corrupt: {e}",
                    doc.id
                ))
            })?;
            let record = AnyRecord::read(kind, &am).map_err(|e| {
                ApiError::Internal(anyhow::anyhow!(
                    "stored document {} does not read: {e}",
                    doc.id
                ))
            })?;
            if let AnyRecord::Account(a) = &record {
                account_names.insert(doc.id.clone(), a.name.clone());
            }
            loaded.push((kind, doc, record));
        }
    }
    for (kind, doc, record) in loaded {
        let account = account_names
            .get(&doc.account_id)
            .cloned()
            .unwrap_or_default();
        let author = usernames
            .get(&doc.author_id)
            .map_or(doc.author_id.as_str(), String::as_str);
        let part = docs.entry(kind).or_insert_with(|| Part {
            name: kind.table(),
            lines: Vec::new(),
            header: match kind {
                DocKind::Account => ACCOUNT_HEADER,
                DocKind::Contact => CONTACT_HEADER,
                _ => DOC_HEADER,
            },
            rows: Vec::new(),
        });
        part.rows.push(csv_row(&doc, &record, &account, author));
        part.lines.push(json!({
            "id": doc.id,
            "account_id": doc.account_id,
            "account": account,
            "author": author,
            "author_id": doc.author_id,
            "deleted": doc.deleted,
            "created_at": iso(doc.created_at),
            "updated_at": iso(doc.updated_at),
            "record": record_json(&record).map_err(|e| ApiError::Internal(e.into()))?,
        }));
    }
    for kind in DocKind::ALL {
        match docs.remove(&kind) {
            Some(part) => parts.push(part),
            None => parts.push(Part {
                name: kind.table(),
                lines: Vec::new(),
                header: match kind {
                    DocKind::Account => ACCOUNT_HEADER,
                    DocKind::Contact => CONTACT_HEADER,
                    _ => DOC_HEADER,
                },
                rows: Vec::new(),
            }),
        }
    }
    parts.push(assignments_part(app, tenant_id, &account_names, &usernames).await?);
    Ok(Export { parts })
}

fn users_part(user_rows: &[users::Model], team_names: &HashMap<&str, &str>) -> Part {
    let team = |u: &users::Model| {
        u.team_id
            .as_deref()
            .and_then(|t| team_names.get(t).copied())
            .unwrap_or_default()
            .to_owned()
    };
    Part {
        name: "users",
        lines: user_rows
            .iter()
            .map(|u| {
                json!({"id": u.id, "username": u.username, "display_name": u.display_name,
                       "role": u.role, "team": team(u), "team_id": u.team_id,
                       "active": u.active, "created_at": iso(u.created_at)})
            })
            .collect(),
        header: &[
            "username",
            "display_name",
            "role",
            "team",
            "active",
            "id",
            "created_at",
        ],
        rows: user_rows
            .iter()
            .map(|u| {
                vec![
                    u.username.clone(),
                    u.display_name.clone(),
                    u.role.clone(),
                    team(u),
                    u.active.to_string(),
                    u.id.clone(),
                    iso(u.created_at),
                ]
            })
            .collect(),
    }
}

async fn assignments_part(
    app: &App,
    tenant_id: &str,
    account_names: &HashMap<String, String>,
    usernames: &HashMap<String, String>,
) -> ApiResult<Part> {
    let rows = account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(tenant_id))
        .order_by_asc(account_teams::Column::GrantedSeq)
        .all(&app.db)
        .await?;
    let name = |m: &HashMap<String, String>, id: &str| m.get(id).cloned().unwrap_or_default();
    Ok(Part {
        name: "assignments",
        lines: rows
            .iter()
            .map(|r| {
                json!({"account_id": r.account_id, "account": name(account_names, &r.account_id),
                       "user_id": r.user_id, "username": name(usernames, &r.user_id),
                       "active": r.active, "granted_seq": r.granted_seq,
                       "revoked_seq": r.revoked_seq})
            })
            .collect(),
        header: &["account", "account_id", "username", "active"],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    name(account_names, &r.account_id),
                    r.account_id.clone(),
                    name(usernames, &r.user_id),
                    r.active.to_string(),
                ]
            })
            .collect(),
    })
}
