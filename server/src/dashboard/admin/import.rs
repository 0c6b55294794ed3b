//! Bulk import from the console: CSV or Excel files of accounts, contacts, users and
//! teams, and account teams. "Check" reports row by row what would be created, updated,
//! left as it is or refused, and changes nothing; "Import" does the same checks and then
//! applies every row, or none if any is refused ([`crate::import`]).

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::{Part, check_csrf, finish, require_admin, shell};
use crate::app::AppState;
use crate::dashboard::i18n::Lang;
use crate::dashboard::session::Viewer;
use crate::dashboard::{error_response, respond};
use crate::error::{ApiError, ApiResult};
use crate::import::{self, ImportFile, ImportKind, ImportReport, RowAction};

/// Most rows of a report the page lists (the counts cover all of them).
const SHOWN_ROWS: usize = 500;

/// `GET /dashboard/admin/import`.
pub async fn form(viewer: Viewer) -> Response {
    let result = require_admin(&viewer).map(|()| import_page(&viewer, None, None));
    finish(&viewer, result)
}

/// What the upload form sent.
struct Upload {
    csrf: String,
    apply: bool,
    files: Vec<ImportFile>,
}

async fn read_upload(mut multipart: Multipart) -> ApiResult<Upload> {
    let bad = |e: axum::extract::multipart::MultipartError| ApiError::BadRequest(e.body_text());
    let mut upload = Upload {
        csrf: String::new(),
        apply: false,
        files: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "csrf" => upload.csrf = field.text().await.map_err(bad)?,
            "mode" => upload.apply = field.text().await.map_err(bad)? == "apply",
            "files" => {
                let name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(bad)?;
                // A file input left empty still sends one nameless, empty part.
                if !(name.is_empty() && bytes.is_empty()) {
                    upload.files.push(ImportFile {
                        name,
                        bytes: bytes.to_vec(),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// `POST /dashboard/admin/import` (multipart): checks the files, and imports them when
/// asked to and every row passed.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let result = async {
        require_admin(&viewer)?;
        let upload =
            read_upload(multipart.map_err(|e| ApiError::BadRequest(e.body_text()))?).await?;
        check_csrf(&viewer, &upload.csrf)?;
        if upload.files.is_empty() {
            return Err(ApiError::Unprocessable("choose at least one file".into()));
        }
        import::run(
            &state,
            viewer.tenant_id(),
            viewer.id(),
            upload.files,
            !upload.apply,
        )
        .await
    }
    .await;
    match result {
        Ok(report) => {
            let status = if report.refused() > 0 {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            respond(
                &viewer.prefs,
                status,
                import_page(&viewer, Some(&report), None),
            )
        }
        // The viewer is an admin here (anyone else was refused first, a 403): a file
        // that cannot be read shows the form again with the reason.
        Err(e @ (ApiError::Unprocessable(_) | ApiError::BadRequest(_) | ApiError::TooLarge(_))) => {
            let reason = e.public_message();
            respond(
                &viewer.prefs,
                StatusCode::UNPROCESSABLE_ENTITY,
                import_page(&viewer, None, Some(&reason)),
            )
        }
        Err(e) => error_response(&viewer.prefs, Some(&viewer), e),
    }
}

fn kind_name(l: Lang, kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Team => l.t("team", "团队"),
        ImportKind::User => l.t("user", "用户"),
        ImportKind::Account => l.t("account", "大客户"),
        ImportKind::Contact => l.t("contact", "联系人"),
        ImportKind::Assignment => l.t("account team", "客户团队"),
    }
}

fn action_badge(l: Lang, action: RowAction) -> Markup {
    let (class, text) = match action {
        RowAction::Create => ("badge good", l.t("create", "新建")),
        RowAction::Update => ("badge warn", l.t("update", "更新")),
        RowAction::Unchanged => ("badge plain", l.t("unchanged", "不变")),
        RowAction::Refused => ("badge bad", l.t("refused", "拒绝")),
    };
    html! { span class=(class) { (text) } }
}

fn summary(l: Lang, report: &ImportReport) -> Markup {
    let c = &report.counts;
    html! {
        p data-testid="import-summary" class=(if c.refused > 0 { "error" } else { "ok" }) {
            @if c.refused > 0 {
                (c.refused) (l.t(
                    " rows refused: nothing was imported. Mend them and check again.",
                    " 行被拒绝：未导入任何内容。请修改后重新检查。",
                ))
            } @else if report.applied {
                (l.t("Imported. ", "已导入。"))
            } @else {
                (l.t("Checked: every row passes; nothing was changed yet. ", "检查完毕：所有行均可导入，尚未作任何更改。"))
            }
            " " (l.t("Create ", "新建 ")) (c.create)
            " · " (l.t("update ", "更新 ")) (c.update)
            " · " (l.t("unchanged ", "不变 ")) (c.unchanged)
            " · " (l.t("refused ", "拒绝 ")) (c.refused)
        }
        @if !report.ignored_columns.is_empty() {
            p.muted.small data-testid="import-ignored" {
                (l.t("Columns no field reads (left out): ", "未识别的列（已忽略）："))
                (report.ignored_columns.join(", "))
            }
        }
        @if !report.passwords.is_empty() {
            section data-testid="import-passwords" {
                h2 { (l.t("First passwords of the new users", "新用户的初始密码")) }
                p.muted.small { (l.t(
                    "Shown this once: hand each to its user over a safe channel.",
                    "仅显示这一次：请通过安全的方式分别交给对应用户。",
                )) }
                table { tbody { @for p in &report.passwords {
                    tr { td { (p.username) } td { code { (p.password) } } }
                } } }
            }
        }
    }
}

fn report_table(l: Lang, report: &ImportReport) -> Markup {
    // Refused rows first: they are what the admin must act on.
    let mut rows: Vec<_> = report.rows.iter().collect();
    rows.sort_by_key(|r| r.action != RowAction::Refused);
    html! {
        @if rows.len() > SHOWN_ROWS {
            p.muted.small { (l.t("Showing the first ", "仅显示前 ")) (SHOWN_ROWS) (l.t(" rows.", " 行。")) }
        }
        div.scroll { table data-testid="import-report" {
            thead { tr {
                th { (l.t("File", "文件")) }
                th.num { (l.t("Row", "行")) }
                th { (l.t("Kind", "类型")) }
                th { (l.t("Record", "记录")) }
                th { (l.t("Action", "操作")) }
                th { (l.t("Why", "原因")) }
            } }
            tbody { @for r in rows.iter().take(SHOWN_ROWS) {
                tr {
                    td { (r.file) @if let Some(sheet) = &r.sheet { " · " (sheet) } }
                    td.num { (r.line) }
                    td { (kind_name(l, r.kind)) }
                    td { (r.key) }
                    td { (action_badge(l, r.action)) }
                    td.wrap { (r.reason.as_deref().unwrap_or("")) }
                }
            } }
        } }
    }
}

fn import_page(viewer: &Viewer, report: Option<&ImportReport>, error: Option<&str>) -> Markup {
    let l = viewer.lang();
    let body = html! {
        @if let Some(report) = report {
            section.card data-testid="import-result" {
                (summary(l, report))
                (report_table(l, report))
            }
        }
        section.card {
            form.stack method="post" action="/dashboard/admin/import" enctype="multipart/form-data" data-testid="import" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                label { (l.t("CSV or Excel (.xlsx) files", "CSV 或 Excel（.xlsx）文件"))
                    input type="file" name="files" multiple accept=".csv,.xlsx,text/csv"; }
                div.toolbar {
                    button.button type="submit" name="mode" value="check" data-testid="import-check" {
                        (l.t("Check (changes nothing)", "检查（不作更改）"))
                    }
                    button.button type="submit" name="mode" value="apply" data-testid="import-apply" {
                        (l.t("Import", "导入"))
                    }
                }
            }
            p.muted.small { (l.t(
                "One kind per file or sheet, known by its headers or its name: accounts (name, industry, city, lat, lon, tier), contacts (account, name, title, phone, key contact, roles), users (username, display name, role, team, password), account teams (account, user). Chinese headers (客户名称, 姓名, 用户名 …) and the columns of Rapport's own exports are accepted. Every row is checked first; the import is all or nothing, and importing the same file again changes nothing.",
                "每个文件或工作表一种类型，按表头或名称识别：大客户（名称、行业、城市、纬度、经度、级别）、联系人（客户、姓名、职务、电话、关键人、角色）、用户（用户名、姓名、角色、团队、密码）、客户团队（客户、用户）。可使用中文表头（客户名称、姓名、用户名……）及 Rapport 导出文件的列名。所有行先经检查；导入要么全部成功、要么全部不做，重复导入同一文件不会有任何变化。",
            )) }
        }
    };
    shell(
        viewer,
        Part::Import,
        l.t("Import", "批量导入"),
        None,
        error,
        &body,
    )
}
