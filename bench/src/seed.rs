//! Seeds a generated company into a running server the honest way: the company, teams,
//! users and accounts through the admin API, and the history through `POST /v1/sync` from
//! one signed-in device per rep, in batches, window by window as reps would sync.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use automerge::ActorId;
use rapport_client_core::model;
use rapport_client_core::protocol::{self, Change, Outcome, PushDoc, SyncRequest};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::net::{self, OPERATOR_TOKEN, PASSWORD, Server};
use crate::workload::{self, GenDoc, Params};

/// The sync endpoint's limit on documents per request.
const MAX_PUSH_DOCS: usize = 5000;

/// What the benchmark needs to know about a seeded company.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub key: String,
    pub slug: String,
    pub team_ids: Vec<String>,
    pub account_ids: Vec<String>,
    /// Documents per kind, accounts included.
    pub counts: BTreeMap<String, u64>,
    pub documents: u64,
    pub change_bytes: u64,
    pub pushes: u64,
    /// Wall time of seeding the history through sync, seconds.
    pub history_seconds: f64,
    /// Wall time of creating the company, users and accounts, seconds.
    pub setup_seconds: f64,
}

/// Seeds the generated company `p` as `slug`: the people and accounts, then the history.
pub fn seed(server: &Server, p: &Params, slug: &str) -> Result<Manifest> {
    let agent = net::agent();
    let started = Instant::now();
    let company = create_company(&agent, server, p, slug)?;
    let setup_seconds = started.elapsed().as_secs_f64();
    let devices = seeding_devices(&agent, server, p, slug)?;
    let started = Instant::now();
    let history = push_history(&agent, server, p, devices, &company.account_ids)?;
    let mut counts = history.counts;
    counts.insert("account".into(), company.account_ids.len() as u64);
    Ok(Manifest {
        key: p.key(),
        slug: slug.to_owned(),
        documents: company.account_ids.len() as u64 + history.documents,
        team_ids: company.team_ids,
        account_ids: company.account_ids,
        counts,
        change_bytes: history.change_bytes,
        pushes: history.pushes,
        history_seconds: started.elapsed().as_secs_f64(),
        setup_seconds,
    })
}

/// The company's teams and accounts, by id.
struct Company {
    team_ids: Vec<String>,
    account_ids: Vec<String>,
}

/// Creates the company through the admin API: its teams with their managers, the reps,
/// the accounts and each account's team.
fn create_company(agent: &ureq::Agent, server: &Server, p: &Params, slug: &str) -> Result<Company> {
    let url = &server.url;
    net::json(
        agent,
        "POST",
        &format!("{url}/v1/admin/companies"),
        Some(OPERATOR_TOKEN),
        Some(&json!({
            "slug": slug, "name": "大客户基准公司", "time_zone": "Asia/Shanghai",
            "admin_username": "admin", "admin_password": PASSWORD,
        })),
        201,
    )?;
    let admin = net::login(agent, url, slug, "admin")?.access_token;
    let post = |path: &str, body: serde_json::Value| -> Result<String> {
        let v = net::json(
            agent,
            "POST",
            &format!("{url}{path}"),
            Some(&admin),
            Some(&body),
            201,
        )?;
        Ok(v["id"].as_str().context("id")?.to_owned())
    };
    let mut team_ids = Vec::new();
    for t in 0..p.teams {
        let team = post("/v1/admin/teams", json!({"name": format!("大客户{t}部")}))?;
        post(
            "/v1/admin/users",
            json!({"username": p.manager_name(t), "password": PASSWORD, "role": "manager", "team_id": team}),
        )?;
        team_ids.push(team);
    }
    let mut rep_ids = Vec::new();
    for r in 0..p.reps() {
        rep_ids.push(post(
            "/v1/admin/users",
            json!({"username": p.rep_name(r), "password": PASSWORD, "role": "rep",
                   "team_id": team_ids[r / p.reps_per_team]}),
        )?);
    }
    let mut account_ids = Vec::new();
    for a in 0..p.accounts() {
        let (lat, lon) = workload::account_location(a);
        account_ids.push(post(
            "/v1/admin/accounts",
            json!({"name": format!("客户{a}"), "city": "上海", "lat": lat, "lon": lon}),
        )?);
    }
    for (a, account) in account_ids.iter().enumerate() {
        for r in p.account_reps(a) {
            net::json(
                agent,
                "PUT",
                &format!("{url}/v1/admin/accounts/{account}/team/{}", rep_ids[r]),
                Some(&admin),
                None,
                204,
            )?;
        }
    }
    Ok(Company {
        team_ids,
        account_ids,
    })
}

/// What seeding the history pushed.
struct History {
    /// Documents per kind.
    counts: BTreeMap<String, u64>,
    documents: u64,
    change_bytes: u64,
    pushes: u64,
}

/// Signs in one seeding device per rep: its access token and actor.
fn seeding_devices(
    agent: &ureq::Agent,
    server: &Server,
    p: &Params,
    slug: &str,
) -> Result<Vec<(String, ActorId)>> {
    let mut devices = Vec::new();
    for r in 0..p.reps() {
        let s = net::login(agent, &server.url, slug, &p.rep_name(r))?;
        let actor = ActorId::try_from(s.actor_id.as_str()).context("actor id")?;
        devices.push((s.access_token, actor));
    }
    Ok(devices)
}

/// Pushes the company's history through `POST /v1/sync` from the reps' `devices`,
/// while a thread generates it.
fn push_history(
    agent: &ureq::Agent,
    server: &Server,
    p: &Params,
    devices: Vec<(String, ActorId)>,
    account_ids: &[String],
) -> Result<History> {
    let url = &server.url;
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Vec<PushDoc>)>(4);
    let actors: Vec<ActorId> = devices.iter().map(|(_, a)| a.clone()).collect();
    let generator = spawn_generator(p.clone(), account_ids.to_vec(), actors, tx);
    let mut history = History {
        counts: BTreeMap::new(),
        documents: 0,
        change_bytes: 0,
        pushes: 0,
    };
    let mut cursor = 0u64;
    for (r, push) in rx {
        for d in &push {
            *history.counts.entry(d.kind.clone()).or_default() += 1;
            history.change_bytes += d.changes.iter().map(|c| c.0.len() as u64).sum::<u64>();
        }
        history.documents += push.len() as u64;
        let request = SyncRequest {
            version: protocol::PROTOCOL_VERSION,
            cursor,
            rules_version: 0,
            push,
        };
        let (resp, _, _) = net::sync(agent, url, &devices[r].0, &request)?;
        for result in &resp.results {
            if let Outcome::Rejected { code, reason } = &result.outcome {
                bail!("seeding: {} rejected: {code}: {reason}", result.doc_id);
            }
        }
        // Pull only what is new since the last push: the seeding devices need none of it.
        cursor = cursor.max(resp.cursor);
        history.pushes += 1;
    }
    generator
        .join()
        .map_err(|_| anyhow::anyhow!("the generator panicked"))??;
    Ok(history)
}

/// Generates the history (Automerge work on the "devices") beside the pushes: each rep's
/// documents, the accounts' set-up first, then window by window, sent to `tx` in
/// batches of at most [`MAX_PUSH_DOCS`].
fn spawn_generator(
    p: Params,
    account_ids: Vec<String>,
    actors: Vec<ActorId>,
    tx: std::sync::mpsc::SyncSender<(usize, Vec<PushDoc>)>,
) -> std::thread::JoinHandle<Result<()>> {
    std::thread::spawn(move || -> Result<()> {
        let mut batches: Vec<Vec<GenDoc>> = vec![Vec::new(); p.reps()];
        let flush = |batches: &mut Vec<Vec<GenDoc>>| -> Result<()> {
            for (r, docs) in batches.iter_mut().enumerate() {
                for chunk in std::mem::take(docs).chunks(MAX_PUSH_DOCS) {
                    let push = chunk
                        .iter()
                        .map(|d| encode(d, actors[r].clone()))
                        .collect::<Result<Vec<_>>>()?;
                    if tx.send((r, push)).is_err() {
                        return Ok(());
                    }
                }
            }
            Ok(())
        };
        for a in 0..p.accounts() {
            for d in workload::setup_docs(&p, &account_ids, a) {
                batches[d.rep].push(d);
            }
        }
        flush(&mut batches)?;
        for (w, window) in p.windows().into_iter().enumerate() {
            for a in 0..p.accounts() {
                for d in workload::window_docs(&p, &account_ids, a, w, window) {
                    batches[d.rep].push(d);
                }
            }
            flush(&mut batches)?;
        }
        Ok(())
    })
}

/// A generated record as its device pushes it: a new document and its changes.
fn encode(d: &GenDoc, actor: ActorId) -> Result<PushDoc> {
    let mut doc = model::new_document(actor);
    let changes = d.record.write(&mut doc).context("writing a record")?;
    Ok(PushDoc {
        doc_id: d.id.clone(),
        kind: d.record.kind().as_str().to_owned(),
        changes: changes
            .into_iter()
            .map(|mut c| Change(c.bytes().into_owned()))
            .collect(),
    })
}
