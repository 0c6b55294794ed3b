//! Sign-in, tokens and the authenticated-user extractor.
//!
//! Access tokens are short-lived HS256 JWTs: the algorithm and the key id (`kid`) are
//! pinned, `exp`, `iat`, `iss`, `aud` and `sub` are required, the times must be whole
//! numbers (an `nbf`, if present, too), and a header naming a key of its own (`jku`, `jwk`,
//! `x5u`, `x5c`) is refused. The signing secret lives in the database (created once), so
//! every server process behind a load balancer signs and verifies alike.
//! Refresh tokens are opaque random strings stored only as SHA-256 hashes, single use:
//! each refresh rotates the token, and presenting a rotated token again revokes its whole
//! family (a stolen token is worth one use at most). The rotation is one conditional
//! `UPDATE … WHERE used_at IS NULL` whose row count decides the one winner among
//! concurrent uses, on any number of server processes; the successor of a token is
//! derived from it with the server's key, so a concurrent duplicate or the retry of a lost
//! answer is served that same successor, never a session of its own (see [`refresh`]).
//!
//! A valid token is not enough: [`AuthUser`] reloads the user and the device from the
//! server's tables on every request, so deactivating either takes effect at once; and every
//! token carries the user's session epoch (`users.session_epoch`), raised by a password
//! reset or a deactivation, so those end every earlier session for good.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::post;
use base64::Engine;
use jsonwebtoken::Validation;
use rand::RngCore;
use rapport_client_core::protocol::{self, ErrorBody, LoginRequest, RefreshRequest, Role, Session};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use std::sync::atomic::Ordering;

use crate::app::{App, AppState};
use crate::db::{devices, refresh_tokens, tenants, users};
use crate::error::{ApiError, ApiResult, JsonBody};
use crate::limits::Limit;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
}

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// Not before; the server never sets it, but one present must be a whole number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::keys::strict_time"
    )]
    pub nbf: Option<i64>,
    /// Tenant id.
    pub tid: String,
    /// Device id.
    pub did: String,
    /// The user's session epoch when the token was issued; a token of an earlier epoch
    /// is refused. Tokens from before epochs existed carry none: epoch 0.
    #[serde(default)]
    pub sep: i64,
}

pub fn validation(issuer: &str) -> Validation {
    crate::keys::validation_for(issuer, protocol::TOKEN_AUDIENCE)
}

/// Hashes a password with Argon2id (on a blocking thread: it is deliberately slow).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    crate::cpu::run(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await?
}

/// Checks a password against its stored hash on the CPU pool. A place in the sign-in
/// queue is taken first: when every place is taken the check is refused at once (503)
/// rather than queued behind a flood. How long it took is remembered, so that a sign-in
/// for a user who does not exist can wait as long without hashing anything.
async fn verify_password(app: &App, password: String, hash: String) -> ApiResult<bool> {
    let Ok(_place) = app.sign_in_queue.try_acquire() else {
        return Err(ApiError::Unavailable { retry_after: 1 });
    };
    let started = std::time::Instant::now();
    let ok = crate::cpu::run(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    // A moving average: seven parts the old, one part the new.
    let typical = &app.typical_password_check_us;
    let old = typical.load(Ordering::Relaxed);
    typical.store(
        old.saturating_mul(7).saturating_add(took) / 8,
        Ordering::Relaxed,
    );
    Ok(ok)
}

/// What a password check of a user who does not exist costs: the time a real one
/// usually takes, asleep, so neither the answer nor its timing tells whether the user
/// exists, and no CPU is spent on it.
async fn pace_unknown_user(app: &App) {
    let us = app.typical_password_check_us.load(Ordering::Relaxed);
    tokio::time::sleep(std::time::Duration::from_micros(us.min(5_000_000))).await;
}

pub fn sha256_hex(s: &str) -> String {
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

/// The address a request came from: the connection's peer (behind a reverse proxy, the
/// proxy), when the server was started with it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// What sign-in attempts are counted by: the address, the company and the user name, so
/// guessing one user's password is slowed without locking that user out from elsewhere.
/// The names are cut short: a key is never larger than a real sign-in needs.
pub fn sign_in_key(ip: ClientIp, company: &str, username: &str) -> String {
    let short = |s: &str| s.chars().take(64).collect::<String>();
    let ip = ip.0.map(|a| a.to_string()).unwrap_or_default();
    format!("{ip}\n{}\n{}", short(company), short(username))
}

fn refused() -> ApiError {
    ApiError::Unauthorized("wrong company, user name or password".into())
}

#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest, responses((status = 200, description = "Signed in; the device is registered", body = Session), (status = 401, description = "Wrong company, user name or password", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<axum::Json<Session>> {
    let Some((tenant, user)) =
        sign_in(&state, ip, &req.company, &req.username, &req.password).await?
    else {
        return Err(refused());
    };
    let device = device_for(&state.db, &user, req.device_id.as_deref(), req.device_name).await?;
    // A new family, under the epoch read with the password: a reset meanwhile ends it.
    let refresh_token = new_refresh_token();
    store_refresh_token(
        &state,
        &state.db,
        &refresh_token,
        &user,
        &device,
        &uuid::Uuid::new_v4().to_string(),
        user.session_epoch,
    )
    .await?;
    Ok(axum::Json(session(
        &state,
        &tenant,
        &user,
        &device,
        refresh_token,
    )?))
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
    // A new device has missed nothing that happened before it existed: whatever it logs
    // comes after every removal from an account team so far.
    let told_seq = crate::changelog::head(db, &user.tenant_id).await?;
    Ok(devices::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        tenant_id: Set(user.tenant_id.clone()),
        user_id: Set(user.id.clone()),
        actor_id: Set(automerge::ActorId::random().to_hex_string()),
        name: Set(name),
        active: Set(true),
        created_at: Set(crate::clock::now_ms()),
        told_seq: Set(told_seq),
    }
    .insert(db)
    .await?)
}

/// Stores a refresh token (its SHA-256 only) of `user` on `device`, in `family`.
async fn store_refresh_token(
    state: &AppState,
    db: &impl ConnectionTrait,
    token: &str,
    user: &users::Model,
    device: &devices::Model,
    family: &str,
    epoch: i64,
) -> ApiResult<()> {
    let refresh_ms = i64::try_from(state.settings.refresh_ttl.as_millis()).unwrap_or(i64::MAX);
    refresh_tokens::ActiveModel {
        token_hash: Set(sha256_hex(token)),
        tenant_id: Set(user.tenant_id.clone()),
        user_id: Set(user.id.clone()),
        device_id: Set(device.id.clone()),
        family_id: Set(family.to_owned()),
        expires_at: Set(state.clock.now_ms().saturating_add(refresh_ms)),
        used_at: Set(None),
        revoked: Set(false),
        session_epoch: Set(epoch),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A session of `user` on `device`: a new access token (under the user's session epoch)
/// and `refresh_token`, already stored.
fn session(
    state: &AppState,
    tenant: &tenants::Model,
    user: &users::Model,
    device: &devices::Model,
    refresh_token: String,
) -> ApiResult<Session> {
    let now = state.clock.now().timestamp();
    let exp = now + i64::try_from(state.settings.access_ttl.as_secs()).unwrap_or(900);
    let claims = Claims {
        sub: user.id.clone(),
        iss: state.settings.issuer.clone(),
        aud: protocol::TOKEN_AUDIENCE.into(),
        exp,
        iat: now,
        nbf: None,
        tid: tenant.id.clone(),
        did: device.id.clone(),
        sep: user.session_epoch,
    };
    let access_token = state.keys.sign(&claims)?;
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

/// Rotates a refresh token.
///
/// The token presented (T) must be stored, unrevoked, unexpired, of the user's current
/// session epoch, and its user and device active. Then, in one transaction, T is marked
/// used by a conditional `UPDATE … WHERE used_at IS NULL AND NOT revoked` — its row count
/// decides the one winner among concurrent uses, on any server process and either
/// backend — and T's successor (S, derived from T with the server's key) is stored.
///
/// T already used is served S again, without writing anything, while that is a retry: T
/// was rotated at most five minutes ago and S was never used nor revoked. That covers a
/// concurrent duplicate (both callers get S, so the device stays signed in whichever
/// answer it keeps) and the retry of an answer lost on the way (as many times as it is
/// lost: always S, never another session). Any other reuse of T means someone holds a
/// copy: the whole family is revoked.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest, responses((status = 200, description = "A new session; the refresh token presented is spent (presented again moments later, before its successor is used, it is answered with the same successor)", body = Session), (status = 401, description = "Expired, unknown, revoked or reused refresh token (a reused one revokes its family)", body = ErrorBody)))]
async fn refresh(
    State(state): State<AppState>,
    req: Result<JsonBody<RefreshRequest>, ApiError>,
) -> ApiResult<axum::Json<Session>> {
    // A body that is not `{"refresh_token": "…"}` is refused in fixed words: nothing of
    // the JSON parser's reading of a token is echoed.
    let JsonBody(req) = req.map_err(|e| match e {
        ApiError::BadRequest(_) => {
            ApiError::BadRequest("the body must be {\"refresh_token\": \"…\"}".into())
        }
        other => other,
    })?;
    let expired = || ApiError::Unauthorized("session expired: sign in again".into());
    let hash = sha256_hex(&req.refresh_token);
    let Some(token) = refresh_tokens::Entity::find_by_id(&hash)
        .one(&state.db)
        .await?
    else {
        return Err(expired());
    };
    if token.revoked || token.expires_at < state.clock.now_ms() {
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
    let (Some(tenant), Some(user), Some(device)) = (tenant, user, device) else {
        return Err(expired());
    };
    if !user.active
        || !device.active
        || device.user_id != user.id
        || user.tenant_id != token.tenant_id
        || user.session_epoch != token.session_epoch
    {
        return Err(expired());
    }
    let successor = state.keys.successor(&req.refresh_token);
    let successor_hash = sha256_hex(&successor);
    let rotated = {
        let _writer = state.write_guard().await;
        let txn = state.db.begin().await?;
        let claimed = refresh_tokens::Entity::update_many()
            .col_expr(
                refresh_tokens::Column::UsedAt,
                Expr::value(state.clock.now_ms()),
            )
            .filter(refresh_tokens::Column::TokenHash.eq(&hash))
            .filter(refresh_tokens::Column::UsedAt.is_null())
            .filter(refresh_tokens::Column::Revoked.eq(false))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if claimed {
            // The epoch of T, checked equal to the user's above: a reset committed since
            // then leaves S of the old epoch, refused at its first use.
            store_refresh_token(
                &state,
                &txn,
                &successor,
                &user,
                &device,
                &token.family_id,
                token.session_epoch,
            )
            .await?;
        }
        txn.commit().await?;
        claimed
    };
    if !rotated {
        if !serves_again(&state.db, &hash, &successor_hash).await? {
            // A rotated token came back: someone holds a copy. End the whole family.
            refresh_tokens::Entity::update_many()
                .col_expr(refresh_tokens::Column::Revoked, Expr::value(true))
                .filter(refresh_tokens::Column::FamilyId.eq(&token.family_id))
                .exec(&state.db)
                .await?;
            tracing::warn!(user = %token.user_id, "refresh token reused; family revoked");
            return Err(expired());
        }
        tracing::info!(user = %token.user_id, "refresh repeated; served its successor again");
    }
    Ok(axum::Json(session(
        &state, &tenant, &user, &device, successor,
    )?))
}

/// How long after its rotation a refresh token may be presented again as a retry.
const REFRESH_RETRY_GRACE_MS: i64 = 5 * 60_000;

/// Whether the used token `hash` may be answered again with its successor
/// `successor_hash`: it was rotated moments ago and is not revoked, and the successor is
/// stored, never used and not revoked. Read after the rotation committed, so a concurrent
/// duplicate sees the winner's successor.
async fn serves_again(
    db: &DatabaseConnection,
    hash: &str,
    successor_hash: &str,
) -> ApiResult<bool> {
    let Some(token) = refresh_tokens::Entity::find_by_id(hash).one(db).await? else {
        return Ok(false);
    };
    let Some(used_at) = token.used_at else {
        return Ok(false);
    };
    if token.revoked || crate::clock::now_ms().saturating_sub(used_at) > REFRESH_RETRY_GRACE_MS {
        return Ok(false);
    }
    Ok(refresh_tokens::Entity::find_by_id(successor_hash)
        .one(db)
        .await?
        .is_some_and(|s| s.used_at.is_none() && !s.revoked && s.family_id == token.family_id))
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
        let claims: Claims = state
            .keys
            .decode(token, &validation(&state.settings.issuer))
            .map_err(|e| ApiError::Unauthorized(e.message().into()))?;
        let user = authorise(&state.db, &claims).await?;
        // After authentication, so a flood of bad tokens cannot use up a user's allowance.
        state.check_rate(Limit::User, user.id())?;
        Ok(user)
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
        || user.session_epoch != claims.sep
        || !device.active
        || device.user_id != user.id
        || device.tenant_id != user.tenant_id
    {
        return Err(gone());
    }
    Ok(AuthUser { user, device })
}

/// Checks a sign-in — `POST /v1/auth/login` and the dashboard's form alike: the company
/// and the active user whose password this is, `None` for a wrong company, user name or
/// password (alike, and alike in time).
///
/// Limits first, before anything costly: attempts per address, company and user name;
/// failed attempts per address across user names (spraying one password over many
/// names) and per company and user name across addresses (guessing one user's password
/// from many), where only failures count. A user name
/// that does not exist costs no Argon2 (the answer waits as long as a check takes), and
/// password checks beyond the sign-in queue are refused at once.
pub async fn sign_in(
    app: &App,
    ip: ClientIp,
    company: &str,
    username: &str,
    password: &str,
) -> ApiResult<Option<(tenants::Model, users::Model)>> {
    app.check_rate(Limit::SignIn, &sign_in_key(ip, company, username))?;
    let address = ip.0.map(|a| a.to_string()).unwrap_or_default();
    let account = account_key(company, username);
    FailureLimits::check_address(app, &address)?;
    // One attempt on this account at a time, checked against the failures before it.
    let turn = app.sign_in_turn(&account).await;
    let limits = FailureLimits::check(app, &address, &account)?;
    let tenant = tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(company))
        .one(&app.db)
        .await?;
    let user = match &tenant {
        Some(t) => {
            users::Entity::find()
                .filter(users::Column::TenantId.eq(&t.id))
                .filter(users::Column::Username.eq(username))
                .one(&app.db)
                .await?
        }
        None => None,
    };
    let (Some(tenant), Some(user)) = (tenant, user) else {
        limits.failed();
        drop(turn);
        pace_unknown_user(app).await;
        return Ok(None);
    };
    // A check refused for a full queue (503) is not a failure: nothing was checked.
    let password_ok = verify_password(app, password.to_owned(), user.password_hash.clone()).await?;
    if password_ok && user.active {
        Ok(Some((tenant, user)))
    } else {
        limits.failed();
        drop(turn);
        Ok(None)
    }
}

/// The key of an account across addresses: company and user name, cut short.
fn account_key(company: &str, username: &str) -> String {
    let short = |s: &str| s.chars().take(64).collect::<String>();
    format!("{}\n{}", short(company), short(username))
}

/// The failure limits one sign-in attempt counts against: its address, and its account.
struct FailureLimits<'a> {
    app: &'a App,
    address: &'a str,
    account: &'a str,
}

impl<'a> FailureLimits<'a> {
    /// Refused while the address's failures are full.
    fn check_address(app: &App, address: &str) -> ApiResult<()> {
        match &app.sign_in_address_failures {
            Some(l) => l.check(address),
            None => Ok(()),
        }
    }

    /// Refused while either is full.
    fn check(app: &'a App, address: &'a str, account: &'a str) -> ApiResult<FailureLimits<'a>> {
        if let Some(l) = &app.sign_in_address_failures {
            l.check(address)?;
        }
        if let Some(l) = &app.sign_in_account_failures {
            l.check(account)?;
        }
        Ok(FailureLimits {
            app,
            address,
            account,
        })
    }

    fn failed(self) {
        crate::telemetry::sign_in_failed();
        if let Some(l) = &self.app.sign_in_address_failures {
            l.failed(self.address);
        }
        if let Some(l) = &self.app.sign_in_account_failures {
            l.failed(self.account);
        }
    }
}
