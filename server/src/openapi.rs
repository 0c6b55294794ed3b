//! The API's OpenAPI description, generated from the handlers' annotations and the wire
//! types, served at `GET /v1/openapi.json`.

use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rapport",
        description = "Offline-first field-visit logging for key-account sales teams: \
            sign-in, sync of Automerge changes, administration and the relationship-maintenance \
            reports. Errors are always `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        crate::auth::login,
        crate::auth::refresh,
        crate::sync::sync,
        crate::admin::http_create_company,
        crate::admin::http_list_teams,
        crate::admin::http_create_team,
        crate::admin::http_list_users,
        crate::admin::http_create_user,
        crate::admin::http_update_user,
        crate::admin::http_list_devices,
        crate::admin::http_update_device,
        crate::admin::http_list_accounts,
        crate::admin::http_create_account,
        crate::admin::http_assign,
        crate::admin::http_unassign,
        crate::admin::http_get_rules,
        crate::admin::http_patch_rules,
        crate::import::http_import,
        crate::import::http_export,
        crate::reports::http_weekly,
        crate::reports::http_trend,
        crate::reports::http_scorecard,
        crate::reports::http_team,
        crate::reports::http_overdue,
        crate::reports::http_danger_zone,
        crate::reports::http_over_limit,
        crate::reports::http_upcoming,
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign-in and token refresh"),
        (name = "sync", description = "One round trip pushes a device's changes and pulls what is new"),
        (name = "admin", description = "Companies, teams, users, accounts, account teams, rules"),
        (name = "reports", description = "The scorecard and the team views"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from /v1/auth/login"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "operator",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The server's operator token (--operator-token)"))
                    .build(),
            ),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/v1/openapi.json",
        get(|| async { axum::Json(ApiDoc::openapi()) }),
    )
}
