//! The server's one error type. Every handler returns it; it answers with the JSON
//! [`ErrorBody`] of the protocol. Internal errors are logged with their detail and
//! answered with a generic 500, so nothing of the database or the code leaks out.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_client_core::protocol::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unprocessable(String),
    /// The request contradicts the state it would change (e.g. leaving a company without
    /// an active admin).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("expected content type {0}")]
    UnsupportedMediaType(&'static str),
    /// A rate limit is spent; `retry_after` seconds until the next request is allowed.
    #[error("too many requests: try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// The server is too busy for this now (a queue is full); try again in `retry_after`
    /// seconds.
    #[error("the server is busy: try again in {retry_after} s")]
    Unavailable { retry_after: u64 },
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "invalid_body"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Database(e) if crate::db::is_unique_violation(e) => {
                (StatusCode::CONFLICT, "conflict")
            }
            ApiError::Database(_) | ApiError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

impl ApiError {
    /// What may be told to the client (or the operator at the command line): internal
    /// and database errors are logged here and summarised, never passed on.
    pub fn public_message(&self) -> String {
        match self {
            ApiError::Database(e) if crate::db::is_unique_violation(e) => {
                "that already exists".to_owned()
            }
            ApiError::Database(e) => {
                tracing::error!(error = %e, "database error");
                "internal error".to_owned()
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after } | ApiError::Unavailable { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: self.public_message(),
            },
        };
        let mut resp = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("application/json")
            }
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::TooLarge("request body too large".into())
            }
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

/// Gives the error answers that were made without the protocol's JSON body — by the
/// router (405, a path that is not UTF-8), by layers (408 from the timeout, 413 from the
/// body limit) or by extractors' plain-text rejections — the one JSON shape, with a
/// message chosen here (nothing of a parser's text is passed on). JSON answers, and the
/// dashboard's HTML pages, are left as they are.
pub async fn json_errors(resp: Response) -> Response {
    use axum::http::header;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return resp;
    }
    let (code, message) = match status {
        StatusCode::BAD_REQUEST => ("invalid_body", "the request could not be read".to_owned()),
        StatusCode::UNAUTHORIZED => ("unauthorized", "sign in first".to_owned()),
        StatusCode::FORBIDDEN => ("forbidden", "not allowed".to_owned()),
        StatusCode::NOT_FOUND => ("not_found", "no such endpoint".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this method is not allowed here (the Allow header lists those that are)".to_owned(),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "timeout",
            "the request took too long: send it again".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("too_large", "request too large".to_owned())
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "unsupported content type".to_owned(),
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_input", "the request is invalid".to_owned()),
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "too many requests".to_owned()),
        StatusCode::SERVICE_UNAVAILABLE => {
            ("unavailable", "the server is busy: try again".to_owned())
        }
        s if s.is_server_error() => ("internal", "internal error".to_owned()),
        _ => ("invalid_body", "the request was refused".to_owned()),
    };
    let (mut parts, _) = resp.into_parts();
    let json = (
        status,
        Json(ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        }),
    )
        .into_response();
    let (json_parts, body) = json.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &json_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, body)
}

/// `axum::Json` whose rejections answer with [`ApiError`]'s JSON shape.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

/// `axum::extract::Query` whose rejections answer with [`ApiError`]'s JSON shape.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct QueryParams<T>(pub T);

pub type ApiResult<T> = Result<T, ApiError>;
