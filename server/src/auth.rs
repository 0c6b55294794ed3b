//! Sign-in, tokens and the authenticated-user extractor.
//!
//! Access tokens are short-lived HS256 JWTs: the algorithm is pinned, and `exp`, `iat`,
//! `iss`, `aud` and `sub` are required. The signing secret lives in the database (created
//! once), so every server process behind a load balancer signs and verifies alike.
//! Refresh tokens are opaque random strings stored only as SHA-256 hashes, single use:
//! each refresh rotates the token, and presenting a rotated token again revokes its whole
//! family (a stolen token is worth one use at most).
//!
//! A valid token is not enough: [`AuthUser`] reloads the user and the device from the
//! server's tables on every request, so deactivating either takes effect at once.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::post;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use rapport_client_core::protocol::{self, ErrorBody, LoginRequest, RefreshRequest, Role, Session};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::db::{devices, refresh_tokens, server_keys, tenants, users};
use crate::error::{ApiError, ApiResult, JsonBody};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
}

/// The JWT signing keys, loaded from (or created in) the database at start-up.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    pub async fn load_or_create(db: &DatabaseConnection) -> anyhow::Result<Keys> {
        const ID: &str = "jwt-hs256";
        let existing = server_keys::Entity::find_by_id(ID).one(db).await?;
        let secret = match existing {
            Some(k) => k.secret,
            None => {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                let secret = base64::engine::general_purpose::STANDARD.encode(bytes);
                // Two processes starting together may race here: the loser's insert fails
                // on the primary key and it reads the winner's secret below.
                let _ = server_keys::ActiveModel {
                    id: Set(ID.into()),
                    secret: Set(secret),
                    created_at: Set(now_ms()),
                }
                .insert(db)
                .await;
                server_keys::Entity::find_by_id(ID)
                    .one(db)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("signing key missing after creation"))?
                    .secret
            }
        };
        let raw = base64::engine::general_purpose::STANDARD.decode(secret)?;
        Ok(Keys {
            encoding: EncodingKey::from_secret(&raw),
            decoding: DecodingKey::from_secret(&raw),
        })
    }
}

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// Tenant id.
    pub tid: String,
    /// Device id.
    pub did: String,
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn validation(issuer: &str) -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[issuer]);
    v.set_audience(&[protocol::TOKEN_AUDIENCE]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    v.leeway = 30;
    v.validate_exp = true;
    v.validate_nbf = true;
    v
}

/// Hashes a password with Argon2id (on a blocking thread: it is deliberately slow).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A well-formed hash that matches no password, verified when the user does not exist so
/// that a wrong user name takes as long as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0pD1rH9V0mSqE4nM7fA6QnW2Vbq1t2Yx3cJ9a8uQe0k";

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn refused() -> ApiError {
    ApiError::Unauthorized("wrong company, user name or password".into())
}

#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest, responses((status = 200, description = "Signed in; the device is registered", body = Session), (status = 401, description = "Wrong company, user name or password", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<axum::Json<Session>> {
    let tenant = tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(&req.company))
        .one(&state.db)
        .await?;
    let user = match &tenant {
        Some(t) => {
            users::Entity::find()
                .filter(users::Column::TenantId.eq(&t.id))
                .filter(users::Column::Username.eq(&req.username))
                .one(&state.db)
                .await?
        }
        None => None,
    };
    let hash = user
        .as_ref()
        .map_or_else(|| DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
    let password_ok = verify_password(req.password.clone(), hash).await;
    let (Some(tenant), Some(user)) = (tenant, user) else {
        return Err(refused());
    };
    if !password_ok || !user.active {
        return Err(refused());
    }
    let device = device_for(&state.db, &user, req.device_id.as_deref(), req.device_name).await?;
    let session = issue(&state, &tenant, &user, &device, None).await?;
    Ok(axum::Json(session))
}

/// The device a sign-in uses: the one named, if it is this user's and active; else a new
/// one with a fresh Automerge actor.
async fn device_for(
    db: &DatabaseConnection,
    user: &users::Model,
    device_id: Option<&str>,
    name: Option<String>,
) -> ApiResult<devices::Model> {
    if let Some(id) = device_id
        && let Some(d) = devices::Entity::find_by_id(id).one(db).await?
        && d.user_id == user.id
        && d.tenant_id == user.tenant_id
        && d.active
    {
        return Ok(d);
    }
    let name: String = name
        .unwrap_or_else(|| "device".into())
        .chars()
        .take(100)
        .collect();
    Ok(devices::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        tenant_id: Set(user.tenant_id.clone()),
        user_id: Set(user.id.clone()),
        actor_id: Set(automerge::ActorId::random().to_hex_string()),
        name: Set(name),
        active: Set(true),
        created_at: Set(now_ms()),
    }
    .insert(db)
    .await?)
}

/// Issues an access token and a refresh token (in `family`, or a new family).
async fn issue(
    state: &AppState,
    tenant: &tenants::Model,
    user: &users::Model,
    device: &devices::Model,
    family: Option<String>,
) -> ApiResult<Session> {
    let now = chrono::Utc::now().timestamp();
    let exp = now + i64::try_from(state.settings.access_ttl.as_secs()).unwrap_or(900);
    let claims = Claims {
        sub: user.id.clone(),
        iss: state.settings.issuer.clone(),
        aud: protocol::TOKEN_AUDIENCE.into(),
        exp,
        iat: now,
        tid: tenant.id.clone(),
        did: device.id.clone(),
    };
    let access_token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &state.keys.encoding,
    )
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("signing token: {e}")))?;
    let refresh_token = new_refresh_token();
    let refresh_ms = i64::try_from(state.settings.refresh_ttl.as_millis()).unwrap_or(i64::MAX);
    refresh_tokens::ActiveModel {
        token_hash: Set(sha256_hex(&refresh_token)),
        tenant_id: Set(tenant.id.clone()),
        user_id: Set(user.id.clone()),
        device_id: Set(device.id.clone()),
        family_id: Set(family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
        expires_at: Set(now_ms().saturating_add(refresh_ms)),
        used_at: Set(None),
        revoked: Set(false),
    }
    .insert(&state.db)
    .await?;
    Ok(Session {
        access_token,
        access_expires_at: exp,
        refresh_token,
        user_id: user.id.clone(),
        tenant_id: tenant.id.clone(),
        role: Role::parse(&user.role).unwrap_or(Role::Rep),
        display_name: user.display_name.clone(),
        device_id: device.id.clone(),
        actor_id: device.actor_id.clone(),
        time_zone: tenant.time_zone.clone(),
    })
}

#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest, responses((status = 200, description = "A new session; the refresh token presented is spent", body = Session), (status = 401, description = "Expired, unknown or reused refresh token (a reused one revokes its family)", body = ErrorBody)))]
async fn refresh(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<RefreshRequest>,
) -> ApiResult<axum::Json<Session>> {
    let expired = || ApiError::Unauthorized("session expired: sign in again".into());
    let hash = sha256_hex(&req.refresh_token);
    let Some(token) = refresh_tokens::Entity::find_by_id(&hash)
        .one(&state.db)
        .await?
    else {
        return Err(expired());
    };
    // Mark it used only if nobody did before: of two concurrent uses one wins.
    let claimed = refresh_tokens::Entity::update_many()
        .col_expr(
            refresh_tokens::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now_ms()),
        )
        .filter(refresh_tokens::Column::TokenHash.eq(&hash))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::Revoked.eq(false))
        .exec(&state.db)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        // A rotated token came back: someone holds a copy. End the whole family.
        refresh_tokens::Entity::update_many()
            .col_expr(
                refresh_tokens::Column::Revoked,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(refresh_tokens::Column::FamilyId.eq(&token.family_id))
            .exec(&state.db)
            .await?;
        tracing::warn!(user = %token.user_id, "refresh token reused; family revoked");
        return Err(expired());
    }
    if token.expires_at < now_ms() {
        return Err(expired());
    }
    let user = users::Entity::find_by_id(&token.user_id)
        .one(&state.db)
        .await?;
    let device = devices::Entity::find_by_id(&token.device_id)
        .one(&state.db)
        .await?;
    let tenant = tenants::Entity::find_by_id(&token.tenant_id)
        .one(&state.db)
        .await?;
    match (tenant, user, device) {
        (Some(t), Some(u), Some(d)) if u.active && d.active && d.user_id == u.id => {
            let session = issue(&state, &t, &u, &d, Some(token.family_id)).await?;
            Ok(axum::Json(session))
        }
        _ => Err(expired()),
    }
}

/// The signed-in user of a request, checked against the server's tables.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: users::Model,
    pub device: devices::Model,
}

impl AuthUser {
    pub fn tenant_id(&self) -> &str {
        &self.user.tenant_id
    }

    pub fn id(&self) -> &str {
        &self.user.id
    }

    pub fn role(&self) -> Role {
        Role::parse(&self.user.role).unwrap_or(Role::Rep)
    }

    pub fn require(&self, role: Role) -> ApiResult<()> {
        if self.role() == role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "only a {} may do this",
                role.as_str()
            )))
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<AuthUser> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .ok_or_else(|| ApiError::Unauthorized("sign in first".into()))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::Unauthorized("expected a bearer token".into()))?;
        let claims = jsonwebtoken::decode::<Claims>(
            token,
            &state.keys.decoding,
            &validation(&state.settings.issuer),
        )
        .map_err(|e| ApiError::Unauthorized(format!("invalid token: {e}")))?
        .claims;
        authorise(&state.db, &claims).await
    }
}

async fn authorise(db: &impl ConnectionTrait, claims: &Claims) -> ApiResult<AuthUser> {
    let gone = || ApiError::Unauthorized("this sign-in is no longer valid".into());
    let user = users::Entity::find_by_id(&claims.sub)
        .one(db)
        .await?
        .ok_or_else(gone)?;
    let device = devices::Entity::find_by_id(&claims.did)
        .one(db)
        .await?
        .ok_or_else(gone)?;
    if !user.active
        || user.tenant_id != claims.tid
        || !device.active
        || device.user_id != user.id
        || device.tenant_id != user.tenant_id
    {
        return Err(gone());
    }
    Ok(AuthUser { user, device })
}

impl Keys {
    /// Signs `claims` with the server's HS256 key. The dashboard's session tokens use it
    /// too, under their own audience, so an API token never opens a dashboard session and
    /// a session cookie is never a bearer token.
    pub fn sign<C: Serialize>(&self, claims: &C) -> anyhow::Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("signing token: {e}"))
    }

    /// The claims of a token signed with [`Keys::sign`], if it passes `validation`.
    pub fn verify<C: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Option<C> {
        jsonwebtoken::decode::<C>(token, &self.decoding, validation)
            .ok()
            .map(|t| t.claims)
    }
}

/// Checks a company, user name and password as `POST /v1/auth/login` does (a missing user
/// costs the same time as a wrong password): the company and the active user, or `None`.
pub async fn verify_sign_in(
    db: &DatabaseConnection,
    company: &str,
    username: &str,
    password: &str,
) -> ApiResult<Option<(tenants::Model, users::Model)>> {
    let tenant = tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(company))
        .one(db)
        .await?;
    let user = match &tenant {
        Some(t) => {
            users::Entity::find()
                .filter(users::Column::TenantId.eq(&t.id))
                .filter(users::Column::Username.eq(username))
                .one(db)
                .await?
        }
        None => None,
    };
    let hash = user
        .as_ref()
        .map_or_else(|| DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
    let password_ok = verify_password(password.to_owned(), hash).await;
    Ok(match (tenant, user) {
        (Some(t), Some(u)) if password_ok && u.active => Some((t, u)),
        _ => None,
    })
}
