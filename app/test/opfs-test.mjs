// The web core's browser test: in headless Chromium, a worker opens the store on OPFS,
// signs in with a session, writes visits; the page is reloaded and the browser restarted
// with the same profile, and the visits must read back each time. Then, on a fresh
// profile, the worker signs in against a real rapport-server with `fetch`, pulls the
// demo company, logs a visit while the network is down, syncs once it is back, and the
// manager's weekly report on the server counts the visit.
//
//   node app/test/opfs-test.mjs        (after scripts/build-app)
//
// Serves the built app (app/dist) at /app/ on 127.0.0.1 (a secure context, which OPFS
// needs) from a small node server that also forwards /v1/* to the rapport-server, so the
// app and the API share one origin, and the test can cut the API alone (`networkDown`).
// (pwa-test.mjs runs the app from the rapport-server itself.) The rapport-server binary: $RAPPORT_SERVER_BIN, else target/debug/rapport-server
// under $CARGO_TARGET_DIR or the repository. Chromium: $CHROMIUM or Debian's
// /usr/bin/chromium. Prints timings and a final "N passed, N failed" line; exits
// non-zero on any failure.

import { chromium } from "playwright-core";
import { binary, check, executablePath, finish, freePort, repoDir, results, waitForServer } from "./harness.mjs";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, readFileSync, existsSync } from "node:fs";
import http from "node:http";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join, dirname, extname, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const STORE = "/rapport.db";
const WRITES = 20;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// The real API server, demo company seeded, on a data dir of its own.
const serverBin = binary("RAPPORT_SERVER_BIN", "rapport-server");
const apiPort = await freePort();
const apiData = mkdtempSync(join(tmpdir(), "rapport-web-api-"));
const api = serverBin
  ? spawn(serverBin, ["--demo", "--listen", `127.0.0.1:${apiPort}`, "--data-dir", apiData], { stdio: "ignore" })
  : null;
const apiBase = `http://127.0.0.1:${apiPort}`;

// The app's origin: app/ as static files, and /v1/* forwarded to the API server. While
// `networkDown`, forwarded requests are cut (the socket is destroyed): fetch fails as it
// does offline.
const MIME = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".webmanifest": "application/manifest+json", ".png": "image/png", ".svg": "image/svg+xml" };
const distDir = join(appDir, "dist");
let networkDown = false;
let forwarded = 0;
const server = http.createServer((req, res) => {
  if (req.url.startsWith("/v1/")) {
    if (networkDown) return req.socket.destroy();
    forwarded++;
    const up = http.request(`${apiBase}${req.url}`, { method: req.method, headers: { ...req.headers, host: `127.0.0.1:${apiPort}` } }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on("error", () => req.socket.destroy());
    return req.pipe(up);
  }
  // /app/… is app/dist/…, and a screen of the app (no extension) its page, as the
  // rapport-server serves it.
  const pathname = decodeURIComponent(new URL(req.url, "http://x").pathname);
  let rel = pathname.startsWith("/app/") ? pathname.slice("/app/".length) : null;
  if (rel !== null && !rel.split("/").pop().includes(".")) rel = "index.html";
  const file = rel === null ? "" : join(distDir, normalize(rel));
  if (!file.startsWith(distDir + "/") || !existsSync(file) || statSync(file).isDirectory()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" });
  res.end(readFileSync(file));
});
const port = await freePort();
await new Promise((r) => server.listen(port, "127.0.0.1", r));
server.kill = () => server.close();
const base = `http://127.0.0.1:${port}`;
const profile = mkdtempSync(join(tmpdir(), "rapport-web-profile-"));
const profile2 = mkdtempSync(join(tmpdir(), "rapport-web-profile-"));
const timings = {};
let context;

async function openPage(dir = profile) {
  context = await chromium.launchPersistentContext(dir, { executablePath, headless: true });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => console.log(`  [page] ${m.text()}`));
  page.on("pageerror", (e) => console.log(`  [page error] ${e.message}`));
  await page.goto(`${base}/app/`);
  await page.waitForFunction(() => window.rapportReady === true);
  return page;
}

async function call(page, op, args) {
  const r = await page.evaluate(([op, args]) => window.rapport.call(op, args), [op, args]);
  if (!r.ok) throw new Error(`${op}: ${JSON.stringify(r.error)}`);
  return r;
}

// The page's load and the store's open, timed inside the worker.
async function openStore(page, label) {
  const init = await call(page, "init_ms");
  const open = await call(page, "open", { name: STORE });
  timings[`${label}: wasm fetch+instantiate ms`] = +init.value.toFixed(1);
  timings[`${label}: store open ms`] = +open.ms.toFixed(1);
}

function randomHex(bytes) {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

try {
  await waitForServer(`${base}/app/`);
  const wasm = join(appDir, "dist", "rapport_web_bg.wasm");
  const raw = statSync(wasm).size;
  const gz = gzipSync(readFileSync(wasm), { level: 9 }).length;
  timings["wasm bytes raw"] = raw;
  timings["wasm bytes gzip -9"] = gz;

  // 1. A fresh profile: open, sign in (a session as /v1/auth/login returns it), write.
  let page = await openPage();
  await openStore(page, "first open (new store)");
  const before = await call(page, "status");
  check("a new store has no session", before.value.signed_in_as === null, JSON.stringify(before.value));
  const account_id = (await call(page, "new_id")).value;
  const at = (utc_ms) => ({ utc_ms, offset_min: 480 });
  const visit = (n) => ({
    account_id,
    occurred_at: at(Date.UTC(2026, 10, 27, 2, 30) + n * 60000),
    logged_at: at(Date.UTC(2026, 10, 27, 3, 30) + n * 60000),
    duration_min: 45,
    purpose: `offline visit ${n}`,
    notes: "written in a worker, on OPFS",
    next_step: "send the quote",
    next_step_due: "2026-12-01",
  });
  const refused = await page.evaluate(([v]) => window.rapport.call("create", { kind: "visit", record: v }), [visit(0)]);
  check("writing before sign-in is refused", !refused.ok && refused.error.kind === "not_signed_in", JSON.stringify(refused));

  const session = {
    access_token: "not-a-token",
    access_expires_at: Math.floor(Date.now() / 1000) + 3600,
    refresh_token: "not-a-token",
    user_id: (await call(page, "new_id")).value,
    tenant_id: (await call(page, "new_id")).value,
    role: "rep",
    display_name: "Test Rep",
    device_id: (await call(page, "new_id")).value,
    actor_id: randomHex(16),
    time_zone: "Asia/Shanghai",
  };
  await call(page, "save_session", { server_url: "https://rapport.invalid", company: "acme", username: "li", session });
  const first = await call(page, "create", { kind: "visit", record: visit(0) });
  timings["first visit write ms"] = +first.ms.toFixed(2);
  const firstId = first.value;
  check("create returns a record id", /^[0-9a-f-]{36}$/.test(firstId), firstId);
  const bad = await page.evaluate(
    ([v]) => window.rapport.call("create", { kind: "visit", record: { ...v, duration_min: -5 } }),
    [visit(99)],
  );
  check("an invalid visit is refused by the model's rules", !bad.ok && bad.error.kind === "invalid" && bad.error.field === "duration_min", JSON.stringify(bad));
  const writes = [];
  for (let i = 1; i <= WRITES; i++) writes.push((await call(page, "create", { kind: "visit", record: visit(i) })).ms);
  timings[`visit write ms (median of ${WRITES})`] = +median(writes).toFixed(2);
  timings[`visit write ms (max of ${WRITES})`] = +Math.max(...writes).toFixed(2);
  const listed = await call(page, "list", { kind: "visit", account_id });
  timings[`list ${WRITES + 1} visits ms`] = +listed.ms.toFixed(2);
  check("the visits list back before reload", listed.value.length === WRITES + 1, `${listed.value.length}`);
  check("newest first", listed.value[0].purpose === `offline visit ${WRITES}`, listed.value[0]?.purpose);
  const files = (await call(page, "opfs_files")).value;
  console.log(`  OPFS pool files: ${JSON.stringify(files)}`);
  check("the store file is in the OPFS pool", files.includes(STORE), JSON.stringify(files));

  const header = (await call(page, "db_header", { name: STORE })).value;
  console.log(`  store file: ${JSON.stringify(header)}`);
  // client-core asks for WAL; the sahpool VFS has no shared memory, so SQLite keeps its
  // rollback journal (each commit still syncs: synchronous=FULL).
  check("the store runs with a rollback journal (no WAL on OPFS)", header.write_version === 1, JSON.stringify(header));

  // A second tab: the pool's sync access handles are exclusive, so only the tab holding
  // the "rapport-store" Web Lock starts its worker (owner.js); this one waits and says so.
  // (pwa-test.mjs checks that it takes over when the first closes.)
  const tab2 = await context.newPage();
  await tab2.goto(`${base}/app/`);
  await tab2.waitForFunction(() => window.rapportWaiting === true);
  await tab2.waitForTimeout(300);
  const t2 = await tab2.evaluate(() => ({ ready: window.rapportReady === true, message: document.body.innerText.trim() }));
  console.log(`  second tab: ${JSON.stringify(t2)}`);
  check("a second tab does not start its worker while the first owns the store", !t2.ready && t2.message === "Rapport is open in another tab", JSON.stringify(t2));
  await tab2.close();

  // 2. Reload: a new worker opens the same store from OPFS.
  await page.reload();
  await page.waitForFunction(() => window.rapportReady === true);
  await openStore(page, "after reload");
  const again = await call(page, "list", { kind: "visit", account_id });
  check("after a reload every visit reads back", again.value.length === WRITES + 1, `${again.value.length}`);
  const got = again.value.find((v) => v.id === firstId);
  check(
    "the first visit reads back whole",
    got && got.purpose === "offline visit 0" && got.occurred_at.utc_ms === Date.UTC(2026, 10, 27, 2, 30) && got.occurred_at.offset_min === 480 && got.next_step_due === "2026-12-01",
    JSON.stringify(got),
  );
  const st = await call(page, "status");
  check("the session survived", st.value.signed_in_as === "li@acme", JSON.stringify(st.value));
  check("the outbox holds every change for sync", st.value.waiting >= WRITES + 1, JSON.stringify(st.value));

  // 3. Restart the browser on the same profile.
  await context.close();
  page = await openPage();
  await openStore(page, "after browser restart");
  const third = await call(page, "list", { kind: "visit", account_id });
  check("after a browser restart every visit reads back", third.value.length === WRITES + 1, `${third.value.length}`);
  await context.close();
  context = null;

  // 4. Sync with a real server: sign in with fetch from the worker, pull, log a visit
  //    offline, sync when back online; the manager's report on the server shows it.
  check("a rapport-server binary to sync with", !!serverBin, "build it: cargo build -p rapport-server");
  await waitForServer(`${apiBase}/healthz`);
  const serverLogin = async (username) => {
    const r = await fetch(`${apiBase}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ company: "demo", username, password: "rapport-demo" }),
    });
    return (await r.json()).access_token;
  };
  const wang = await serverLogin("wang");
  const liThisWeek = async () => {
    const r = await fetch(`${apiBase}/v1/reports/visits/weekly`, { headers: { authorization: `Bearer ${wang}` } });
    const body = await r.json();
    return body.reps?.find((rep) => rep.username === "li")?.visits ?? NaN;
  };
  const reportBefore = await liThisWeek();

  page = await openPage(profile2);
  await call(page, "init_ms");
  await call(page, "open", { name: STORE });
  const wrong = await page.evaluate(() => window.rapport.call("login", { company: "demo", username: "li", password: "wrong" }));
  check("a wrong password is refused at sign-in", !wrong.ok && wrong.error.kind === "signed_out", JSON.stringify(wrong));
  const login = await call(page, "login", { company: "demo", username: "li", password: "rapport-demo" });
  timings["sign-in (fetch + save) ms"] = +login.ms.toFixed(1);
  check("the worker signs in against the server", login.value.role === "rep" && login.value.has_tokens && login.value.signed_in_as === "li@demo", JSON.stringify(login.value));
  let st4 = (await call(page, "status")).value;
  check("the session is saved with the server's origin", st4.signed_in_as === "li@demo" && st4.server_url === base && st4.has_tokens, JSON.stringify(st4));

  const pull = await call(page, "sync");
  timings["first sync (pull the demo data) ms"] = +pull.ms.toFixed(1);
  console.log(`  first sync: ${JSON.stringify(pull.value)}`);
  // The UI syncs by itself once signed in: its sync may have pulled the documents first
  // (then this one waited for it, or found nothing new). Either way they are on the device.
  const afterPull = (await call(page, "status")).value;
  check(
    "the first sync pulls li's documents",
    pull.ok && pull.value.round_trips >= 1 && pull.value.waiting === 0 && afterPull.cursor > 0,
    JSON.stringify({ pull: pull.value, cursor: afterPull.cursor }),
  );
  const accounts = (await call(page, "accounts")).value;
  check("li's accounts are on the device", accounts.length > 0, JSON.stringify(accounts));
  const li_visits_before = (await call(page, "list", { kind: "visit" })).value.length;

  networkDown = true;
  const here = -new Date().getTimezoneOffset();
  const offlineVisit = await call(page, "create", {
    kind: "visit",
    record: {
      account_id: accounts[0].id,
      occurred_at: { utc_ms: Date.now() - 60_000, offset_min: here },
      logged_at: { utc_ms: Date.now(), offset_min: here },
      duration_min: 40,
      purpose: "logged offline in the browser",
      notes: "synced by the worker's fetch",
    },
  });
  st4 = (await call(page, "status")).value;
  check("a visit logged offline waits for sync", st4.waiting >= 1, JSON.stringify(st4));
  const failed = await page.evaluate(() => window.rapport.call("sync"));
  check("sync while offline fails as offline and keeps the visit waiting", !failed.ok && failed.error.kind === "offline", JSON.stringify(failed));
  st4 = (await call(page, "status")).value;
  check("the visit still waits after the failed sync", st4.waiting >= 1, JSON.stringify(st4));

  networkDown = false;
  const push = await call(page, "sync");
  timings["sync of one visit ms"] = +push.ms.toFixed(1);
  console.log(`  sync after coming back online: ${JSON.stringify(push.value)}`);
  check("back online, the sync pushes the visit", push.value.accepted >= 1 && push.value.rejected === 0 && push.value.waiting === 0, JSON.stringify(push.value));
  const again4 = await call(page, "sync");
  check("a sync with nothing new is one round trip", again4.value.round_trips === 1 && again4.value.accepted === 0, JSON.stringify(again4.value));
  const reportAfter = await liThisWeek();
  console.log(`  weekly report as wang, li's visits: ${reportBefore} -> ${reportAfter}`);
  check("the manager's weekly report on the server counts the visit", reportAfter === reportBefore + 1, `${reportBefore} -> ${reportAfter}`);
  const listed4 = (await call(page, "list", { kind: "visit" })).value;
  check("the visit is on the device once", listed4.length === li_visits_before + 1 && listed4.some((v) => v.id === offlineVisit.value), `${li_visits_before} -> ${listed4.length}`);

  // 5. The worker's API (docs/web-app.md) end to end, on li's synced data.
  const events = await page.evaluate(() => window.rapport.events);
  const phases = events.filter((e) => e.event === "sync").map((e) => e.phase);
  check("sync events: start, progress, done", phases.includes("start") && phases.includes("progress") && phases.includes("done"), phases.join(","));
  const failedEvent = events.find((e) => e.event === "sync" && e.phase === "failed");
  check("the offline sync's failed event says offline", failedEvent?.error?.kind === "offline" && failedEvent.waiting >= 1, JSON.stringify(failedEvent));
  check("status events follow the changes", events.some((e) => e.event === "status" && e.status.signed_in_as === "li@demo"), `${events.length} events`);
  const both = await page.evaluate(() => Promise.all([window.rapport.call("sync"), window.rapport.call("sync")]));
  check("a second sync waits for the running one", both.every((r) => r.ok) && JSON.stringify(both[0].value) === JSON.stringify(both[1].value), JSON.stringify(both));

  const acc = accounts[0];
  check("accounts: the day view's fields", ["id", "name", "tier", "stage", "last_visit_ms", "city"].every((k) => k in acc) && /^[abcd]$/.test(acc.tier), JSON.stringify(acc));
  const account = (await call(page, "get", { kind: "account", id: acc.id })).value;
  check("get account: the model's fields, the effective tier and last visit", account.name === acc.name && account.tier === acc.tier && Array.isArray(account.metrics) && account.last_visit_ms >= Date.now() - 120_000, JSON.stringify(account).slice(0, 300));
  const timeline = (await call(page, "timeline", { account_id: acc.id })).value;
  check("timeline: newest first, with the offline visit", timeline.some((t) => t.id === offlineVisit.value && t.kind === "visit" && t.offset_min === here), JSON.stringify(timeline.slice(0, 3)));
  const due = (await call(page, "due", { today: new Date().toISOString().slice(0, 10), days: 30 })).value;
  check("due: items with their date and what", Array.isArray(due) && due.every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d.date) && ["visit", "next_step", "birthday", "holiday"].includes(d.what)), JSON.stringify(due.slice(0, 3)));
  const rules = (await call(page, "rules")).value;
  check("rules: the company's", typeof rules.favour_limit === "number" && typeof rules.checkin_radius_m === "number", JSON.stringify(rules));
  const opps = (await call(page, "list", { kind: "opportunity" })).value;
  check("opportunities carry the danger-zone judgement", opps.length > 0 && opps.every((o) => typeof o.danger === "boolean" && Array.isArray(o.unknown_roles)), JSON.stringify(opps.map((o) => [o.name, o.danger])));
  if (account.location) {
    const near = (await call(page, "check_in", { account_id: acc.id, lat: account.location.lat, lon: account.location.lon, accuracy_m: 10 })).value;
    check("check_in at the account's location is verified", near.verified === true && near.distance_m < 1, JSON.stringify(near));
  }
  const favour = {
    account_id: acc.id,
    kind: "personal",
    description: "dinner from the browser",
    value: rules.favour_limit + 100,
    occurred_at: { utc_ms: Date.now(), offset_min: here },
  };
  const favourId = (await call(page, "create", { kind: "favour", record: favour })).value;
  const gotFavour = (await call(page, "get", { kind: "favour", id: favourId })).value;
  check("a favour over the limit is judged so", gotFavour.over_limit === true && gotFavour.kind === "personal", JSON.stringify(gotFavour));
  const smaller = (await call(page, "update", { kind: "favour", id: favourId, record: { ...gotFavour, value: 10 } })).value;
  check("update replaces the record and judges it again", smaller.value === 10 && smaller.over_limit === false, JSON.stringify(smaller));
  const badUpdate = await page.evaluate(([id, f]) => window.rapport.call("update", { kind: "favour", id, record: { ...f, kind: "bribe" } }), [favourId, gotFavour]);
  check("an invalid update is refused, naming the field", !badUpdate.ok && badUpdate.error.kind === "invalid" && badUpdate.error.field === "kind", JSON.stringify(badUpdate));
  check("remove", (await call(page, "remove", { kind: "favour", id: favourId })).value === true);
  const gone = await page.evaluate(([id]) => window.rapport.call("get", { kind: "favour", id }), [favourId]);
  check("a removed record is not found", !gone.ok && gone.error.kind === "not_found", JSON.stringify(gone));
  const unknownOp = await page.evaluate(() => window.rapport.call("weekly"));
  check("an unknown op is invalid", !unknownOp.ok && unknownOp.error.kind === "invalid", JSON.stringify(unknownOp));
  const synced = (await call(page, "sync")).value;
  check("the favour's create, update and removal sync", synced.accepted >= 1 && synced.rejected === 0 && synced.waiting === 0, JSON.stringify(synced));

  const card = await call(page, "scorecard", {});
  check("scorecard online", card.value.cached === false && Array.isArray(card.value.metrics), JSON.stringify(card.value).slice(0, 200));
  networkDown = true;
  const cachedCard = await call(page, "scorecard", {});
  networkDown = false;
  check("scorecard offline: the last one, cached", cachedCard.value.cached === true && cachedCard.value.fetched_ms === card.value.fetched_ms && cachedCard.value.period === card.value.period, JSON.stringify(cachedCard.value).slice(0, 200));
  const out = (await call(page, "logout")).value;
  check("logout keeps the data, drops the tokens", out.has_tokens === false && out.signed_in_as === "li@demo", JSON.stringify(out));
  const notIn = await page.evaluate(() => window.rapport.call("sync"));
  check("sync after logout: signed out", !notIn.ok && ["not_signed_in", "signed_out"].includes(notIn.error.kind), JSON.stringify(notIn));

  console.log(`  requests forwarded to the API server: ${forwarded}`);
  await context.close();
  context = null;
} catch (e) {
  results.failed++;
  console.log(`FAIL ${e.stack ?? e}`);
} finally {
  if (context) await context.close().catch(() => {});
  server.kill();
  api?.kill();
  for (const dir of [profile, profile2, apiData]) rmSync(dir, { recursive: true, force: true });
}

console.log("timings:");
for (const [k, v] of Object.entries(timings)) console.log(`  ${k}: ${v}`);
finish();
