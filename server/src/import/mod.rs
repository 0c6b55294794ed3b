//! Bulk import of a company's teams, users, accounts, contacts and account teams from CSV
//! files and Excel workbooks, and the export of everything a company holds.
//!
//! An import reads its files into tables ([`read`]), tells each table's kind and columns
//! ([`fields`]), checks every row against the company and plans it ([`plan`]), and, when
//! no row is refused and it is not a dry run, writes the plan in one transaction
//! ([`apply`]). Re-importing the same files changes nothing. Imported accounts and
//! contacts are Automerge documents like any other, so the account team's devices receive
//! them on their next sync. The same [`run`] serves `rapport-server admin import`,
//! `POST /v1/admin/import` and the admin console; docs/import.md describes the files.

mod apply;
mod export;
mod fields;
mod plan;
mod read;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};
use rapport_client_core::protocol::{ErrorBody, Role};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};

pub use export::export;

use crate::app::{App, AppState};
use crate::auth::AuthUser;
use crate::changelog::Sequence;
use crate::error::{ApiError, ApiResult, QueryParams};

/// One file to import: its name (which may tell its kind, e.g. `contacts.csv`) and bytes.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What an import did, or would do, row by row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Whether the import was carried out: false for a dry run and whenever a row is
    /// refused (then nothing is written); true also when every row was there already.
    pub applied: bool,
    pub dry_run: bool,
    pub counts: Counts,
    pub rows: Vec<RowOutcome>,
    /// The initial passwords generated for the users created (only when applied; users
    /// whose file gave a password are not listed).
    pub passwords: Vec<InitialPassword>,
    /// Columns no field reads, per table (`file / sheet: column`).
    pub ignored_columns: Vec<String>,
}

impl ImportReport {
    /// Rows refused: when any is, nothing is applied.
    pub fn refused(&self) -> usize {
        self.counts.refused
    }
}

/// Rows by outcome.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub refused: usize,
}

/// A generated initial password, to hand to its user.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InitialPassword {
    pub username: String,
    pub password: String,
}

/// One row's outcome. `line` is the row's line in its file or sheet (the header is
/// usually line 1); a team created for a user row carries that row's line.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowOutcome {
    pub file: String,
    pub sheet: Option<String>,
    pub line: usize,
    pub kind: ImportKind,
    /// The row's natural key: a team's or account's name, a user name, `account / contact`,
    /// `account → user`.
    pub key: String,
    pub action: RowAction,
    /// Why a row is refused (or a note on one left unchanged).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Team,
    User,
    Account,
    Contact,
    Assignment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Update,
    Unchanged,
    Refused,
}

fn report(plan: &plan::Plan, sheets: &[fields::Sheet], dry_run: bool) -> ImportReport {
    let mut counts = Counts::default();
    for r in &plan.rows {
        match r.action {
            RowAction::Create => counts.create += 1,
            RowAction::Update => counts.update += 1,
            RowAction::Unchanged => counts.unchanged += 1,
            RowAction::Refused => counts.refused += 1,
        }
    }
    ImportReport {
        applied: false,
        dry_run,
        counts,
        rows: plan.rows.clone(),
        passwords: Vec::new(),
        ignored_columns: sheets
            .iter()
            .flat_map(|s| {
                s.ignored
                    .iter()
                    .map(|c| format!("{}: {c}", s.table.label()))
            })
            .collect(),
    }
}

/// Imports `files` into the company `tenant_id`; documents created are authored by
/// `author_id`. With `dry_run`, or when any row is refused, nothing is written and the
/// report says what would happen to each row. A file that cannot be read at all is an
/// error.
pub async fn run(
    app: &App,
    tenant_id: &str,
    author_id: &str,
    files: Vec<ImportFile>,
    dry_run: bool,
) -> ApiResult<ImportReport> {
    let sheets = fields::classify(read::read_all(files).await?)?;
    let first = plan::plan(&app.db, tenant_id, &sheets).await?;
    if dry_run || first.refused() > 0 {
        return Ok(report(&first, &sheets, dry_run));
    }
    if first.is_empty() {
        // Every row is there already: applied, with nothing to write.
        let mut out = report(&first, &sheets, false);
        out.applied = true;
        return Ok(out);
    }
    let mut credentials = apply::credentials(&first).await?;
    drop(first);
    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    let mut seq = Sequence::lock(&txn, tenant_id).await?;
    // Planned again under the lock: what is written is checked against the company as
    // it is now, not as it was before the passwords were hashed.
    let plan = plan::plan(&txn, tenant_id, &sheets).await?;
    let mut out = report(&plan, &sheets, false);
    if plan.refused() > 0 {
        return Ok(out);
    }
    apply::write(&txn, &mut seq, author_id, &plan, &mut credentials).await?;
    seq.finish(&txn).await?;
    txn.commit().await?;
    out.applied = true;
    out.passwords = plan
        .users
        .iter()
        .filter_map(|u| match u {
            // A user created deactivated has no password to hand over.
            plan::UserOp::Create {
                username,
                active: true,
                ..
            } => {
                let c = credentials.get(username)?;
                Some(InitialPassword {
                    username: username.clone(),
                    password: c.generated.clone()?,
                })
            }
            plan::UserOp::Create { .. } | plan::UserOp::Update { .. } => None,
        })
        .collect();
    Ok(out)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/import", post(http_import))
        .route("/v1/admin/export", get(http_export))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: report what would happen and write nothing (default `false`).
    #[serde(default)]
    pub dry_run: Option<bool>,
    /// The file's name, e.g. `contacts.csv` or `company.xlsx`: it may tell the kind of a
    /// CSV file; without it the content type (or the content) tells CSV from xlsx.
    #[serde(default)]
    pub name: Option<String>,
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The upload's file name: the one given, else one the content type implies.
fn upload_name(name: Option<String>, headers: &HeaderMap) -> String {
    if let Some(n) = name.filter(|n| !n.trim().is_empty()) {
        return n;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with(XLSX_TYPE) {
        "upload.xlsx".into()
    } else {
        "upload.csv".into()
    }
}

/// `POST /v1/admin/import`: the body is one CSV file or one workbook.
#[utoipa::path(post, path = "/v1/admin/import", tag = "admin", params(ImportQuery), request_body(content = Vec<u8>, description = "A CSV file (UTF-8) or an Excel .xlsx workbook", content_type = "text/csv"), responses((status = 200, description = "What was (or, for a dry run or a refused row, would be) done to each row; `applied` says whether anything was written", body = ImportReport), (status = 403, body = ErrorBody), (status = 422, description = "The file cannot be read", body = ErrorBody)), security(("bearer" = [])))]
pub async fn http_import(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(q): QueryParams<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<axum::Json<ImportReport>> {
    user.require(Role::Admin)?;
    let file = ImportFile {
        name: upload_name(q.name, &headers),
        bytes: body.to_vec(),
    };
    let report = run(
        &state,
        user.tenant_id(),
        user.id(),
        vec![file],
        q.dry_run.unwrap_or(false),
    )
    .await?;
    Ok(axum::Json(report))
}

/// `GET /v1/admin/export`: every record of the admin's company as JSON lines, each line
/// `{"kind": …, …}`.
#[utoipa::path(get, path = "/v1/admin/export", tag = "admin", responses((status = 200, description = "JSON lines: teams, users, account teams and every document (removed ones marked)", content_type = "application/x-ndjson"), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn http_export(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    user.require(Role::Admin)?;
    let export = export(&state, user.tenant_id()).await?;
    let body = export
        .json_lines()
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// `rapport-server admin import`: reads the files, imports them as the system (the
/// documents' author), and prints the refused rows, the counts per kind and the
/// generated passwords (or, with `json`, the whole report). Refused rows make it fail.
pub async fn cli_import(
    app: &App,
    tenant_id: &str,
    paths: &[std::path::PathBuf],
    dry_run: bool,
    json: bool,
) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        files.push(ImportFile { name, bytes });
    }
    let report = run(app, tenant_id, crate::admin::SYSTEM_AUTHOR, files, dry_run).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if report.refused() > 0 {
        anyhow::bail!(
            "{} row(s) refused: nothing was imported; correct them and import again",
            report.refused()
        );
    }
    Ok(())
}

fn print_report(report: &ImportReport) {
    for r in report
        .rows
        .iter()
        .filter(|r| r.action == RowAction::Refused)
    {
        let place = match &r.sheet {
            Some(s) => format!("{} / {s}", r.file),
            None => r.file.clone(),
        };
        println!(
            "refused  line {} of {place}: {:?} {}: {}",
            r.line,
            r.kind,
            r.key,
            r.reason.as_deref().unwrap_or_default()
        );
    }
    for kind in [
        ImportKind::Team,
        ImportKind::User,
        ImportKind::Account,
        ImportKind::Contact,
        ImportKind::Assignment,
    ] {
        let of = |a: RowAction| {
            report
                .rows
                .iter()
                .filter(|r| r.kind == kind && r.action == a)
                .count()
        };
        let total: usize = report.rows.iter().filter(|r| r.kind == kind).count();
        if total > 0 {
            println!(
                "{:<11} create {:>6}  update {:>6}  unchanged {:>6}  refused {:>6}",
                format!("{kind:?}").to_lowercase(),
                of(RowAction::Create),
                of(RowAction::Update),
                of(RowAction::Unchanged),
                of(RowAction::Refused)
            );
        }
    }
    for c in &report.ignored_columns {
        println!("ignored column {c}");
    }
    for p in &report.passwords {
        println!("initial password of {}: {}", p.username, p.password);
    }
    println!(
        "{}",
        if report.applied {
            "imported"
        } else if report.dry_run {
            "dry run: nothing was written"
        } else {
            "nothing was written"
        }
    );
}
