//! A proxy between devices and the server that breaks requests on purpose, one HTTP
//! request per connection: it cuts a request part-way (the server never sees it whole),
//! cuts a response part-way (the server did the work, the device never learns it), and
//! keeps every sync request that reached the server whole, to deliver it again later —
//! duplicated and out of order.
//!
//! Faults come from a script (`push_fault`) or, when the script is empty, from a seeded
//! random source (`set_random`), so a failing run can be replayed from its seed.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Delivered both ways.
    Pass,
    /// Only this fraction (0 ≤ f < 1) of the request's bytes reach the server; then both
    /// connections close.
    CutRequest(f64),
    /// The request reaches the server whole; only this fraction (0 ≤ f < 1) of the
    /// response's bytes reach the device.
    CutResponse(f64),
}

/// Counts of what the proxy did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FaultStats {
    pub passed: usize,
    pub cut_requests: usize,
    pub cut_responses: usize,
    pub replayed: usize,
    /// Token refreshes among the requests (whatever befell them).
    pub refreshes: usize,
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Fault>>,
    /// (seed-driven source, probability that a request is broken)
    random: Mutex<Option<(ChaCha8Rng, f64)>>,
    /// Every `POST /v1/sync` request that reached the server whole, as raw HTTP.
    recorded: Mutex<Vec<Vec<u8>>>,
    passed: AtomicUsize,
    cut_requests: AtomicUsize,
    cut_responses: AtomicUsize,
    replayed: AtomicUsize,
    refreshes: AtomicUsize,
}

impl Shared {
    fn next_fault(&self) -> Fault {
        if let Some(f) = self.script.lock().expect("script").pop_front() {
            return f;
        }
        let mut random = self.random.lock().expect("random");
        let Some((rng, rate)) = random.as_mut() else {
            return Fault::Pass;
        };
        if !rng.gen_bool(*rate) {
            return Fault::Pass;
        }
        let at = rng.gen_range(0.0..1.0);
        if rng.gen_bool(0.5) {
            Fault::CutRequest(at)
        } else {
            Fault::CutResponse(at)
        }
    }
}

pub struct FaultProxy {
    pub url: String,
    upstream: String,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// A proxy in front of `upstream` (`http://host:port`), passing everything until told
    /// otherwise.
    pub fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let shared = Arc::new(Shared::default());
        let (up, sh) = (upstream.clone(), shared.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (up, sh) = (up.clone(), sh.clone());
                std::thread::spawn(move || handle(client, &up, &sh));
            }
        });
        FaultProxy {
            url: format!("http://{addr}"),
            upstream,
            shared,
        }
    }

    /// Breaks each later request with probability `rate`, half of them cut on the way in,
    /// half on the way out, at a uniformly random byte; `rate` 0 stops breaking.
    pub fn set_random(&self, seed: u64, rate: f64) {
        *self.shared.random.lock().expect("random") =
            (rate > 0.0).then(|| (ChaCha8Rng::seed_from_u64(seed), rate));
    }

    /// The fault for the next request (before any random one).
    pub fn push_fault(&self, fault: Fault) {
        self.shared.script.lock().expect("script").push_back(fault);
    }

    /// How many sync requests reached the server whole so far.
    pub fn recorded(&self) -> usize {
        self.shared.recorded.lock().expect("recorded").len()
    }

    /// Delivers recorded sync request `index` to the server again, straight (no fault),
    /// and returns the HTTP status it got.
    pub fn replay(&self, index: usize) -> u16 {
        let request = self.shared.recorded.lock().expect("recorded")[index].clone();
        self.shared.replayed.fetch_add(1, Ordering::SeqCst);
        let mut server = TcpStream::connect(&self.upstream).expect("connect upstream");
        server.write_all(&request).expect("replay request");
        let mut response = Vec::new();
        let _ = server.read_to_end(&mut response);
        status_of(&response).unwrap_or(0)
    }

    pub fn stats(&self) -> FaultStats {
        FaultStats {
            passed: self.shared.passed.load(Ordering::SeqCst),
            cut_requests: self.shared.cut_requests.load(Ordering::SeqCst),
            cut_responses: self.shared.cut_responses.load(Ordering::SeqCst),
            replayed: self.shared.replayed.load(Ordering::SeqCst),
            refreshes: self.shared.refreshes.load(Ordering::SeqCst),
        }
    }
}

/// The status code of a raw HTTP response.
fn status_of(response: &[u8]) -> Option<u16> {
    let line = response.split(|b| *b == b'\n').next()?;
    std::str::from_utf8(line)
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

/// Reads one whole HTTP request (headers, then a Content-Length body) from the device.
fn read_request(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(with_connection_close(&buf))
}

/// The same HTTP message with `Connection: close`, so each connection carries one request
/// and the end of the response is the end of the stream.
fn with_connection_close(message: &[u8]) -> Vec<u8> {
    let Some(head_end) = message.windows(4).position(|w| w == b"\r\n\r\n") else {
        return message.to_vec();
    };
    let head = String::from_utf8_lossy(&message[..head_end]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&message[head_end + 4..]);
    bytes
}

fn cut_at(len: usize, fraction: f64) -> usize {
    // Truncation is the point: a byte offset strictly inside the message.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let at = (len as f64 * fraction.clamp(0.0, 1.0)) as usize;
    at.min(len.saturating_sub(1))
}

fn handle(mut client: TcpStream, upstream: &str, shared: &Shared) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(60)));
    let Some(request) = read_request(&mut client) else {
        return;
    };
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    if request.starts_with(b"POST /v1/auth/refresh ") {
        shared.refreshes.fetch_add(1, Ordering::SeqCst);
    }
    let fault = shared.next_fault();
    if let Fault::CutRequest(f) = fault {
        shared.cut_requests.fetch_add(1, Ordering::SeqCst);
        let _ = server.write_all(&request[..cut_at(request.len(), f)]);
        let _ = server.shutdown(Shutdown::Both);
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    if server.write_all(&request).is_err() {
        return;
    }
    if request.starts_with(b"POST /v1/sync ") {
        shared
            .recorded
            .lock()
            .expect("recorded")
            .push(request.clone());
    }
    let mut response = Vec::new();
    let _ = server.read_to_end(&mut response);
    let response = with_connection_close(&response);
    match fault {
        Fault::CutResponse(f) => {
            shared.cut_responses.fetch_add(1, Ordering::SeqCst);
            let _ = client.write_all(&response[..cut_at(response.len(), f)]);
        }
        _ => {
            shared.passed.fetch_add(1, Ordering::SeqCst);
            let _ = client.write_all(&response);
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}
