// The web app's benchmark (docs/BENCHMARKS.md, "Web app"): headless Chromium against the
// real rapport-server serving /app/.
//
//   (a) first load of the installed app from cache: service worker installed, the server
//       STOPPED, the browser restarted: navigation start -> store open (median of 5);
//   (b) logging a visit to durable storage: the worker's `create` op, `ms` measured inside
//       the worker (median and p95 of 50);
//   (c) the first sync of a rep who reads about 3,500 documents: login -> sync done, in a
//       fresh profile each time (median of 3). The company is the benchmark's own
//       generator (bench/src/workload.rs), one team of 2 reps sharing 20 accounts with a
//       year of history, seeded through the server's admin API and /v1/sync by
//       `rapport-bench seed` (3,547 documents; the new-device scenario's rep reads 3,557);
//   (d) the wasm payload and the whole app shell (app/dist, the service worker's
//       precache), gzip -9.
//
//   node app/test/bench.mjs     (after cargo build -p rapport-server -p rapport-bench)
//
// Binaries: $RAPPORT_SERVER_BIN / $RAPPORT_BENCH_BIN, else target/debug/ under
// $CARGO_TARGET_DIR or the repository. Browser profiles go to $TMPDIR. Figures: printed,
// and written to bench/results/<date>-app.json ($BENCH_OUT overrides the file).

import { chromium } from "playwright-core";
import { binary, executablePath, freePort, repoDir } from "./harness.mjs";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir, cpus, loadavg } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, constants } from "node:zlib";

const STORE = "/rapport.db";
const LOADS = 5;
const WRITES = 50;
const SYNCS = 3;

const serverBin = binary("RAPPORT_SERVER_BIN", "rapport-server");
const benchBin = binary("RAPPORT_BENCH_BIN", "rapport-bench");
if (!serverBin || !benchBin) {
  console.error("build first: cargo build -p rapport-server -p rapport-bench");
  process.exit(1);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const r1 = (x) => Math.round(x * 10) / 10;
const log = (m) => console.log(`[app bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

async function startServer(args) {
  const port = await freePort();
  const child = spawn(serverBin, ["--listen", `127.0.0.1:${port}`, ...args], { stdio: "ignore", env: { ...process.env, RAPPORT_LOG: "warn" } });
  const exited = new Promise((r) => child.on("exit", r));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    if (i > 200) throw new Error("the server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    app: `${base}/app/`,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

// Records, in the page, when the worker answered `open` (the first answer carrying a
// status) and when the signed-in app's top bar appeared: ms since navigation start.
const probe = () => {
  const Orig = window.Worker;
  const b = (window.__bench = { openAt: null, openMs: null, shownAt: null });
  window.Worker = class extends Orig {
    constructor(...a) {
      super(...a);
      this.addEventListener("message", (e) => {
        const m = e.data;
        if (b.openAt === null && m && m.ok && m.value && typeof m.value === "object" && "has_tokens" in m.value) {
          b.openAt = performance.now();
          b.openMs = m.ms;
        }
      });
    }
  };
  new MutationObserver((_, obs) => {
    if (b.shownAt === null && document.querySelector("header.app-top")) {
      b.shownAt = performance.now();
      obs.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
};

async function launch(profile) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 390, height: 844 },
  });
  await context.addInitScript(probe);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => console.log(`  [page error] ${e.message}`));
  return { context, page };
}

async function call(page, op, args) {
  const r = await page.evaluate(([op, args]) => window.rapport.call(op, args), [op, args]);
  if (!r.ok) throw new Error(`${op}: ${JSON.stringify(r.error)}`);
  return r;
}

async function ready(page) {
  await page.waitForFunction(() => window.rapportReady === true && window.__bench?.openAt !== null, null, { timeout: 30000 });
}

const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadavg_at_start: loadavg().map(r1) },
  browser: null,
  targets: { first_load_ms: 2000, log_visit_ms: 50, first_sync_ms: 5000 },
};
const tmp = [];
const mktmp = (p) => {
  const d = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), p));
  tmp.push(d);
  return d;
};
let servers = [];
let exitCode = 0;

try {
  // (d) Sizes: the wasm, and every file the service worker precaches (the app shell).
  const dist = join(repoDir, "app", "dist");
  const gz = (f) => gzipSync(readFileSync(f), { level: constants.Z_BEST_COMPRESSION }).length;
  const precache = Object.keys(JSON.parse(readFileSync(join(dist, "precache.json"))).files);
  const shell = [...precache, "sw.js", "precache.json"];
  results.size = {
    wasm_bytes: statSync(join(dist, "rapport_web_bg.wasm")).size,
    wasm_gzip9_bytes: gz(join(dist, "rapport_web_bg.wasm")),
    shell_files: shell.length,
    shell_bytes: shell.reduce((n, f) => n + statSync(join(dist, f)).size, 0),
    shell_gzip9_bytes: shell.reduce((n, f) => n + gz(join(dist, f)), 0),
  };
  log(`sizes: ${JSON.stringify(results.size)}`);

  // The seeded company for (c); (a) and (b) run on the same server, as its other rep.
  const seedDir = mktmp("rapport-app-bench-seed-");
  const db = join(seedDir, "rapport.db");
  log("seeding one team (rapport-bench seed)");
  const seeded = JSON.parse(execFileSync(benchBin, ["--server-bin", serverBin, "seed", "--db", db], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));
  results.workload = {
    generator: "bench/src/workload.rs (GENERATOR_VERSION 1, seed 7)",
    key: seeded.manifest.key,
    shape: "1 team, 2 reps sharing 20 accounts, 365 days; per account 10 contacts (3 key with VIP cards), 1 opportunity, ~125 visits a year, favours, intel, info reports, greetings, events",
    documents: seeded.manifest.documents,
    counts: seeded.manifest.counts,
    change_bytes: seeded.manifest.change_bytes,
  };
  const [rep1, rep2] = seeded.rep_usernames;
  const server = await startServer(["--database-url", `sqlite://${db}?mode=rwc`]);
  servers.push(server);

  // (c) First sync, fresh profiles: login -> sync done, timed by the page.
  const syncs = [];
  for (let i = 0; i < SYNCS; i++) {
    const profile = mktmp("rapport-app-bench-sync-");
    const { context, page } = await launch(profile);
    if (!results.browser) results.browser = context.browser()?.version() ?? "chromium";
    await page.goto(server.app);
    await ready(page);
    const r = await page.evaluate(
      async ([company, username, password]) => {
        const t0 = performance.now();
        const login = await window.rapport.call("login", { company, username, password });
        const t1 = performance.now();
        const sync = await window.rapport.call("sync");
        const t2 = performance.now();
        return { login, sync, login_ms: t1 - t0, sync_ms: t2 - t1, total_ms: t2 - t0 };
      },
      ["bench", rep1, seeded.password],
    );
    if (!r.login.ok || !r.sync.ok) throw new Error(`first sync: ${JSON.stringify(r)}`);
    const docs = (await call(page, "list", { kind: "visit" })).value.length;
    syncs.push({ total_ms: r1(r.total_ms), login_ms: r1(r.login_ms), sync_ms: r1(r.sync_ms), worker_sync_ms: r1(r.sync.ms), received: r.sync.value.received, round_trips: r.sync.value.round_trips, visits_listed: docs });
    log(`first sync ${i + 1}: ${JSON.stringify(syncs.at(-1))}`);
    await context.close();
  }
  results.first_sync = {
    what: "fresh profile: login -> sync done (page clock); documents received",
    runs: syncs,
    median_ms: r1(median(syncs.map((s) => s.total_ms))),
    received: syncs[0].received,
    round_trips: syncs[0].round_trips,
  };

  // (b) and (a): the other rep installs the app (service worker, first sync), logs visits.
  const profile = mktmp("rapport-app-bench-installed-");
  let { context, page } = await launch(profile);
  await page.goto(server.app);
  await ready(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
  await call(page, "login", { company: "bench", username: rep2, password: seeded.password });
  const pulled = (await call(page, "sync")).value;
  await page.evaluate(() => (location.hash = "#/sync"));
  const accounts = (await call(page, "accounts")).value;
  const contacts = (await call(page, "list", { kind: "contact", account_id: accounts[0].id })).value;
  const here = (ms) => ({ utc_ms: ms, offset_min: 480 });
  const writes = [];
  for (let i = 0; i < WRITES; i++) {
    const now = Date.now();
    const visit = {
      account_id: accounts[i % accounts.length].id,
      occurred_at: here(now - 3_600_000),
      logged_at: here(now),
      duration_min: 45,
      purpose: `季度回访 ${i}`,
      contacts_met: contacts.slice(0, 2).map((c) => c.id),
      spin: ["situation", "problem"],
      next_step: "发送技术方案",
    };
    const r = await page.evaluate((v) => window.rapport.call("create", { kind: "visit", record: v }), visit);
    if (!r.ok) throw new Error(`create: ${JSON.stringify(r.error)}`);
    writes.push(r.ms);
  }
  results.log_visit = {
    what: "the worker's create op (one store transaction, synchronous=FULL, OPFS), ms inside the worker",
    store_documents: pulled.received,
    n: writes.length,
    median_ms: r1(median(writes)),
    p95_ms: r1(pct(writes, 95)),
    max_ms: r1(Math.max(...writes)),
  };
  log(`log a visit: ${JSON.stringify(results.log_visit)}`);

  // (a) Server stopped; the browser restarted each time; the app from the cache.
  await server.stop();
  servers = [];
  const loads = [];
  for (let i = 0; i < LOADS; i++) {
    await context.close();
    ({ context, page } = await launch(profile));
    await page.goto(server.app);
    await ready(page);
    await page.waitForFunction(() => window.__bench.shownAt !== null, null, { timeout: 30000 });
    const b = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      return { ...window.__bench, fromSw: nav.workerStart > 0, responseEnd: nav.responseEnd };
    });
    if (!b.fromSw) throw new Error("the load was not served by the service worker");
    loads.push({ store_open_ms: r1(b.openAt), app_shown_ms: r1(b.shownAt), open_in_worker_ms: r1(b.openMs), page_from_cache_ms: r1(b.responseEnd) });
    log(`first load ${i + 1}: ${JSON.stringify(loads.at(-1))}`);
  }
  await context.close();
  results.first_load = {
    what: "installed app, server stopped, browser restarted: navigation start -> store open (and -> the signed-in app shown)",
    store_documents: pulled.received + WRITES,
    runs: loads,
    median_ms: r1(median(loads.map((l) => l.store_open_ms))),
    app_shown_median_ms: r1(median(loads.map((l) => l.app_shown_ms))),
  };
  results.machine.loadavg_at_end = loadavg().map(r1);
  results.verdicts = [
    { figure: "first load from cache, median (ms)", target: "< 2000", measured: results.first_load.median_ms, met: results.first_load.median_ms < 2000 },
    { figure: "log a visit, median (ms)", target: "< 50", measured: results.log_visit.median_ms, met: results.log_visit.median_ms < 50 },
    { figure: "log a visit, p95 (ms)", target: "< 50", measured: results.log_visit.p95_ms, met: results.log_visit.p95_ms < 50 },
    { figure: `first sync of ${results.first_sync.received} documents, median (ms)`, target: "< 5000", measured: results.first_sync.median_ms, met: results.first_sync.median_ms < 5000 },
  ];
  const out = process.env.BENCH_OUT ?? join(repoDir, "bench", "results", `${results.date.slice(0, 10)}-app.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
  console.log(JSON.stringify(results.verdicts, null, 2));
  log(`figures written to ${out}`);
} catch (e) {
  exitCode = 1;
  console.error(e.stack ?? e);
} finally {
  for (const s of servers) await s.stop().catch(() => {});
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
}
process.exit(exitCode);
