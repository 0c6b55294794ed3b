//! Who may see what on the dashboard: the server's one access policy
//! ([`crate::access`]), answered as the dashboard answers.
//!
//! - a manager: their own team, its reps, the accounts those reps serve, and its lists;
//! - an admin: any team, rep and account of their company;
//! - a rep: their own scorecard, and the accounts on their own account team (the records
//!   their phone already holds); never the team pages or exports.
//!
//! Nothing crosses companies. A rep or account out of reach is refused exactly as one that
//! does not exist (reps: 403, accounts: 404), so ids cannot be probed.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::session::Viewer;
use crate::access::{self, TeamRefused};
use crate::app::App;
use crate::db::{accounts, teams, users};
use crate::error::{ApiError, ApiResult};

/// The teams of the viewer's company, by name (the admin's picker).
pub async fn company_teams(app: &App, viewer: &Viewer) -> ApiResult<Vec<teams::Model>> {
    access::company_teams(&app.db, viewer.tenant_id()).await
}

/// The team a team page shows: a manager's own (naming another is refused); for an admin
/// the one named, or the company's first.
pub async fn team_for(app: &App, viewer: &Viewer, asked: Option<&str>) -> ApiResult<teams::Model> {
    let asked = asked.filter(|t| !t.is_empty());
    match access::team_in_scope(&app.db, &viewer.user, asked).await? {
        Ok(Some(team)) => Ok(team),
        Ok(None) => company_teams(app, viewer)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::NotFound("the company has no teams yet".into())),
        Err(TeamRefused::Rep) => Err(ApiError::Forbidden("team pages are for managers".into())),
        Err(TeamRefused::NoTeam) => Err(ApiError::Forbidden("you manage no team".into())),
        Err(TeamRefused::NotTheirs) => Err(ApiError::Forbidden("not your team".into())),
        Err(TeamRefused::Unknown) => Err(ApiError::Forbidden("not a team of yours".into())),
    }
}

/// The rep whose scorecard is asked for, by id or user name: the API's rule,
/// [`access::rep_in_scope`] (oneself; a rep of one's team for managers; any rep of the
/// company for admins), so both faces always agree.
pub async fn rep_for(app: &App, viewer: &Viewer, asked: &str) -> ApiResult<users::Model> {
    access::rep_in_scope(&app.db, &viewer.user, asked).await
}

/// The account an account page shows, if the viewer may see it
/// ([`access::may_see_account`]).
pub async fn account_for(app: &App, viewer: &Viewer, id: &str) -> ApiResult<accounts::Model> {
    let missing = || ApiError::NotFound("no such account".into());
    let account = accounts::Entity::find()
        .filter(accounts::Column::TenantId.eq(viewer.tenant_id()))
        .filter(accounts::Column::Id.eq(id))
        .filter(accounts::Column::Deleted.eq(false))
        .one(&app.db)
        .await?
        .ok_or_else(missing)?;
    if access::may_see_account(&app.db, &viewer.user, id).await? {
        Ok(account)
    } else {
        Err(missing())
    }
}
