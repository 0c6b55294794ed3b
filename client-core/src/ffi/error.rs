//! The one error the apps see, and the one place internal errors map to it.
//!
//! Each variant is something an app can act on: retry later, sign in again, show the
//! server's refusal, point at a field, or tell the user the device's storage is in trouble.
//! The rich internal [`api::Error`] stays inside the crate.

use crate::api;
use crate::store::StoreError;

/// The words of each variant are in `detail` (never a field named `message`, which would
/// clash with Kotlin's `Throwable.message`).
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
pub enum RapportError {
    /// The server cannot be reached (or is failing): keep working offline, retry later.
    #[error("offline: {detail}")]
    Offline { detail: String },
    /// Not signed in, or the server ended the session (password changed, user
    /// deactivated): show the sign-in screen.
    #[error("signed out: {detail}")]
    SignedOut { detail: String },
    /// The server refused something: a record (`record_id`) or a request. Show `reason`
    /// to the user; act on `code`, the server's stable reason code (`not_author`,
    /// `admin_only`, `quota_exceeded`, `removed_from_account`, `forbidden` …). A rejected
    /// record stays rejected until it is edited again.
    #[error("rejected ({code}): {reason}")]
    Rejected {
        record_id: Option<String>,
        code: String,
        reason: String,
    },
    /// An argument or a record field is not acceptable: point at `field`.
    #[error("invalid {field}: {detail}")]
    InvalidInput { field: String, detail: String },
    /// The device store is full, corrupt or from a newer app version.
    #[error("storage: {detail}")]
    Storage { detail: String },
}

impl RapportError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> RapportError {
        RapportError::InvalidInput {
            field: field.to_owned(),
            detail: message.into(),
        }
    }
}

/// The one mapping from the device library's errors to what an app can do about them.
impl From<api::Error> for RapportError {
    fn from(e: api::Error) -> Self {
        let detail = e.to_string();
        match e {
            api::Error::Offline(_) => RapportError::Offline { detail },
            api::Error::NotSignedIn | api::Error::SignedOut(_) => {
                RapportError::SignedOut { detail }
            }
            api::Error::Server { status: 401, .. } => RapportError::SignedOut { detail },
            // A failing or overloaded server: the same to the rep as no network.
            api::Error::Server { status, .. } if status >= 500 || status == 429 => {
                RapportError::Offline { detail }
            }
            api::Error::Server { message, code, .. } => RapportError::Rejected {
                record_id: None,
                code,
                reason: message,
            },
            api::Error::Protocol(what) => RapportError::Rejected {
                record_id: None,
                code: PROTOCOL_CODE.to_owned(),
                reason: format!("the server speaks another version of Rapport: {what}"),
            },
            api::Error::Invalid(i) => RapportError::invalid(i.field, i.message),
            api::Error::NotFound { .. } => RapportError::invalid("id", detail),
            api::Error::OtherUsersData { .. } => RapportError::invalid("username", detail),
            api::Error::Store(StoreError::Sqlite(_) | StoreError::TooNew(_))
            | api::Error::Store(StoreError::Corrupt { .. })
            | api::Error::Model(_) => RapportError::Storage { detail },
        }
    }
}

/// The code of a refusal that is not the server's: its answers could not be read (an app
/// or a server too old for the other).
pub const PROTOCOL_CODE: &str = "unsupported_version";

pub type Result<T, E = RapportError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Invalid;

    #[track_caller]
    fn check(internal: api::Error, expect: RapportError) {
        assert_eq!(RapportError::from(internal), expect);
    }

    #[test]
    fn internal_errors_map_to_what_an_app_can_do() {
        check(
            api::Error::Offline("connection refused".into()),
            RapportError::Offline {
                detail: "the server cannot be reached: connection refused".into(),
            },
        );
        check(
            api::Error::NotSignedIn,
            RapportError::SignedOut {
                detail: "not signed in: run login first".into(),
            },
        );
        check(
            api::Error::Server {
                status: 403,
                code: "forbidden".into(),
                message: "managers only".into(),
            },
            RapportError::Rejected {
                record_id: None,
                code: "forbidden".into(),
                reason: "managers only".into(),
            },
        );
        check(
            api::Error::Protocol("version 9".into()),
            RapportError::Rejected {
                record_id: None,
                code: PROTOCOL_CODE.into(),
                reason: "the server speaks another version of Rapport: version 9".into(),
            },
        );
        assert!(matches!(
            RapportError::from(api::Error::Server {
                status: 503,
                code: "unavailable".into(),
                message: "later".into(),
            }),
            RapportError::Offline { .. }
        ));
        check(
            api::Error::Invalid(Invalid::new("purpose", "must not be empty")),
            RapportError::InvalidInput {
                field: "purpose".into(),
                detail: "must not be empty".into(),
            },
        );
        assert!(matches!(
            RapportError::from(api::Error::Store(StoreError::TooNew(99))),
            RapportError::Storage { .. }
        ));
    }
}
