//! Administration: companies, teams, users and their devices, accounts and account teams.
//!
//! The same functions serve the `rapport-server admin …` subcommands and the admin HTTP
//! endpoints (`/v1/admin/…`, for a company's admins; `POST /v1/admin/companies` for the
//! operator, with the operator token). Accounts are Automerge documents like every other
//! record: creating one stores its first change under the tenant's sequence, so reps pull
//! it like anything else.

use automerge::ActorId;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use rapport_client_core::model::{self, Account, AnyRecord, GeoPoint, Record};
use rapport_client_core::protocol::{ErrorBody, Role};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::app::{App, AppState};
use crate::auth::{AuthUser, hash_password};
use crate::changelog::{Sequence, insert_new_document};
use crate::db::{account_teams, accounts, devices, refresh_tokens, teams, tenants, users};
use crate::error::{ApiError, ApiResult, JsonBody};

/// The author recorded for documents created by the server itself (the admin CLI).
pub const SYSTEM_AUTHOR: &str = "system";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/companies", post(http_create_company))
        .route(
            "/v1/admin/teams",
            get(http_list_teams).post(http_create_team),
        )
        .route(
            "/v1/admin/users",
            get(http_list_users).post(http_create_user),
        )
        .route(
            "/v1/admin/users/{id}",
            axum::routing::patch(http_update_user),
        )
        .route("/v1/admin/users/{id}/devices", get(http_list_devices))
        .route(
            "/v1/admin/devices/{id}",
            axum::routing::patch(http_update_device),
        )
        .route(
            "/v1/admin/accounts",
            get(http_list_accounts).post(http_create_account),
        )
        .route(
            "/v1/admin/accounts/{account}/team/{user}",
            put(http_assign).delete(http_unassign),
        )
        .route(
            "/v1/admin/rules",
            get(http_get_rules).patch(http_patch_rules),
        )
}

// ----- inputs -----

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewCompany {
    pub slug: String,
    pub name: String,
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    pub admin_username: String,
    pub admin_password: String,
}

fn default_time_zone() -> String {
    "Asia/Shanghai".into()
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub password: String,
    pub role: Role,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewTeam {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewAccount {
    pub name: String,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct UserUpdate {
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DeviceUpdate {
    /// `false` deactivates the device: its tokens stop working at once.
    pub active: bool,
}

// ----- views -----

/// A device a user signed in on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub active: bool,
    /// When it first signed in, Unix ms.
    pub created_at: i64,
}

impl From<devices::Model> for DeviceView {
    fn from(d: devices::Model) -> Self {
        DeviceView {
            id: d.id,
            user_id: d.user_id,
            name: d.name,
            active: d.active,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyView {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub admin_user_id: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamView {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub team_id: Option<String>,
    pub active: bool,
}

impl From<users::Model> for UserView {
    fn from(u: users::Model) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            team_id: u.team_id,
            active: u.active,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: String,
    pub name: String,
    pub industry: Option<String>,
    pub city: Option<String>,
    /// User ids of the reps on its account team.
    pub team: Vec<String>,
}

// ----- checks -----

fn check_slug(slug: &str) -> ApiResult<()> {
    let ok = (2..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(
            "company short name: 2-40 characters of a-z, 0-9 and -".into(),
        ))
    }
}

pub(crate) fn check_username(name: &str) -> ApiResult<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(
            "user name: 1-64 characters of letters, digits, '.', '_' and '-'".into(),
        ))
    }
}

pub(crate) fn check_password(password: &str) -> ApiResult<()> {
    if password.chars().count() < 8 || password.len() > 1024 {
        return Err(ApiError::Unprocessable(
            "password: at least 8 characters".into(),
        ));
    }
    Ok(())
}

pub(crate) fn check_name(field: &str, name: &str) -> ApiResult<()> {
    if name.trim().is_empty() || name.len() > model::limits::NAME_MAX {
        return Err(ApiError::Unprocessable(format!(
            "{field}: 1-{} bytes",
            model::limits::NAME_MAX
        )));
    }
    Ok(())
}

fn check_time_zone(tz: &str) -> ApiResult<()> {
    tz.parse::<chrono_tz::Tz>()
        .map(|_| ())
        .map_err(|_| ApiError::Unprocessable(format!("unknown time zone '{tz}'")))
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

// ----- operations -----

pub async fn find_company(app: &App, slug: &str) -> ApiResult<tenants::Model> {
    tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(slug))
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no company '{slug}'")))
}

pub async fn create_company(app: &App, input: NewCompany) -> ApiResult<CompanyView> {
    check_slug(&input.slug)?;
    check_name("company name", &input.name)?;
    check_time_zone(&input.time_zone)?;
    check_username(&input.admin_username)?;
    check_password(&input.admin_password)?;
    let hash = hash_password(input.admin_password).await?;
    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    let tenant = tenants::ActiveModel {
        id: Set(new_id()),
        slug: Set(input.slug),
        name: Set(input.name),
        time_zone: Set(input.time_zone),
        seq: Set(0),
        created_at: Set(app.clock.now_ms()),
    }
    .insert(&txn)
    .await?;
    let admin = users::ActiveModel {
        id: Set(new_id()),
        tenant_id: Set(tenant.id.clone()),
        username: Set(input.admin_username.clone()),
        display_name: Set(input.admin_username),
        password_hash: Set(hash),
        role: Set(Role::Admin.as_str().into()),
        team_id: Set(None),
        active: Set(true),
        created_at: Set(app.clock.now_ms()),
        session_epoch: Set(0),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(CompanyView {
        id: tenant.id,
        slug: tenant.slug,
        name: tenant.name,
        time_zone: tenant.time_zone,
        admin_user_id: admin.id,
    })
}

pub async fn create_team(app: &App, tenant_id: &str, input: NewTeam) -> ApiResult<TeamView> {
    check_name("team name", &input.name)?;
    let _writer = app.write_guard().await;
    let team = teams::ActiveModel {
        id: Set(new_id()),
        tenant_id: Set(tenant_id.to_owned()),
        name: Set(input.name),
    }
    .insert(&app.db)
    .await?;
    Ok(TeamView {
        id: team.id,
        name: team.name,
    })
}

pub async fn find_team(app: &App, tenant_id: &str, id_or_name: &str) -> ApiResult<teams::Model> {
    teams::Entity::find()
        .filter(teams::Column::TenantId.eq(tenant_id))
        .filter(
            sea_orm::Condition::any()
                .add(teams::Column::Id.eq(id_or_name))
                .add(teams::Column::Name.eq(id_or_name)),
        )
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no team '{id_or_name}'")))
}

pub async fn create_user(app: &App, tenant_id: &str, input: NewUser) -> ApiResult<UserView> {
    check_username(&input.username)?;
    check_password(&input.password)?;
    let display_name = input.display_name.unwrap_or_else(|| input.username.clone());
    check_name("display name", &display_name)?;
    let team_id = match &input.team_id {
        Some(team) => Some(find_team(app, tenant_id, team).await?.id),
        None => None,
    };
    if input.role == Role::Manager && team_id.is_none() {
        return Err(ApiError::Unprocessable("a manager needs a team".into()));
    }
    let hash = hash_password(input.password).await?;
    let _writer = app.write_guard().await;
    let user = users::ActiveModel {
        id: Set(new_id()),
        tenant_id: Set(tenant_id.to_owned()),
        username: Set(input.username),
        display_name: Set(display_name),
        password_hash: Set(hash),
        role: Set(input.role.as_str().into()),
        team_id: Set(team_id),
        active: Set(true),
        created_at: Set(app.clock.now_ms()),
        session_epoch: Set(0),
    }
    .insert(&app.db)
    .await?;
    Ok(user.into())
}

pub async fn find_user(app: &App, tenant_id: &str, id_or_name: &str) -> ApiResult<users::Model> {
    users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant_id))
        .filter(
            sea_orm::Condition::any()
                .add(users::Column::Id.eq(id_or_name))
                .add(users::Column::Username.eq(id_or_name)),
        )
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user '{id_or_name}'")))
}

pub async fn update_user(
    app: &App,
    tenant_id: &str,
    user_id: &str,
    update: UserUpdate,
) -> ApiResult<UserView> {
    let user = find_user(app, tenant_id, user_id).await?;
    let team_id = match &update.team_id {
        Some(team) => Some(find_team(app, tenant_id, team).await?.id),
        None => None,
    };
    let hash = match update.password {
        Some(p) => {
            check_password(&p)?;
            Some(hash_password(p).await?)
        }
        None => None,
    };
    let deactivating = update.active == Some(false);
    // A new password or a deactivation ends every session of the user: their refresh
    // tokens are revoked and the session epoch raised, which refuses their access tokens
    // and dashboard cookies at once and for good (reactivating revives none of them).
    let ends_sessions = deactivating || hash.is_some();
    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    if deactivating && user.active && user.role == Role::Admin.as_str() {
        // The tenant's row lock orders concurrent changes of its admins: two admins
        // deactivating each other cannot both see the other still active.
        let _ordered = Sequence::lock(&txn, tenant_id).await?;
        let others = users::Entity::find()
            .filter(users::Column::TenantId.eq(tenant_id))
            .filter(users::Column::Role.eq(Role::Admin.as_str()))
            .filter(users::Column::Active.eq(true))
            .filter(users::Column::Id.ne(&user.id))
            .count(&txn)
            .await?;
        if others == 0 {
            return Err(ApiError::Conflict(format!(
                "{} is the company's only active admin and cannot be deactivated: \
                 create another admin first",
                user.username
            )));
        }
    }
    let id = user.id.clone();
    let mut row: users::ActiveModel = user.into();
    if let Some(active) = update.active {
        row.active = Set(active);
    }
    if let Some(team) = team_id {
        row.team_id = Set(Some(team));
    }
    if let Some(h) = hash {
        row.password_hash = Set(h);
    }
    let mut updated = row.update(&txn).await?;
    if ends_sessions {
        users::Entity::update_many()
            .col_expr(
                users::Column::SessionEpoch,
                Expr::col(users::Column::SessionEpoch).add(1),
            )
            .filter(users::Column::TenantId.eq(tenant_id))
            .filter(users::Column::Id.eq(&id))
            .exec(&txn)
            .await?;
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::Revoked, Expr::value(true))
            .filter(refresh_tokens::Column::TenantId.eq(tenant_id))
            .filter(refresh_tokens::Column::UserId.eq(&id))
            .filter(refresh_tokens::Column::Revoked.eq(false))
            .exec(&txn)
            .await?;
        updated.session_epoch += 1;
    }
    txn.commit().await?;
    Ok(updated.into())
}

/// The devices a user has signed in on, oldest first.
pub async fn list_devices(app: &App, tenant_id: &str, user: &str) -> ApiResult<Vec<DeviceView>> {
    let user = find_user(app, tenant_id, user).await?;
    Ok(devices::Entity::find()
        .filter(devices::Column::TenantId.eq(tenant_id))
        .filter(devices::Column::UserId.eq(&user.id))
        .order_by_asc(devices::Column::CreatedAt)
        .all(&app.db)
        .await?
        .into_iter()
        .map(DeviceView::from)
        .collect())
}

/// Deactivates (or reactivates) one device of the company. A deactivated device's access
/// tokens are refused at once (every request reloads the device) and its refresh tokens
/// are revoked for good, so reactivating it means signing in again; the user's other
/// devices are untouched.
pub async fn update_device(
    app: &App,
    tenant_id: &str,
    device_id: &str,
    update: DeviceUpdate,
) -> ApiResult<DeviceView> {
    let device = devices::Entity::find_by_id(device_id)
        .one(&app.db)
        .await?
        .filter(|d| d.tenant_id == tenant_id)
        .ok_or_else(|| ApiError::NotFound(format!("no device '{device_id}'")))?;
    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    if !update.active {
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::Revoked, Expr::value(true))
            .filter(refresh_tokens::Column::TenantId.eq(tenant_id))
            .filter(refresh_tokens::Column::DeviceId.eq(&device.id))
            .exec(&txn)
            .await?;
    }
    let mut row: devices::ActiveModel = device.into();
    row.active = Set(update.active);
    let device = row.update(&txn).await?;
    txn.commit().await?;
    Ok(device.into())
}

/// Creates an account: its document (first change stored under the tenant's sequence) and
/// its read-model row, in one transaction.
pub async fn create_account(
    app: &App,
    tenant_id: &str,
    author_id: &str,
    input: NewAccount,
) -> ApiResult<AccountView> {
    let location = match (input.lat, input.lon) {
        (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
        (None, None) => None,
        _ => {
            return Err(ApiError::Unprocessable(
                "location: give both lat and lon, or neither".into(),
            ));
        }
    };
    let account = Account {
        name: input.name,
        industry: input.industry,
        city: input.city,
        location,
        deleted: false,
        ..Default::default()
    };
    account
        .validate()
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let id = model::new_id();
    let mut doc = model::new_document(ActorId::random());
    model::write_record(&mut doc, &account).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let record = AnyRecord::Account(account.clone());
    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    let mut seq = Sequence::lock(&txn, tenant_id).await?;
    insert_new_document(&txn, &mut seq, &id, author_id, &mut doc, &record).await?;
    seq.finish(&txn).await?;
    txn.commit().await?;
    Ok(AccountView {
        id,
        name: account.name,
        industry: account.industry,
        city: account.city,
        team: Vec::new(),
    })
}

pub async fn find_account(
    app: &App,
    tenant_id: &str,
    id_or_name: &str,
) -> ApiResult<accounts::Model> {
    accounts::Entity::find()
        .filter(accounts::Column::TenantId.eq(tenant_id))
        .filter(
            sea_orm::Condition::any()
                .add(accounts::Column::Id.eq(id_or_name))
                .add(accounts::Column::Name.eq(id_or_name)),
        )
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no account '{id_or_name}'")))
}

/// Puts a user on an account's team. Access is a sequenced event: the user's next pull
/// receives the account's documents as snapshots.
pub async fn assign(app: &App, tenant_id: &str, account_id: &str, user_id: &str) -> ApiResult<()> {
    let account = find_account(app, tenant_id, account_id).await?;
    let user = find_user(app, tenant_id, user_id).await?;
    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    let mut seq = Sequence::lock(&txn, tenant_id).await?;
    let existing = account_teams::Entity::find_by_id((account.id.clone(), user.id.clone()))
        .one(&txn)
        .await?;
    match existing {
        Some(row) if row.active => {}
        Some(row) => {
            let mut row: account_teams::ActiveModel = row.into();
            row.active = Set(true);
            row.granted_seq = Set(seq.next());
            row.revoked_seq = Set(None);
            row.revoked_at = Set(None);
            row.update(&txn).await?;
        }
        None => {
            account_teams::ActiveModel {
                tenant_id: Set(tenant_id.to_owned()),
                account_id: Set(account.id),
                user_id: Set(user.id),
                active: Set(true),
                granted_seq: Set(seq.next()),
                revoked_seq: Set(None),
                revoked_at: Set(None),
            }
            .insert(&txn)
            .await?;
        }
    }
    seq.finish(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Takes a user off an account's team. They keep (and may still edit) what they
/// authored; they no longer receive the account's other records. Like a grant, the
/// removal takes a sequence number: a device's next sync tells it (and the device removes
/// the account's other records); new records on the account are accepted only from a
/// device that had not heard of it yet (logged before). Taking off someone already off
/// changes nothing.
pub async fn unassign(
    app: &App,
    tenant_id: &str,
    account_id: &str,
    user_id: &str,
) -> ApiResult<()> {
    let account = find_account(app, tenant_id, account_id).await?;
    let user = find_user(app, tenant_id, user_id).await?;
    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    let mut seq = Sequence::lock(&txn, tenant_id).await?;
    let existing = account_teams::Entity::find_by_id((account.id.clone(), user.id.clone()))
        .filter(account_teams::Column::TenantId.eq(tenant_id))
        .one(&txn)
        .await?;
    match existing {
        None => {
            return Err(ApiError::NotFound(
                "that user is not on that account's team".into(),
            ));
        }
        Some(row) if !row.active => {}
        Some(row) => {
            let mut row: account_teams::ActiveModel = row.into();
            row.active = Set(false);
            row.revoked_seq = Set(Some(seq.next()));
            row.revoked_at = Set(Some(app.clock.now_ms()));
            row.update(&txn).await?;
        }
    }
    seq.finish(&txn).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn list_teams(app: &App, tenant_id: &str) -> ApiResult<Vec<TeamView>> {
    Ok(teams::Entity::find()
        .filter(teams::Column::TenantId.eq(tenant_id))
        .order_by_asc(teams::Column::Name)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|t| TeamView {
            id: t.id,
            name: t.name,
        })
        .collect())
}

pub async fn list_users(app: &App, tenant_id: &str) -> ApiResult<Vec<UserView>> {
    Ok(users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant_id))
        .order_by_asc(users::Column::Username)
        .all(&app.db)
        .await?
        .into_iter()
        .map(UserView::from)
        .collect())
}

pub async fn list_accounts(app: &App, tenant_id: &str) -> ApiResult<Vec<AccountView>> {
    let rows = accounts::Entity::find()
        .filter(accounts::Column::TenantId.eq(tenant_id))
        .filter(accounts::Column::Deleted.eq(false))
        .order_by_asc(accounts::Column::Name)
        .all(&app.db)
        .await?;
    let teams = account_teams::Entity::find()
        .filter(account_teams::Column::TenantId.eq(tenant_id))
        .filter(account_teams::Column::Active.eq(true))
        .all(&app.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|a| AccountView {
            team: teams
                .iter()
                .filter(|t| t.account_id == a.id)
                .map(|t| t.user_id.clone())
                .collect(),
            id: a.id,
            name: a.name,
            industry: a.industry,
            city: a.city,
        })
        .collect())
}

/// The company's rules and their version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RulesView {
    pub version: u64,
    pub rules: rapport_client_core::model::Rules,
}

pub async fn get_rules(app: &App, tenant_id: &str) -> ApiResult<RulesView> {
    let (version, rules) = crate::rules::load(&app.db, tenant_id).await?;
    Ok(RulesView { version, rules })
}

/// Changes some rules (`{"favour_limit": 800, …}`); devices receive them on their next
/// sync. Judgements already in the read model keep the rules they were made under.
pub async fn patch_rules(
    app: &App,
    tenant_id: &str,
    changes: &serde_json::Map<String, serde_json::Value>,
) -> ApiResult<RulesView> {
    let _writer = app.write_guard().await;
    let txn = app.db.begin().await?;
    let (_, current) = crate::rules::load(&txn, tenant_id).await?;
    let rules = crate::rules::patch(&current, changes)?;
    let version = crate::rules::save(&txn, tenant_id, &rules).await?;
    txn.commit().await?;
    Ok(RulesView { version, rules })
}

// ----- HTTP -----

fn admin(user: &AuthUser) -> ApiResult<&str> {
    user.require(Role::Admin)?;
    Ok(user.tenant_id())
}

#[utoipa::path(post, path = "/v1/admin/companies", tag = "admin", request_body = NewCompany, responses((status = 201, body = CompanyView), (status = 401, description = "Missing or wrong operator token", body = ErrorBody), (status = 409, body = ErrorBody)), security(("operator" = [])))]
async fn http_create_company(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<NewCompany>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<CompanyView>)> {
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    let allowed = match (&state.settings.operator_token, presented) {
        // Compare digests, so the comparison takes the same time wherever they differ.
        (Some(expected), Some(given)) => {
            Sha256::digest(expected.as_bytes()) == Sha256::digest(given.as_bytes())
        }
        _ => false,
    };
    if !allowed {
        return Err(ApiError::Unauthorized(
            "creating companies needs the operator token".into(),
        ));
    }
    let company = create_company(&state, input).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(company)))
}

#[utoipa::path(get, path = "/v1/admin/teams", tag = "admin", responses((status = 200, body = Vec<TeamView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn http_list_teams(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<axum::Json<Vec<TeamView>>> {
    Ok(axum::Json(list_teams(&state, admin(&user)?).await?))
}

#[utoipa::path(post, path = "/v1/admin/teams", tag = "admin", request_body = NewTeam, responses((status = 201, body = TeamView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
async fn http_create_team(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(input): JsonBody<NewTeam>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<TeamView>)> {
    let team = create_team(&state, admin(&user)?, input).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(team)))
}

#[utoipa::path(get, path = "/v1/admin/users", tag = "admin", responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn http_list_users(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<axum::Json<Vec<UserView>>> {
    Ok(axum::Json(list_users(&state, admin(&user)?).await?))
}

#[utoipa::path(post, path = "/v1/admin/users", tag = "admin", request_body = NewUser, responses((status = 201, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn http_create_user(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(input): JsonBody<NewUser>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<UserView>)> {
    let created = create_user(&state, admin(&user)?, input).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(created)))
}

#[utoipa::path(patch, path = "/v1/admin/users/{id}", tag = "admin", params(("id" = String, Path, description = "User id or name")), request_body = UserUpdate, responses((status = 200, description = "The user; a new password or a deactivation ends every session of theirs", body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "The company's only active admin cannot be deactivated", body = ErrorBody)), security(("bearer" = [])))]
async fn http_update_user(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(update): JsonBody<UserUpdate>,
) -> ApiResult<axum::Json<UserView>> {
    Ok(axum::Json(
        update_user(&state, admin(&user)?, &id, update).await?,
    ))
}

#[utoipa::path(get, path = "/v1/admin/users/{id}/devices", tag = "admin", params(("id" = String, Path, description = "User id or name")), responses((status = 200, body = Vec<DeviceView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn http_list_devices(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Vec<DeviceView>>> {
    Ok(axum::Json(list_devices(&state, admin(&user)?, &id).await?))
}

#[utoipa::path(patch, path = "/v1/admin/devices/{id}", tag = "admin", params(("id" = String, Path, description = "Device id")), request_body = DeviceUpdate, responses((status = 200, description = "The device; deactivated, its tokens are refused at once", body = DeviceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn http_update_device(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(update): JsonBody<DeviceUpdate>,
) -> ApiResult<axum::Json<DeviceView>> {
    Ok(axum::Json(
        update_device(&state, admin(&user)?, &id, update).await?,
    ))
}

#[utoipa::path(get, path = "/v1/admin/accounts", tag = "admin", responses((status = 200, body = Vec<AccountView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn http_list_accounts(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<axum::Json<Vec<AccountView>>> {
    Ok(axum::Json(list_accounts(&state, admin(&user)?).await?))
}

#[utoipa::path(post, path = "/v1/admin/accounts", tag = "admin", request_body = NewAccount, responses((status = 201, body = AccountView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn http_create_account(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(input): JsonBody<NewAccount>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<AccountView>)> {
    let tenant = admin(&user)?;
    let account = create_account(&state, tenant, user.id(), input).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(account)))
}

#[utoipa::path(put, path = "/v1/admin/accounts/{account}/team/{user}", tag = "admin", params(("account" = String, Path), ("user" = String, Path)), responses((status = 204, description = "The user is on the account team"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn http_assign(
    State(state): State<AppState>,
    user: AuthUser,
    Path((account, member)): Path<(String, String)>,
) -> ApiResult<axum::http::StatusCode> {
    assign(&state, admin(&user)?, &account, &member).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/v1/admin/accounts/{account}/team/{user}", tag = "admin", params(("account" = String, Path), ("user" = String, Path)), responses((status = 204, description = "The user is off the account team"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn http_unassign(
    State(state): State<AppState>,
    user: AuthUser,
    Path((account, member)): Path<(String, String)>,
) -> ApiResult<axum::http::StatusCode> {
    unassign(&state, admin(&user)?, &account, &member).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/admin/rules", tag = "admin", responses((status = 200, body = RulesView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn http_get_rules(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<axum::Json<RulesView>> {
    Ok(axum::Json(get_rules(&state, admin(&user)?).await?))
}

#[utoipa::path(patch, path = "/v1/admin/rules", tag = "admin", request_body(content = Object, description = "Rules to change, by name, e.g. {\"favour_limit\": 800}"), responses((status = 200, body = RulesView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn http_patch_rules(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(changes): JsonBody<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<axum::Json<RulesView>> {
    Ok(axum::Json(
        patch_rules(&state, admin(&user)?, &changes).await?,
    ))
}
