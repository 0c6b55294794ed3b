//! Who may see what on the dashboard, decided from the server's tables on every request.
//!
//! - a manager: their own team, its reps, the accounts those reps serve, and its lists;
//! - an admin: any team, rep and account of their company;
//! - a rep: their own scorecard, and the accounts on their own account team (the records
//!   their phone already holds); never the team pages or exports.
//!
//! Nothing crosses companies. A rep or account out of reach is refused exactly as one that
//! does not exist (reps: 403, accounts: 404), so ids cannot be probed.

use rapport_client_core::protocol::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::session::Viewer;
use crate::app::App;
use crate::db::{account_teams, accounts, teams, users};
use crate::error::{ApiError, ApiResult};

fn not_for_reps() -> ApiError {
    ApiError::Forbidden("team pages are for managers".into())
}

/// The teams of the viewer's company, by name (the admin's picker).
pub async fn company_teams(app: &App, viewer: &Viewer) -> ApiResult<Vec<teams::Model>> {
    Ok(teams::Entity::find()
        .filter(teams::Column::TenantId.eq(viewer.tenant_id()))
        .order_by_asc(teams::Column::Name)
        .all(&app.db)
        .await?)
}

/// The team a team page shows: a manager's own (naming another is refused); for an admin
/// the one named, or the company's first.
pub async fn team_for(app: &App, viewer: &Viewer, asked: Option<&str>) -> ApiResult<teams::Model> {
    let asked = asked.filter(|t| !t.is_empty());
    let of_company = |id: &str| {
        teams::Entity::find()
            .filter(teams::Column::TenantId.eq(viewer.tenant_id()))
            .filter(teams::Column::Id.eq(id.to_owned()))
            .one(&app.db)
    };
    match viewer.role {
        Role::Rep => Err(not_for_reps()),
        Role::Manager => {
            let own = viewer
                .user
                .team_id
                .as_deref()
                .ok_or_else(|| ApiError::Forbidden("you manage no team".into()))?;
            if asked.is_some_and(|t| t != own) {
                return Err(ApiError::Forbidden("not your team".into()));
            }
            of_company(own)
                .await?
                .ok_or_else(|| ApiError::Forbidden("you manage no team".into()))
        }
        Role::Admin => match asked {
            Some(t) => of_company(t)
                .await?
                .ok_or_else(|| ApiError::Forbidden("not a team of yours".into())),
            None => company_teams(app, viewer)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::NotFound("the company has no teams yet".into())),
        },
    }
}

/// The rep whose scorecard is asked for, by id or user name: the API's rule,
/// [`crate::reports::rep_in_scope`] (oneself; a rep of one's team for managers; any rep of
/// the company for admins), so both faces always agree.
pub async fn rep_for(app: &App, viewer: &Viewer, asked: &str) -> ApiResult<users::Model> {
    crate::reports::rep_in_scope(app, &viewer.user, asked).await
}

/// The account an account page shows, if the viewer may see it.
pub async fn account_for(app: &App, viewer: &Viewer, id: &str) -> ApiResult<accounts::Model> {
    let missing = || ApiError::NotFound("no such account".into());
    let account = accounts::Entity::find()
        .filter(accounts::Column::TenantId.eq(viewer.tenant_id()))
        .filter(accounts::Column::Id.eq(id))
        .filter(accounts::Column::Deleted.eq(false))
        .one(&app.db)
        .await?
        .ok_or_else(missing)?;
    let servers = |users: Vec<String>| {
        account_teams::Entity::find()
            .filter(account_teams::Column::TenantId.eq(viewer.tenant_id()))
            .filter(account_teams::Column::AccountId.eq(id))
            .filter(account_teams::Column::UserId.is_in(users))
            .filter(account_teams::Column::Active.eq(true))
            .one(&app.db)
    };
    let allowed = match viewer.role {
        Role::Admin => true,
        Role::Rep => servers(vec![viewer.id().to_owned()]).await?.is_some(),
        Role::Manager => {
            let Some(team) = viewer.user.team_id.as_deref() else {
                return Err(missing());
            };
            let mut members: Vec<String> = crate::reports::team_reps(app, viewer.tenant_id(), team)
                .await?
                .into_iter()
                .map(|u| u.id)
                .collect();
            members.push(viewer.id().to_owned());
            servers(members).await?.is_some()
        }
    };
    if allowed { Ok(account) } else { Err(missing()) }
}
