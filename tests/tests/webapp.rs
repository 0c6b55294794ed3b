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
