//! The reps' web app as the server serves it at `/app/`: the files built into `app/dist`
//! and embedded in the binary, each with its type, an `ETag` that revalidates, and a
//! content security policy that keeps the app to this server's own files and API.

use std::path::Path;

use rapport_tests::TestServer;

/// A GET without following redirects; status, headers and body.
fn get(url: &str, headers: &[(&str, &str)]) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.call().expect("HTTP request");
    let status = resp.status().as_u16();
    let head = resp.headers().clone();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .expect("body");
    (status, head, body)
}

fn header<'a>(h: &'a ureq::http::HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header in {h:?}"))
}

fn dist(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../app/dist")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_app_is_served_from_the_binary_with_its_types_and_policy() {
    let server = TestServer::start();
    let url = &server.url;

    let (status, h, _) = get(&format!("{url}/app"), &[]);
    assert_eq!(status, 308);
    assert_eq!(header(&h, "location"), "/app/");

    let (status, h, page) = get(&format!("{url}/app/"), &[]);
    assert_eq!(status, 200);
    assert_eq!(page, dist("index.html"));
    assert_eq!(header(&h, "content-type"), "text/html; charset=utf-8");
    let csp = header(&h, "content-security-policy");
    for part in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert_eq!(header(&h, "cache-control"), "no-cache");

    // The ETag revalidates: the same file is not sent again.
    let etag = header(&h, "etag").to_owned();
    let (status, _, body) = get(&format!("{url}/app/"), &[("If-None-Match", &etag)]);
    assert_eq!((status, body.len()), (304, 0));
    let (status, _, _) = get(&format!("{url}/app/"), &[("If-None-Match", "\"other\"")]);
    assert_eq!(status, 200);

    // The core compiled to WebAssembly, byte for byte, typed so browsers stream-compile it.
    let (status, h, wasm) = get(&format!("{url}/app/rapport_web_bg.wasm"), &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "application/wasm");
    assert_eq!(wasm, dist("rapport_web_bg.wasm"));
    assert!(wasm.starts_with(b"\0asm"));
    let (status, h, _) = get(&format!("{url}/app/worker.js"), &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "text/javascript; charset=utf-8");

    // A screen of the app (no extension) is its page; a missing file is a JSON 404, and
    // nothing outside app/dist can be reached.
    let (status, _, body) = get(&format!("{url}/app/accounts/today"), &[]);
    assert_eq!((status, body), (200, dist("index.html")));
    for missing in [
        "/app/nothing.js",
        "/app/%2e%2e/Cargo.toml",
        "/app/..%2fCargo.toml",
        "/app/%2e%2e%2f%2e%2e%2fetc%2fpasswd.txt",
    ] {
        let (status, h, body) = get(&format!("{url}{missing}"), &[]);
        assert_eq!(status, 404, "{missing}");
        assert!(
            header(&h, "content-type").starts_with("application/json"),
            "{missing}"
        );
        assert!(
            String::from_utf8_lossy(&body).contains("not_found"),
            "{missing}"
        );
    }
}

/// What makes the app installable and able to start offline: the web app manifest (its
/// type, its fields, its icons), the service worker (its type, its scope, always
/// revalidated) and its precache list, every file of which is served as listed.
#[test]
fn the_manifest_and_service_worker_are_served_for_an_installable_app() {
    use sha2::{Digest, Sha256};
    let server = TestServer::start();
    let url = &server.url;
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();

    let (status, h, body) = get(&format!("{url}/app/manifest.webmanifest"), &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "application/manifest+json");
    let manifest: serde_json::Value = serde_json::from_slice(&body).expect("manifest JSON");
    assert_eq!(manifest["name"], "Rapport");
    assert_eq!(manifest["start_url"], "/app/");
    assert_eq!(manifest["scope"], "/app/");
    assert_eq!(manifest["display"], "standalone");
    let icons = manifest["icons"].as_array().expect("icons");
    for (size, purpose) in [
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    ] {
        assert!(
            icons
                .iter()
                .any(|i| i["sizes"] == size && i["purpose"] == purpose && i["type"] == "image/png"),
            "no {size} {purpose} PNG icon in {icons:?}"
        );
    }
    for icon in icons {
        let src = icon["src"].as_str().expect("src");
        let (status, h, body) = get(&format!("{url}/app/{src}"), &[]);
        assert_eq!(status, 200, "{src}");
        assert_eq!(
            header(&h, "content-type"),
            icon["type"].as_str().expect("type")
        );
        if icon["type"] == "image/png" {
            assert!(body.starts_with(b"\x89PNG\r\n\x1a\n"), "{src}");
            // The IHDR chunk: width and height, big-endian, at bytes 16..24.
            let (w, hgt) = (
                u32::from_be_bytes(body[16..20].try_into().expect("width")),
                u32::from_be_bytes(body[20..24].try_into().expect("height")),
            );
            assert_eq!(
                format!("{w}x{hgt}"),
                icon["sizes"].as_str().expect("sizes"),
                "{src}"
            );
        }
    }
    let (status, h, _) = get(&format!("{url}/app/icons/apple-touch-icon.png"), &[]);
    assert_eq!((status, header(&h, "content-type")), (200, "image/png"));

    let (status, h, sw) = get(&format!("{url}/app/sw.js"), &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header(&h, "service-worker-allowed"), "/app/");
    assert_eq!(header(&h, "cache-control"), "no-cache");
    let csp = header(&h, "content-security-policy");
    for part in [
        "worker-src 'self'",
        "manifest-src 'self'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert_eq!(sw, dist("sw.js"));

    // The precache list: the service worker's version is the start of its SHA-256, and
    // every file it names is served with the listed SHA-256.
    let (status, h, list) = get(&format!("{url}/app/precache.json"), &[]);
    assert_eq!(
        (status, header(&h, "content-type")),
        (200, "application/json")
    );
    let version = &hex(&Sha256::digest(&list))[..16];
    assert!(
        String::from_utf8_lossy(&sw).contains(&format!("const VERSION = \"{version}\";")),
        "sw.js is not built from this precache list"
    );
    let list: serde_json::Value = serde_json::from_slice(&list).expect("precache JSON");
    let files = list["files"].as_object().expect("files");
    for name in [
        "index.html",
        "worker.js",
        "rapport_web.js",
        "rapport_web_bg.wasm",
        "manifest.webmanifest",
        "owner.js",
        "pwa.js",
        "icons/icon-192.png",
    ] {
        assert!(files.contains_key(name), "{name} is not precached");
    }
    for (name, hash) in files {
        let (status, _, body) = get(&format!("{url}/app/{name}"), &[]);
        assert_eq!(status, 200, "{name}");
        assert_eq!(
            Some(hex(&Sha256::digest(&body)).as_str()),
            hash.as_str(),
            "{name}"
        );
    }
}
