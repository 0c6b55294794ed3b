//! The real server process, HTTP calls to it, and a proxy that counts the bytes on the
//! wire.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rapport_client_core::protocol::{self, SyncRequest, SyncResponse};
use serde_json::Value;

pub const OPERATOR_TOKEN: &str = "bench-operator-token";
pub const PASSWORD: &str = "bench password 7";

/// A running `rapport-server`.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    /// Starts the server on port 0 with `database_url` and waits until it is healthy.
    pub fn start(bin: &Path, database_url: &str) -> Result<Server> {
        Server::start_with(bin, database_url, &[])
    }

    /// [`Server::start`] with extra command-line flags.
    pub fn start_with(bin: &Path, database_url: &str, extra: &[&str]) -> Result<Server> {
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--database-url", database_url])
            .args(["--operator-token", OPERATOR_TOKEN])
            // Seeding a year takes longer than the default token lifetime.
            .args(["--access-token-ttl", "86400"])
            .args(extra)
            .env("RAPPORT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("Rapport listening on ") {
                        break url.trim().to_owned();
                    }
                }
                _ => bail!("rapport-server exited before listening"),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let deadline = Instant::now() + Duration::from_secs(60);
        let agent = agent();
        loop {
            if agent
                .get(format!("{url}/healthz"))
                .call()
                .is_ok_and(|r| r.status() == 200)
            {
                break;
            }
            if Instant::now() > deadline {
                bail!("server at {url} never became healthy");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Server { child, url })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory of the server process so far, in bytes.
    pub fn peak_rss(&self) -> Result<u64> {
        peak_rss_of(&format!("/proc/{}/status", self.pid()))
    }

    /// Stops the server with SIGTERM (it finishes what it is doing and closes the
    /// database cleanly) and waits for it.
    pub fn stop(mut self) -> Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .context("kill -TERM")?;
        if !status.success() {
            bail!("could not signal the server");
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `VmHWM` (peak resident set) from a `/proc/<pid>/status` file, in bytes.
pub fn peak_rss_of(status_file: &str) -> Result<u64> {
    let status = std::fs::read_to_string(status_file).with_context(|| status_file.to_owned())?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .context("no VmHWM line")?;
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .context("VmHWM value")?
        .parse()
        .context("VmHWM number")?;
    Ok(kb * 1024)
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into()
}

fn read(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<(u16, Vec<u8>)> {
    let mut resp = resp.context("HTTP request")?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(512 * 1024 * 1024)
        .read_to_vec()
        .context("reading the body")?;
    Ok((status, body))
}

/// A JSON call that must answer `expect`; returns the JSON body (null when empty).
pub fn json(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
    expect: u16,
) -> Result<Value> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let (status, bytes) = match method {
        "GET" => {
            let mut r = agent.get(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            read(r.call())?
        }
        "POST" | "PUT" | "PATCH" => {
            let mut r = match method {
                "POST" => agent.post(url),
                "PUT" => agent.put(url),
                _ => agent.patch(url),
            };
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            match body {
                Some(b) => read(r.send_json(b))?,
                None => read(r.send_empty())?,
            }
        }
        other => bail!("method {other}"),
    };
    if status != expect {
        bail!(
            "{method} {url} answered {status}: {}",
            String::from_utf8_lossy(&bytes)
                .chars()
                .take(300)
                .collect::<String>()
        );
    }
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).with_context(|| format!("{method} {url}: not JSON"))
}

/// Signs in over HTTP as a device does; returns the session.
pub fn login(
    agent: &ureq::Agent,
    url: &str,
    company: &str,
    user: &str,
) -> Result<protocol::Session> {
    let v = json(
        agent,
        "POST",
        &format!("{url}/v1/auth/login"),
        None,
        Some(&serde_json::json!({"company": company, "username": user, "password": PASSWORD})),
        200,
    )?;
    serde_json::from_value(v).context("session")
}

/// One sync round trip; returns the response and the body sizes (request, response).
pub fn sync(
    agent: &ureq::Agent,
    url: &str,
    token: &str,
    request: &SyncRequest,
) -> Result<(SyncResponse, usize, usize)> {
    let body = postcard::to_stdvec(request).context("encoding")?;
    let (status, bytes) = read(
        agent
            .post(format!("{url}/v1/sync"))
            .header("Authorization", format!("Bearer {token}"))
            .content_type(protocol::SYNC_CONTENT_TYPE)
            .send(&body[..]),
    )?;
    if status != 200 {
        bail!(
            "sync answered {status}: {}",
            String::from_utf8_lossy(&bytes)
                .chars()
                .take(300)
                .collect::<String>()
        );
    }
    let resp = postcard::from_bytes(&bytes).context("decoding the sync response")?;
    Ok((resp, body.len(), bytes.len()))
}

/// A TCP proxy that counts bytes each way (headers and bodies: what is on the wire).
pub struct CountingProxy {
    pub url: String,
    pub up: Arc<AtomicU64>,
    pub down: Arc<AtomicU64>,
}

impl CountingProxy {
    pub fn start(upstream: &str) -> Result<CountingProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let up = Arc::new(AtomicU64::new(0));
        let down = Arc::new(AtomicU64::new(0));
        let (u, d) = (up.clone(), down.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                let u = u.clone();
                let d = d.clone();
                std::thread::spawn(move || pipe(client, server, &u));
                std::thread::spawn(move || pipe(s2, c2, &d));
            }
        });
        Ok(CountingProxy {
            url: format!("http://{addr}"),
            up,
            down,
        })
    }

    /// Bytes (up, down) since the last call.
    pub fn take(&self) -> (u64, u64) {
        (
            self.up.swap(0, Ordering::SeqCst),
            self.down.swap(0, Ordering::SeqCst),
        )
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream, count: &AtomicU64) {
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        count.fetch_add(n as u64, Ordering::SeqCst);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// The `rapport-server` binary beside this one (same profile), or `--server-bin`.
pub fn default_server_bin() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("bench binary directory")?;
    let bin = dir.join(format!("rapport-server{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        bail!(
            "{} is missing: build it (cargo build -p rapport-server, with --release for measured runs)",
            bin.display()
        );
    }
    Ok(bin)
}
