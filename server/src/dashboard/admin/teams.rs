//! Teams: the list, with each team's manager and reps, and a form to create one.

use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use rapport_client_core::protocol::Role;
use serde::Deserialize;

use super::{
    AdminForm, Done, DoneQuery, Part, QueryResult, answer, done_of, finish, require_admin, shell,
};
use crate::admin::{self, NewTeam};
use crate::app::AppState;
use crate::dashboard::enc;
use crate::dashboard::session::Viewer;
use crate::error::ApiResult;

#[derive(Debug, Default, Deserialize)]
pub struct NewTeamForm {
    #[serde(default)]
    name: String,
}

/// `GET /dashboard/admin/teams`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    q: QueryResult<DoneQuery>,
) -> Response {
    let result = list_page(&state, &viewer, done_of(q), None, "").await;
    finish(&viewer, result)
}

/// `POST /dashboard/admin/teams`: creates a team.
pub async fn create(
    State(state): State<AppState>,
    AdminForm(viewer, submitted): AdminForm<NewTeamForm>,
) -> Response {
    let input = NewTeam {
        name: submitted.name.trim().to_owned(),
    };
    let result = admin::create_team(&state, viewer.tenant_id(), input)
        .await
        .map(|_| ("/dashboard/admin/teams".to_owned(), Done::TeamCreated));
    let (state, v, name) = (&state, &viewer, submitted.name.as_str());
    answer(v, result, |reason| async move {
        list_page(state, v, None, Some(&reason), name).await
    })
    .await
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Done>,
    error: Option<&str>,
    draft: &str,
) -> ApiResult<Markup> {
    require_admin(viewer)?;
    let (teams, users) = tokio::try_join!(
        admin::list_teams(state, viewer.tenant_id()),
        admin::list_users(state, viewer.tenant_id()),
    )?;
    let l = viewer.lang();
    let body = html! {
        section.card {
            h2 { (l.t("Teams", "团队")) " · " (teams.len()) }
            @if teams.is_empty() {
                p.empty { (l.t("No team yet: create the first below.", "尚无团队：请在下方创建。")) }
            } @else {
                div.scroll { table data-testid="teams" {
                    thead { tr {
                        th { (l.t("Team", "团队")) }
                        th { (l.t("Manager", "销售经理")) }
                        th.num { (l.t("Reps", "销售代表")) }
                        th {}
                    } }
                    tbody { @for t in &teams {
                        @let members: Vec<_> = users
                            .iter()
                            .filter(|u| u.active && u.team_id.as_deref() == Some(t.id.as_str()))
                            .collect();
                        @let managers: Vec<&str> = members
                            .iter()
                            .filter(|u| u.role == Role::Manager.as_str())
                            .map(|u| u.display_name.as_str())
                            .collect();
                        tr data-testid=(format!("team-{}", t.name)) {
                            td { (t.name) }
                            td { @if managers.is_empty() { span.muted { "—" } } @else { (managers.join(", ")) } }
                            td.num { (members.iter().filter(|u| u.role == Role::Rep.as_str()).count()) }
                            td { a href=(format!("/dashboard?team={}", enc(&t.id))) {
                                (l.t("Team overview", "团队概览"))
                            } }
                        }
                    } }
                } }
            }
        }
        section.card {
            h2 { (l.t("New team", "新建团队")) }
            form.stack method="post" action="/dashboard/admin/teams" data-testid="new-team" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                label { (l.t("Name", "名称")) input name="name" required value=(draft); }
                button.button type="submit" { (l.t("Create team", "创建团队")) }
            }
        }
    };
    Ok(shell(
        viewer,
        Part::Teams,
        l.t("Teams", "团队"),
        notice,
        error,
        &body,
    ))
}
