//! `GET /dashboard/export/{list}.csv`: the overview's lists as CSV, authorised by the
//! session instead of a bearer token.
//!
//! Each file is its `/v1/reports/...?format=csv` twin for the same parameters: both are
//! [`crate::reports::TeamList`]s (the system tests compare the bytes).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::session::Viewer;
use super::{error_response, scope};
use crate::app::{App, AppState};
use crate::error::{ApiError, ApiResult};
use crate::reports::{TEAM_LISTS, TeamList, TeamQuery};

/// `GET /dashboard/export/{file}`.
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    file: Result<Path<String>, PathRejection>,
    q: Result<Query<TeamQuery>, QueryRejection>,
) -> Response {
    match export_csv(&state, &viewer, file, q).await {
        Ok(resp) => resp,
        Err(e) => error_response(&viewer.prefs, Some(&viewer), e),
    }
}

async fn export_csv(
    app: &App,
    viewer: &Viewer,
    file: Result<Path<String>, PathRejection>,
    q: Result<Query<TeamQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let file = file
        .map(|p| p.0)
        .map_err(|_| ApiError::NotFound("no such export".into()))?;
    let q = q
        .map(|q| q.0)
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let list = file
        .strip_suffix(".csv")
        .filter(|l| TEAM_LISTS.contains(l))
        .ok_or_else(|| ApiError::NotFound("no such export".into()))?;
    // Authorise before reading anything: reps get no team lists.
    let team = scope::team_for(app, viewer, q.team.as_deref()).await?;
    let list = TeamList::compute(app, viewer.tenant_id(), &team.id, list, &q).await?;
    // The same writer as the API's export (`nosniff` included).
    Ok(crate::csv::attachment(&list.file_name(), list.csv()))
}
