//! The benchmark scenarios against one seeded company, and the two baselines.
//!
//! Every sync scenario drives the real server binary over real HTTP with the real
//! client-core (its `Client`, `Store` and `protocol`). Times of server requests are taken
//! around the HTTP round trip on loopback with a kept-alive connection, so they are an
//! upper bound of the server's own time.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use automerge::AutoCommit;
use automerge::sync::{self as am_sync, SyncDoc};
use rapport_client_core::model::{self, Favour, FavourKind, InfoKind, InfoReport, LocalTime};
use rapport_client_core::protocol::{self, Outcome, SyncRequest};
use rapport_client_core::store::Store;
use rapport_client_core::{Client, api};
use sea_orm::{ConnectionTrait, Database, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::db::{self, Backend, RunDb};
use crate::net::{self, CountingProxy, PASSWORD, Server};
use crate::stats::{self, ms, summary};
use crate::workload::{self, Params};

/// How many times each scenario repeats.
#[derive(Debug, Clone)]
pub struct Repeats {
    pub new_device: usize,
    pub store_open: usize,
    pub timeline_records: usize,
    pub timeline: usize,
    pub incremental: usize,
    pub wire: usize,
    pub reports: usize,
    pub storm_changes: usize,
    /// Storms run one after the other with the same devices (the figure is the median).
    pub storm_rounds: usize,
}

impl Repeats {
    pub fn full() -> Repeats {
        Repeats {
            new_device: 5,
            store_open: 30,
            timeline_records: 500,
            timeline: 100,
            incremental: 300,
            wire: 10,
            reports: 50,
            storm_changes: 20,
            storm_rounds: 3,
        }
    }

    pub fn smoke() -> Repeats {
        Repeats {
            new_device: 1,
            store_open: 2,
            timeline_records: 30,
            timeline: 2,
            incremental: 3,
            wire: 1,
            reports: 2,
            storm_changes: 2,
            storm_rounds: 1,
        }
    }
}

pub struct Ctx<'a> {
    pub server_bin: &'a Path,
    pub backend: &'a Backend,
    pub db: &'a RunDb,
    pub params: &'a Params,
    pub repeats: &'a Repeats,
    pub log: &'a dyn Fn(&str),
}

/// Runs every scenario on one company; returns its figures.
pub fn run(cx: &Ctx<'_>) -> Result<Value> {
    let mut out = serde_json::Map::new();
    out.insert("workload".into(), workload_figures(cx));
    let server = Server::start(cx.server_bin, &cx.db.url)?;
    // Reports first: the device scenarios below add hundreds of visits to one rep's day,
    // which would swell that rep's scorecard.
    (cx.log)("scenario: reports");
    out.insert("reports".into(), reports(cx, &server)?);
    (cx.log)("scenario: new device");
    let (initial, device_dir) = new_device(cx, &server)?;
    out.insert("new_device".into(), initial);
    // The baseline on exactly what the new device received, before the device scenarios
    // add records to its store.
    out.insert(
        "automerge_new_device".into(),
        automerge_new_device(device_dir.path())?,
    );
    (cx.log)("scenario: device");
    out.insert("device".into(), device_local(cx, device_dir.path())?);
    (cx.log)("scenario: incremental sync");
    out.insert(
        "incremental_sync".into(),
        incremental(cx, &server, device_dir.path())?,
    );
    server.stop()?;
    (cx.log)("scenario: reconnect storm");
    out.insert("reconnect_storm".into(), storm(cx)?);
    Ok(Value::Object(out))
}

fn workload_figures(cx: &Ctx<'_>) -> Value {
    let m = &cx.db.manifest;
    json!({
        "key": m.key,
        "days": cx.params.days,
        "teams": cx.params.teams,
        "reps": cx.params.reps(),
        "accounts": cx.params.accounts(),
        "documents": m.documents,
        "per_kind": m.counts,
        "change_bytes": m.change_bytes,
        "seed_pushes": m.pushes,
        "seed_setup_seconds": stats::round(m.setup_seconds),
        "seed_history_seconds": stats::round(m.history_seconds),
        "seeded_this_run": cx.db.seeded_now,
    })
}

/// The rep whose device the device scenarios use, and their first account.
fn subject(cx: &Ctx<'_>) -> Result<(String, String)> {
    let account = cx
        .params
        .rep_accounts(0)
        .first()
        .map(|a| cx.db.manifest.account_ids[*a].clone())
        .context("rep 0 serves no account")?;
    Ok((cx.params.rep_name(0), account))
}

/// A new device signs in and syncs a rep's accounts, in a child process (for its peak
/// memory), through a proxy that counts the bytes.
fn new_device(cx: &Ctx<'_>, server: &Server) -> Result<(Value, tempfile::TempDir)> {
    let (rep, _) = subject(cx)?;
    let proxy = CountingProxy::start(&server.url)?;
    let exe = std::env::current_exe()?;
    let mut runs = Vec::new();
    let mut last_dir = None;
    for _ in 0..cx.repeats.new_device {
        let dir = tempfile::tempdir()?;
        proxy.take();
        let output = Command::new(&exe)
            .arg("device-sync")
            .arg("--dir")
            .arg(dir.path())
            .args([
                "--url",
                &proxy.url,
                "--company",
                &cx.db.manifest.slug,
                "--user",
                &rep,
            ])
            .output()
            .context("running the device child")?;
        if !output.status.success() {
            bail!(
                "device-sync failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let (up, down) = proxy.take();
        let mut v: Value = serde_json::from_slice(&output.stdout).context("device-sync output")?;
        v["wire_bytes_up"] = json!(up);
        v["wire_bytes_down"] = json!(down);
        runs.push(v);
        last_dir = Some(dir);
    }
    let pick = |k: &str| -> Vec<f64> { runs.iter().filter_map(|r| r[k].as_f64()).collect() };
    let figures = json!({
        "rep": rep,
        "repetitions": runs.len(),
        "sync_ms": summary(&pick("sync_ms")),
        "login_ms": summary(&pick("login_ms")),
        "round_trips": stats::median(&pick("round_trips")),
        "documents": stats::median(&pick("documents")),
        "peak_rss_bytes": stats::median(&pick("peak_rss_bytes")),
        "wire_bytes_up": stats::median(&pick("wire_bytes_up")),
        "wire_bytes_down": stats::median(&pick("wire_bytes_down")),
        "runs": runs,
    });
    Ok((figures, last_dir.context("no new-device run")?))
}

/// The child side of [`new_device`]: prints its figures as JSON.
pub fn device_sync_child(dir: &Path, url: &str, company: &str, user: &str) -> Result<()> {
    let client = Client::open(dir)?;
    let t = Instant::now();
    client.login(url, company, user, PASSWORD)?;
    let login_ms = ms(t.elapsed());
    let t = Instant::now();
    let report = client.sync()?;
    let sync_ms = ms(t.elapsed());
    let documents = client.document_ids()?.len();
    let peak = net::peak_rss_of("/proc/self/status")?;
    println!(
        "{}",
        json!({
            "login_ms": login_ms,
            "sync_ms": sync_ms,
            "round_trips": report.round_trips,
            "received": report.received,
            "documents": documents,
            "peak_rss_bytes": peak,
        })
    );
    Ok(())
}

/// Device-side figures on the store the new device filled: opening it, logging visits,
/// and an account timeline of `timeline_records` records.
fn device_local(cx: &Ctx<'_>, dir: &Path) -> Result<Value> {
    let (_, account) = subject(cx)?;
    let mut open = Vec::new();
    for _ in 0..cx.repeats.store_open {
        let t = Instant::now();
        let c = Client::open(dir)?;
        // Opening is only done when the first query answers.
        let _ = c.status()?;
        open.push(ms(t.elapsed()));
    }
    let client = Client::open(dir)?;
    let documents = client.document_ids()?.len();
    let before = client.timeline(&account)?.len();
    let to_log = cx.repeats.timeline_records.saturating_sub(before).max(20);
    let mut log = Vec::new();
    for n in 0..to_log {
        let a = cx.params.rep_accounts(0)[0];
        let visit = workload::fresh_visit(cx.params, &cx.db.manifest.account_ids, a, n as u64);
        let t = Instant::now();
        client.create(&visit)?;
        log.push(ms(t.elapsed()));
    }
    let mut timeline = Vec::new();
    let mut records = 0;
    for _ in 0..cx.repeats.timeline {
        let t = Instant::now();
        records = client.timeline(&account)?.len();
        timeline.push(ms(t.elapsed()));
    }
    // Acknowledge what was logged, so the incremental scenario starts clean.
    client.sync()?;
    Ok(json!({
        "store_documents": documents,
        "store_bytes": std::fs::metadata(dir.join(api::STORE_FILE))?.len(),
        "open_store_ms": summary(&open),
        "log_visit_ms": summary(&log),
        "timeline_records": records,
        "timeline_ms": summary(&timeline),
    }))
}

/// A rep logs one visit and syncs: one round trip pushes it and pulls nothing. The
/// device's own store prepares the request and applies the answer; the time is the HTTP
/// round trip.
fn incremental(cx: &Ctx<'_>, server: &Server, dir: &Path) -> Result<Value> {
    let client = Client::open(dir)?;
    let mut store = Store::open(&dir.join(api::STORE_FILE))?;
    let token = client.session()?.context("signed in")?.session.access_token;
    let a = cx.params.rep_accounts(0)[0];
    let direct = net::agent();
    let proxy = CountingProxy::start(&server.url)?;
    let via_proxy = net::agent();
    let mut times = Vec::new();
    let mut change_bytes = Vec::new();
    let mut body_up = Vec::new();
    let mut body_down = Vec::new();
    let mut wire_up = Vec::new();
    let mut wire_down = Vec::new();
    let mut floor_batches = Vec::new();
    let mut last_changes = Vec::new();
    let total = cx.repeats.incremental + cx.repeats.wire;
    for n in 0..total {
        let visit = workload::fresh_visit(
            cx.params,
            &cx.db.manifest.account_ids,
            a,
            1_000_000 + n as u64,
        );
        client.create(&visit)?;
        let batch = store.pending_push(2 * 1024 * 1024)?;
        if batch.docs.len() != 1 {
            bail!("expected one document to push, found {}", batch.docs.len());
        }
        let changes: Vec<Vec<u8>> = batch.docs[0].changes.iter().map(|c| c.0.clone()).collect();
        let raw: usize = changes.iter().map(Vec::len).sum();
        let request = SyncRequest {
            version: protocol::PROTOCOL_VERSION,
            cursor: store.cursor()?,
            rules_version: store.rules()?.0,
            push: batch.docs.clone(),
        };
        let measured_wire = n >= cx.repeats.incremental;
        let (resp, up, down) = if measured_wire {
            // Warm the proxied connection first, so only this request is counted.
            if n == cx.repeats.incremental {
                let _ = via_proxy.get(format!("{}/healthz", proxy.url)).call();
            }
            proxy.take();
            let r = net::sync(&via_proxy, &proxy.url, &token, &request)?;
            let (wu, wd) = proxy.take();
            wire_up.push(wu as f64 - raw as f64);
            wire_down.push(wd as f64);
            r
        } else {
            let t = Instant::now();
            let r = net::sync(&direct, &server.url, &token, &request)?;
            times.push(ms(t.elapsed()));
            r
        };
        if !matches!(
            resp.results.first().map(|r| &r.outcome),
            Some(Outcome::Accepted)
        ) {
            bail!("the new visit was not accepted: {:?}", resp.results);
        }
        if !resp.docs.is_empty() {
            bail!("the incremental sync pulled {} documents", resp.docs.len());
        }
        store.apply_sync(&batch, &resp)?;
        change_bytes.push(raw as f64);
        body_up.push(up as f64 - raw as f64);
        body_down.push(down as f64);
        floor_batches.push(changes.clone());
        last_changes = changes;
    }
    if store.status()?.waiting != 0 {
        bail!("changes still waiting after the incremental syncs");
    }
    let floor = floor(
        cx.backend,
        &cx.db.url,
        &floor_batches[..cx.repeats.incremental],
    )?;
    let am = automerge_push(&last_changes)?;
    let p50 = stats::median(&times);
    let floor_p50 = stats::median(&floor);
    Ok(json!({
        "server_ms": summary(&times),
        "floor_ms": summary(&floor),
        "ratio_to_floor": stats::round(p50 / floor_p50),
        "change_bytes": stats::median(&change_bytes),
        "body_overhead_up": stats::median(&body_up),
        "body_overhead_down": stats::median(&body_down),
        "wire_overhead_up": stats::median(&wire_up),
        "wire_overhead_down": stats::median(&wire_down),
        "round_trips": 1,
        "automerge": am,
    }))
}

/// The floor: the same change bytes inserted with plain SQL, one transaction per batch,
/// in the same database (a table of its own). Milliseconds per batch.
fn floor(backend: &Backend, url: &str, batches: &[Vec<Vec<u8>>]) -> Result<Vec<f64>> {
    let blob = match backend {
        Backend::Sqlite => "BLOB",
        Backend::Postgres { .. } => "BYTEA",
    };
    db::runtime()?.block_on(async {
        let mut opts = sea_orm::ConnectOptions::new(url.to_owned());
        opts.max_connections(1).sqlx_logging(false);
        let conn = Database::connect(opts).await?;
        let backend = conn.get_database_backend();
        if matches!(backend, sea_orm::DbBackend::Sqlite) {
            // As the server runs SQLite: WAL, and a commit is on disk when it returns.
            conn.execute_unprepared("PRAGMA journal_mode = WAL").await?;
            conn.execute_unprepared("PRAGMA synchronous = FULL").await?;
        }
        conn.execute_unprepared(&format!(
            "CREATE TABLE IF NOT EXISTS bench_floor (doc_id TEXT NOT NULL, hash TEXT NOT NULL, \
             seq BIGINT NOT NULL, data {blob} NOT NULL, PRIMARY KEY (doc_id, hash))"
        ))
        .await?;
        let mut times = Vec::new();
        let mut seq = 0i64;
        for batch in batches {
            let t = Instant::now();
            let txn = conn.begin().await?;
            let doc = uuid::Uuid::new_v4().to_string();
            for change in batch {
                seq += 1;
                txn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    match backend {
                        sea_orm::DbBackend::Postgres => {
                            "INSERT INTO bench_floor (doc_id, hash, seq, data) VALUES ($1, $2, $3, $4)"
                        }
                        _ => "INSERT INTO bench_floor (doc_id, hash, seq, data) VALUES (?, ?, ?, ?)",
                    },
                    [
                        doc.clone().into(),
                        format!("h{seq}").into(),
                        seq.into(),
                        change.clone().into(),
                    ],
                ))
                .await?;
            }
            txn.commit().await?;
            times.push(ms(t.elapsed()));
        }
        conn.execute_unprepared("DROP TABLE bench_floor").await?;
        conn.close().await?;
        anyhow::Ok(times)
    })
}

/// Automerge's own sync protocol for a new document the device holds and the server does
/// not: messages (one round trip each) and their bytes until both sides are quiet.
fn automerge_push(changes: &[Vec<u8>]) -> Result<Value> {
    let mut device = AutoCommit::new();
    let parsed = changes
        .iter()
        .map(|c| model::parse_change(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!(e))?;
    device.apply_changes(parsed)?;
    let (messages, bytes) = am_exchange(&mut device, &mut AutoCommit::new())?;
    Ok(json!({"messages": messages, "bytes": bytes}))
}

/// Runs Automerge's sync protocol between two documents with fresh states until neither
/// has anything to say; returns (messages, bytes).
fn am_exchange(a: &mut AutoCommit, b: &mut AutoCommit) -> Result<(u64, u64)> {
    let mut sa = am_sync::State::new();
    let mut sb = am_sync::State::new();
    let mut sent = (0u64, 0u64);
    for _ in 0..100 {
        let a_spoke = am_send((a, &mut sa), (b, &mut sb), &mut sent)?;
        let b_spoke = am_send((b, &mut sb), (a, &mut sa), &mut sent)?;
        if !a_spoke && !b_spoke {
            return Ok(sent);
        }
    }
    bail!("Automerge sync did not settle")
}

/// Sends `from`'s next sync message, if it has one, to `to` through its encoding, and
/// counts it in `sent` (messages, bytes); returns whether there was one.
fn am_send(
    (from, from_state): (&mut AutoCommit, &mut am_sync::State),
    (to, to_state): (&mut AutoCommit, &mut am_sync::State),
    sent: &mut (u64, u64),
) -> Result<bool> {
    let Some(m) = from.sync().generate_sync_message(from_state) else {
        return Ok(false);
    };
    let encoded = m.encode();
    sent.0 += 1;
    sent.1 += encoded.len() as u64;
    let m = am_sync::Message::decode(&encoded)?;
    to.sync().receive_sync_message(to_state, m)?;
    Ok(true)
}

/// Automerge's sync protocol for the new device's documents: the server holds each, the
/// device none; a sync state per document.
fn automerge_new_device(dir: &Path) -> Result<Value> {
    let conn = rusqlite::Connection::open(dir.join(api::STORE_FILE))?;
    let mut stmt = conn.prepare("SELECT data FROM documents")?;
    let docs: Vec<Vec<u8>> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let (mut messages, mut bytes, mut max_rounds) = (0u64, 0u64, 0u64);
    for data in &docs {
        let mut server = AutoCommit::load(data)?;
        let (m, b) = am_exchange(&mut server, &mut AutoCommit::new())?;
        messages += m;
        bytes += b;
        max_rounds = max_rounds.max(m);
    }
    Ok(json!({
        "documents": docs.len(),
        "messages": messages,
        "bytes": bytes,
        "messages_per_document_max": max_rounds,
    }))
}

/// Weekly team report and a rep's monthly scorecard, as a manager asks for them.
fn reports(cx: &Ctx<'_>, server: &Server) -> Result<Value> {
    let agent = net::agent();
    let url = &server.url;
    let slug = &cx.db.manifest.slug;
    let manager = net::login(&agent, url, slug, &cx.params.manager_name(0))?.access_token;
    let team = &cx.db.manifest.team_ids[0];
    let rep = cx.params.rep_name(0);
    let (week, month) = workload::anchor_periods();
    let endpoints = [
        (
            "weekly_visits",
            format!("{url}/v1/reports/visits/weekly?team={team}&week={week}"),
        ),
        (
            "team_week",
            format!("{url}/v1/reports/team?team={team}&period={week}"),
        ),
        (
            "scorecard_month",
            format!("{url}/v1/reports/scorecard?rep={rep}&period={month}"),
        ),
        (
            "scorecard_week",
            format!("{url}/v1/reports/scorecard?rep={rep}&period={week}"),
        ),
    ];
    let mut out = serde_json::Map::new();
    for (name, endpoint) in endpoints {
        let mut times = Vec::new();
        let mut size = 0;
        // One warm-up, then the measured calls.
        net::json(&agent, "GET", &endpoint, Some(&manager), None, 200)?;
        for _ in 0..cx.repeats.reports {
            let t = Instant::now();
            let v = net::json(&agent, "GET", &endpoint, Some(&manager), None, 200)?;
            times.push(ms(t.elapsed()));
            size = v.to_string().len();
        }
        out.insert(
            name.into(),
            json!({"ms": summary(&times), "json_bytes": size}),
        );
    }
    out.insert("week".into(), json!(week));
    out.insert("month".into(), json!(month));
    Ok(Value::Object(out))
}

/// Every rep's phone comes back online at once, each with offline changes: the time until
/// every device has its changes acknowledged, and the server's peak memory. Devices were
/// in sync before going offline (their cursor is at the company's head).
fn storm(cx: &Ctx<'_>) -> Result<Value> {
    let server = Server::start(cx.server_bin, &cx.db.url)?;
    let head = company_head(&cx.db.url)?;
    let n = cx.params.reps();
    let per_device = cx.repeats.storm_changes;
    let mut devices: Vec<(tempfile::TempDir, Arc<Client>)> = Vec::new();
    // Sign-in is not part of the storm: phones keep their session.
    let t = Instant::now();
    for r in 0..n {
        let dir = tempfile::tempdir()?;
        let client = Client::open(dir.path())?;
        client.login(
            &server.url,
            &cx.db.manifest.slug,
            &cx.params.rep_name(r),
            PASSWORD,
        )?;
        set_cursor(&dir.path().join(api::STORE_FILE), head)?;
        let accounts = cx.params.rep_accounts(r);
        for k in 0..per_device {
            let a = accounts[k % accounts.len()];
            let seed = 2_000_000 + (r * 1000 + k) as u64;
            offline_record(cx, &client, a, k, seed)?;
        }
        devices.push((dir, Arc::new(client)));
    }
    let setup_s = t.elapsed().as_secs_f64();
    let rss_before = server.peak_rss()?;
    let mut rounds = Vec::new();
    let mut totals = Vec::new();
    let mut outboxes = Vec::new();
    for round in 0..cx.repeats.storm_rounds {
        if round > 0 {
            // The next morning: every device logs its next records offline.
            for (r, (_, client)) in devices.iter().enumerate() {
                let accounts = cx.params.rep_accounts(r);
                for k in 0..per_device {
                    let a = accounts[k % accounts.len()];
                    let seed = 2_000_000 + (round * 1_000_000 + r * 1000 + k) as u64;
                    offline_record(cx, client, a, k, seed)?;
                }
            }
        }
        let (figures, total_ms, round_outboxes) = storm_round(&devices)?;
        totals.push(total_ms);
        if round == 0 {
            outboxes = round_outboxes;
        }
        rounds.push(figures);
    }
    let rss = server.peak_rss()?;
    server.stop()?;
    let total_ms = stats::median(&totals);
    let floor = floor(cx.backend, &cx.db.url, std::slice::from_ref(&outboxes))?;
    let floor_ms = floor.first().copied().unwrap_or(f64::NAN);
    Ok(json!({
        "devices": n,
        "changes_per_device": per_device,
        "changes": outboxes.len(),
        "rounds": rounds,
        "all_acknowledged_ms": stats::round(total_ms),
        "server_peak_rss_bytes": rss,
        "server_peak_rss_before_bytes": rss_before,
        "floor_ms": stats::round(floor_ms),
        "ratio_to_floor": stats::round(total_ms / floor_ms),
        "setup_seconds": stats::round(setup_s),
    }))
}

/// Every device syncs at once, from its own thread: the time until the last has all its
/// changes acknowledged, and the changes that were waiting (for the floor).
fn storm_round(devices: &[(tempfile::TempDir, Arc<Client>)]) -> Result<(Value, f64, Vec<Vec<u8>>)> {
    let n = devices.len();
    let outboxes: Vec<Vec<u8>> = devices
        .iter()
        .map(|(d, _)| outbox(&d.path().join(api::STORE_FILE)))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let barrier = Arc::new(Barrier::new(n + 1));
    let mut handles = Vec::new();
    for (_, c) in devices {
        let c = c.clone();
        let b = barrier.clone();
        handles.push(std::thread::spawn(move || {
            b.wait();
            let t = Instant::now();
            let r = c.sync();
            (r, ms(t.elapsed()))
        }));
    }
    barrier.wait();
    let start = Instant::now();
    let mut per = Vec::new();
    let mut accepted = 0;
    let mut round_trips = Vec::new();
    for h in handles {
        let (r, t) = h.join().map_err(|_| anyhow::anyhow!("a device panicked"))?;
        let r = r?;
        if r.waiting != 0 || r.rejected != 0 {
            bail!(
                "a device still has {} waiting, {} rejected",
                r.waiting,
                r.rejected
            );
        }
        accepted += r.accepted;
        round_trips.push(f64::from(r.round_trips));
        per.push(t);
    }
    let total_ms = ms(start.elapsed());
    let figures = json!({
        "changes": outboxes.len(),
        "documents_accepted": accepted,
        "all_acknowledged_ms": stats::round(total_ms),
        "per_device_ms": summary(&per),
        "round_trips_per_device": stats::median(&round_trips),
    });
    Ok((figures, total_ms, outboxes))
}

/// One record a rep logs offline: mostly visits, now and then a favour or an info report.
fn offline_record(cx: &Ctx<'_>, client: &Client, a: usize, k: usize, seed: u64) -> Result<()> {
    let ids = &cx.db.manifest.account_ids;
    let at = LocalTime {
        utc_ms: workload::day_start_ms(workload::anchor_day()) + 11 * 3_600_000,
        offset_min: workload::OFFSET_MIN,
    };
    match k % 10 {
        8 => {
            client.create(&Favour {
                account_id: ids[a].clone(),
                kind: FavourKind::Business,
                description: "协调加急发货".into(),
                occurred_at: at,
                ..Favour::default()
            })?;
        }
        9 => {
            client.create(&InfoReport {
                account_id: ids[a].clone(),
                kind: InfoKind::Shipments,
                figure: Some(1200.0),
                unit: Some("台".into()),
                details: "本月出货".into(),
                occurred_at: at,
                ..InfoReport::default()
            })?;
        }
        _ => {
            client.create(&workload::fresh_visit(cx.params, ids, a, seed))?;
        }
    }
    Ok(())
}

/// The bytes of every change waiting in a device's outbox.
fn outbox(store: &Path) -> Result<Vec<Vec<u8>>> {
    let conn = rusqlite::Connection::open(store)?;
    let mut stmt = conn.prepare("SELECT change FROM outbox ORDER BY seq")?;
    let rows = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<Vec<u8>>, _>>()?;
    Ok(rows)
}

/// Puts a device's cursor at `head`, as if it had synced everything before going offline.
fn set_cursor(store: &Path, head: i64) -> Result<()> {
    let conn = rusqlite::Connection::open(store)?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('cursor', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [head.to_string()],
    )?;
    Ok(())
}

/// The company's current sequence number.
fn company_head(url: &str) -> Result<i64> {
    db::runtime()?.block_on(async {
        let conn = Database::connect(url).await?;
        let row = conn
            .query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT seq FROM tenants WHERE slug = 'bench'",
            ))
            .await?
            .context("the bench company")?;
        let seq: i64 = row.try_get_by_index(0)?;
        conn.close().await?;
        anyhow::Ok(seq)
    })
}
