//! The dashboard's pages: the team overview ([`overview`]), a rep's scorecard ([`rep`]),
//! an account ([`account`]).
//!
//! Every figure comes from the functions the JSON reports use (`reports`, `scorecard`),
//! so a page and its `/v1/reports/...` twin always agree. Each page is three steps:
//! **load** (its queries, side by side where they do not depend on each other) → a
//! **view model** (a plain struct: no database, no HTML) → **render** (small maud
//! components taking the view model). The handler is a thin shell around them; errors
//! become pages in one place ([`super::error_response`]).
//!
//! Shared pieces: [`format`] (dates, money, percentages, links, list heads), [`names`]
//! (names by id), and per kind of record [`describe`] (the line a scorecard's drill-down
//! shows) and [`timeline`] (an account's timeline entry).

mod account;
mod describe;
mod format;
mod names;
mod overview;
mod rep;
mod timeline;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use maud::Markup;

pub use account::account;
pub use overview::overview;
pub use rep::scorecard;

use super::session::Viewer;
use super::{error_response, respond};
use crate::error::{ApiError, ApiResult};

/// A page's query parameters; a malformed query is a 400 page.
fn query<T>(q: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    q.map(|q| q.0)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

/// A page's path parameter; one that does not parse is a page that does not exist.
fn path(p: Result<Path<String>, PathRejection>) -> ApiResult<String> {
    p.map(|p| p.0)
        .map_err(|_| ApiError::NotFound("no such page".into()))
}

/// Renders a page, or the page of its error.
fn finish(viewer: &Viewer, result: ApiResult<Markup>) -> Response {
    match result {
        Ok(markup) => respond(&viewer.prefs, StatusCode::OK, markup),
        Err(e) => error_response(&viewer.prefs, Some(viewer), e),
    }
}

/// Years the pages accept: those the reports cover (records are dated 2000–2099), so a
/// mistyped year gets a clear answer before anything is read.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

fn plausible(day: NaiveDate) -> ApiResult<()> {
    if YEARS.contains(&day.year()) {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(format!(
            "choose a period between {} and {}",
            YEARS.start(),
            YEARS.end()
        )))
    }
}
