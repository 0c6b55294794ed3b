//! The reps' web app, served at `/app/`: the files `scripts/build-app` writes to
//! `app/dist/` (the page, its worker, client-core compiled to WebAssembly with its glue,
//! the service worker and the web app manifest), embedded in the server binary when it is
//! compiled. Running the server therefore needs no wasm toolchain and no file beside it:
//! the built app is part of the repository, and rebuilt with `scripts/build-app`.
//!
//! Every answer names its type, carries an `ETag` (the file's SHA-256) so that the
//! browser and the app's service worker revalidate cheaply, and is fenced by a content
//! security policy that lets the page load only what comes from this server: scripts,
//! the WebAssembly module, workers and requests to the API.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::app::AppState;
use crate::error::ApiError;

#[derive(rust_embed::Embed)]
#[folder = "../app/dist/"]
struct Dist;

/// What the app's pages may load: only this server's own files and API. WebAssembly
/// needs `wasm-unsafe-eval` to be compiled; nothing is evaluated from strings otherwise.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; \
    img-src 'self' data:; style-src 'self'; manifest-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app", get(|| async { Redirect::permanent("/app/") }))
        .route(
            "/app/",
            get(|headers: HeaderMap| async move { file("index.html", &headers) }),
        )
        .route(
            "/app/{*path}",
            get(
                |Path(path): Path<String>, headers: HeaderMap| async move { file(&path, &headers) },
            ),
        )
}

/// The type of a file of the app, by its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// One file of the app, or 404 in the API's JSON shape. A path without an extension is
/// a screen of the app, answered with its page.
fn file(path: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    let path = if path.is_empty() || !path.rsplit('/').next().is_some_and(|f| f.contains('.')) {
        "index.html"
    } else {
        path
    };
    let Some(found) = Dist::get(path) else {
        return Err(ApiError::NotFound("no such file in the app".into()));
    };
    let etag = format!(
        "\"{}\"",
        found
            .metadata
            .sha256_hash()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, content_type(path))],
            found.data.into_owned(),
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // Always revalidated (cheaply, by the ETag): a new server version serves a new app at
    // once, and the service worker keeps the copy that works offline.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if path == "sw.js" {
        // The service worker controls the whole app, and only the app. Its `no-cache`
        // (above) is what updates the installed app: the browser revalidates sw.js after
        // each navigation, and a new build's sw.js carries a new version (see app/web/sw.js).
        h.insert("service-worker-allowed", HeaderValue::from_static("/app/"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_extensions() {
        assert_eq!(content_type("rapport_web_bg.wasm"), "application/wasm");
        assert_eq!(
            content_type("a/b/worker.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("manifest.webmanifest"),
            "application/manifest+json"
        );
        assert_eq!(content_type("noextension"), "application/octet-stream");
    }

    #[test]
    fn the_app_page_is_embedded() {
        let page = Dist::get("index.html").expect("app/dist/index.html is built");
        assert!(page.data.starts_with(b"<!doctype html>"));
    }

    /// The service worker's precache list names every embedded file (but itself and the
    /// service worker) with the very bytes embedded, and sw.js carries its version: the
    /// app installed from this server is the app it serves.
    #[test]
    fn the_precache_list_is_the_embedded_build() {
        use sha2::{Digest, Sha256};
        let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let list = Dist::get("precache.json").expect("app/dist/precache.json is built");
        let files: serde_json::Value = serde_json::from_slice(&list.data).expect("JSON");
        let files = files["files"].as_object().expect("files");
        let mut embedded: Vec<String> = Dist::iter()
            .filter(|f| f != "sw.js" && f != "precache.json")
            .map(|f| f.into_owned())
            .collect();
        embedded.sort();
        let listed: Vec<String> = files.keys().cloned().collect();
        assert_eq!(listed, embedded);
        for (path, hash) in files {
            let file = Dist::get(path).expect("embedded");
            assert_eq!(
                Some(hex(&file.metadata.sha256_hash()).as_str()),
                hash.as_str(),
                "{path}"
            );
        }
        let version = &hex(&Sha256::digest(&list.data))[..16];
        let sw = Dist::get("sw.js").expect("app/dist/sw.js is built");
        let sw = String::from_utf8_lossy(&sw.data);
        assert!(
            sw.contains(&format!("const VERSION = \"{version}\";")),
            "app/dist/sw.js is not the build's: run scripts/build-app"
        );
        let worker = Dist::get("worker.js").expect("app/dist/worker.js is built");
        assert!(String::from_utf8_lossy(&worker.data).contains("from \"./rapport_web.js\""));
    }
}
