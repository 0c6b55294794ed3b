//! The one error the apps see, and the one place internal errors map to it.
//!
//! Each variant is something an app can act on: retry later, sign in again, show the
//! server's refusal, point at a field, or tell the user the device's storage is in trouble.
//! The rich internal [`api::Error`] stays inside the crate.

use crate::api;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
pub enum RapportError {
    /// The server cannot be reached (or is failing): keep working offline, retry later.
    #[error("offline: {message}")]
    Offline { message: String },
    /// Not signed in, or the server ended the session (password changed, user
    /// deactivated): show the sign-in screen.
    #[error("signed out: {message}")]
    SignedOut { message: String },
    /// The server refused something: a record (`record_id`) or a request. Show `reason`
    /// to the user; a rejected record stays rejected until it is edited again.
    #[error("rejected: {reason}")]
    Rejected {
        record_id: Option<String>,
        reason: String,
    },
    /// An argument or a record field is not acceptable: point at `field`.
    #[error("invalid {field}: {message}")]
    InvalidInput { field: String, message: String },
    /// The device store is full, corrupt or from a newer app version.
    #[error("storage: {message}")]
    Storage { message: String },
}

impl RapportError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> RapportError {
        RapportError::InvalidInput {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// The one mapping from the device library's errors to what an app can do about them.
impl From<api::Error> for RapportError {
    fn from(e: api::Error) -> Self {
        let message = e.to_string();
        match e {
            api::Error::Offline(_) => RapportError::Offline { message },
            api::Error::NotSignedIn | api::Error::SignedOut(_) => {
                RapportError::SignedOut { message }
            }
            api::Error::Server { status: 401, .. } => RapportError::SignedOut { message },
            // A failing or overloaded server: the same to the rep as no network.
            api::Error::Server { status, .. } if status >= 500 || status == 429 => {
                RapportError::Offline { message }
            }
            api::Error::Server { message, code, .. } => RapportError::Rejected {
                record_id: None,
                reason: format!("{code}: {message}"),
            },
            api::Error::Protocol(detail) => RapportError::Rejected {
                record_id: None,
                reason: format!("the server speaks another version of Rapport: {detail}"),
            },
            api::Error::Invalid(i) => RapportError::invalid(i.field, i.message),
            api::Error::NotFound { .. } => RapportError::invalid("id", message),
            api::Error::OtherUsersData { .. } => RapportError::invalid("username", message),
            api::Error::Store(StoreError::Sqlite(_) | StoreError::TooNew(_))
            | api::Error::Store(StoreError::Corrupt { .. })
            | api::Error::Model(_) => RapportError::Storage { message },
        }
    }
}

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
                message: "the server cannot be reached: connection refused".into(),
            },
        );
        check(
            api::Error::NotSignedIn,
            RapportError::SignedOut {
                message: "not signed in: run login first".into(),
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
                reason: "forbidden: managers only".into(),
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
                message: "must not be empty".into(),
            },
        );
        assert!(matches!(
            RapportError::from(api::Error::Store(StoreError::TooNew(99))),
            RapportError::Storage { .. }
        ));
    }
}
