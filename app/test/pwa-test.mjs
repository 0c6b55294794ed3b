// The installable app's browser test, against the real rapport-server serving /app/
// itself (one origin: the app and the API): headless Chromium loads the page, its worker
// and the wasm from the server; the manifest and its icons are served; the service worker
// installs, caches the build and controls the page; the worker signs in and writes; a
// second tab waits for the store's Web Lock and says so, and takes over when the first
// closes; then the server is STOPPED and the app still opens from the service worker's
// cache (reload, a new page, a browser restart), its store opens and what was written
// reads back. The time from navigation start to the store open, server down, is printed.
//
//   node app/test/pwa-test.mjs        (after scripts/build-app and a build of the server)
//
// The rapport-server binary: $RAPPORT_SERVER_BIN, else target/debug/rapport-server under
// $CARGO_TARGET_DIR or the repository (it embeds app/dist when compiled: build it after
// scripts/build-app). Chromium: $CHROMIUM or /usr/bin/chromium. Prints ok/FAIL lines,
// timings and a closing "N passed, M failed"; exits non-zero on any failure. It uses only
// the page's window.rapport.call(op, args) hook, which the UI's page keeps.

import { chromium } from "playwright-core";
import { binary, check, executablePath, finish, freePort, repoDir, results, waitForServer } from "./harness.mjs";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const STORE = "/rapport.db";
const MESSAGE = "Rapport is open in another tab";

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

const serverBin = binary("RAPPORT_SERVER_BIN", "rapport-server");
if (!serverBin) {
  console.log("FAIL no rapport-server binary: cargo build -p rapport-server");
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), "rapport-pwa-api-"));
const profile = mkdtempSync(join(tmpdir(), "rapport-pwa-profile-"));
const server = spawn(serverBin, ["--demo", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir], { stdio: "ignore" });
const serverExit = new Promise((r) => server.on("exit", r));
const base = `http://127.0.0.1:${port}`;
const app = `${base}/app/`;
const timings = {};
let context;

async function launch() {
  context = await chromium.launchPersistentContext(profile, { executablePath, headless: true });
  return context;
}

async function newPage() {
  const page = await context.newPage();
  const name = `tab${context.pages().length}`;
  page.on("console", (m) => console.log(`  [${name}] ${m.text()}`));
  page.on("pageerror", (e) => console.log(`  [${name} error] ${e.message}`));
  return page;
}

async function call(page, op, args) {
  const r = await page.evaluate(([op, args]) => window.rapport.call(op, args), [op, args]);
  if (!r.ok) throw new Error(`${op}: ${r.error}`);
  return r;
}

// Opens the store from the page, retrying while the previous owner's worker is still
// letting go of its OPFS handles; returns the page's clock (ms since its navigation
// started) when the store is open, and the attempts it took.
async function openStore(page) {
  return await page.evaluate(async (name) => {
    const nav = performance.getEntriesByType("navigation")[0];
    const phases = nav && {
      sw: +nav.workerStart.toFixed(1),
      page: +nav.responseEnd.toFixed(1),
      dom: +nav.domContentLoadedEventEnd.toFixed(1),
      ready: +performance.now().toFixed(1),
    };
    for (let attempt = 1; ; attempt++) {
      const r = await window.rapport.call("open", { name });
      if (r.ok) return { at: performance.now(), attempts: attempt, ms: r.ms, phases };
      if (attempt >= 30) return { error: r.error, attempts: attempt };
      await new Promise((res) => setTimeout(res, 100));
    }
  }, STORE);
}

// A load of the app timed from navigation start to its store open.
async function loadAndOpen(page, label, how = () => page.goto(app)) {
  await how();
  await page.waitForFunction(() => window.rapportReady === true, null, { timeout: 15000 });
  const opened = await openStore(page);
  if (opened.error) throw new Error(`${label}: open: ${opened.error}`);
  const init = await call(page, "init_ms");
  timings[`${label}: navigation start -> store open ms`] = +opened.at.toFixed(1);
  timings[`${label}: wasm fetch+instantiate ms (in the worker)`] = +init.value.toFixed(1);
  timings[`${label}: store open ms (in the worker)`] = +opened.ms.toFixed(1);
  if (opened.attempts > 1) timings[`${label}: open attempts`] = opened.attempts;
  // When (ms from navigation start) the service worker started, the page was in, the DOM
  // was loaded and the page was ready (the lock held, the worker started; as seen by the
  // test, which polls).
  timings[`${label}: phases ms`] = JSON.stringify(opened.phases);
  return opened;
}

try {
  await waitForServer(`${base}/healthz`);

  // 1. What the server serves at /app/: the page, the manifest and its icons, the
  //    service worker and its precache list.
  const pageResp = await fetch(app);
  check("the server serves the app's page at /app/", pageResp.ok && pageResp.headers.get("content-type").startsWith("text/html"), `${pageResp.status}`);
  const manifestResp = await fetch(`${app}manifest.webmanifest`);
  let manifest = null;
  try {
    manifest = JSON.parse(await manifestResp.text());
  } catch {}
  check(
    "the manifest is valid JSON, typed application/manifest+json",
    manifest && manifestResp.headers.get("content-type") === "application/manifest+json",
    manifestResp.headers.get("content-type"),
  );
  check(
    "the manifest names the app, its scope and its display",
    manifest?.name === "Rapport" && manifest.start_url === "/app/" && manifest.scope === "/app/" && manifest.display === "standalone" && /^#/.test(manifest.theme_color),
    JSON.stringify(manifest),
  );
  const icons = manifest?.icons ?? [];
  const iconResults = await Promise.all(
    icons.map(async (i) => {
      const r = await fetch(new URL(i.src, `${app}manifest.webmanifest`));
      return r.ok && r.headers.get("content-type") === i.type;
    }),
  );
  check(
    "every icon of the manifest is reachable with its type (192, 512, maskable, SVG)",
    iconResults.length >= 4 && iconResults.every(Boolean) && icons.some((i) => i.purpose === "maskable") && icons.some((i) => i.type === "image/svg+xml"),
    JSON.stringify(icons.map((i, n) => [i.src, iconResults[n]])),
  );
  const swResp = await fetch(`${app}sw.js`);
  const swText = await swResp.text();
  check(
    "sw.js: JavaScript, Service-Worker-Allowed /app/, Cache-Control no-cache",
    swResp.headers.get("content-type").startsWith("text/javascript") && swResp.headers.get("service-worker-allowed") === "/app/" && swResp.headers.get("cache-control") === "no-cache",
    JSON.stringify([...swResp.headers]),
  );
  const listBytes = Buffer.from(await (await fetch(`${app}precache.json`)).arrayBuffer());
  const version = sha256(listBytes).slice(0, 16);
  const precache = JSON.parse(listBytes.toString()).files;
  check("sw.js carries the version of the precache list", swText.includes(`const VERSION = "${version}";`), version);
  const served = await Promise.all(
    Object.entries(precache).map(async ([f, h]) => sha256(Buffer.from(await (await fetch(app + f)).arrayBuffer())) === h),
  );
  check(`every precached file (${served.length}) is served as listed`, served.length > 0 && served.every(Boolean));

  // 2. The browser: a cache left by an earlier build, then the app.
  await launch();
  let page = context.pages()[0] ?? (await newPage());
  await page.goto(`${base}/healthz`);
  await page.evaluate(async () => (await caches.open("rapport-app-0000000000000000")).put("/app/old", new Response("an earlier build")));
  await page.close();
  page = await newPage();
  const firstLoad = await loadAndOpen(page, "first load (network, new store)");
  check("the page, its worker and the wasm load from the server at /app/; the store opens", firstLoad.at > 0);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15000 });
  const sw = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    const keys = await caches.keys();
    const cached = keys.length === 1 ? (await (await caches.open(keys[0])).keys()).map((r) => new URL(r.url).pathname) : [];
    return { scope: reg.scope, script: navigator.serviceWorker.controller.scriptURL, keys, cached };
  });
  check("the service worker installs and controls the page (scope /app/)", sw.scope === app && sw.script === `${app}sw.js`, JSON.stringify(sw));
  check("its cache is this build's, and an earlier build's cache is deleted", sw.keys.length === 1 && sw.keys[0] === `rapport-app-${version}`, JSON.stringify(sw.keys));
  check(
    "every file of the build is in the cache",
    Object.keys(precache).every((f) => sw.cached.includes(`/app/${f}`)) && sw.cached.length === Object.keys(precache).length,
    JSON.stringify(sw.cached),
  );

  // Sign in on the server, pull, write: one visit synced, one waiting.
  const login = await call(page, "login", { company: "demo", username: "li", password: "rapport-demo" });
  check("the worker signs in against the server (same origin)", login.value.role === "rep");
  const pull = await call(page, "sync");
  // The UI syncs by itself once signed in: its sync may have pulled the documents first.
  const afterPull = (await call(page, "status")).value;
  check("the first sync pulls li's documents", pull.ok && afterPull.cursor > 0, JSON.stringify({ pull: pull.value, cursor: afterPull.cursor }));
  const accounts = (await call(page, "accounts")).value;
  const here = (ms) => ({ utc_ms: ms, offset_min: -new Date(ms).getTimezoneOffset() });
  const visit = (purpose) => ({
    account_id: accounts[0].id,
    occurred_at: here(Date.now() - 60_000),
    logged_at: here(Date.now()),
    duration_min: 30,
    purpose,
  });
  const create = async (v) => (await call(page, "create", { kind: "visit", record: v })).value;
  const synced = await create(visit("synced before the server stopped"));
  const push = await call(page, "sync");
  check("a visit is pushed", push.value.accepted === 1 && push.value.waiting === 0, JSON.stringify(push.value));
  const pending = await create(visit("written, not yet synced"));
  const visitsBefore = (await call(page, "list", { kind: "visit" })).value;
  const api = await page.evaluate(async () => (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => r.url)))).flat());
  check("no API answer (/v1/) is cached", !api.some((u) => u.includes("/v1/")), JSON.stringify(api.filter((u) => u.includes("/v1/"))));

  // 3. A second tab waits for the store's lock, says so, and takes over.
  const tab2 = await newPage();
  await tab2.goto(app);
  await tab2.waitForFunction(() => window.rapportWaiting === true, null, { timeout: 15000 });
  await tab2.waitForTimeout(500);
  const waitingTab = await tab2.evaluate(() => ({
    ready: window.rapportReady === true,
    text: document.body.innerText,
    controlled: navigator.serviceWorker.controller !== null,
  }));
  check(`a second tab does not open the store and shows "${MESSAGE}"`, !waitingTab.ready && waitingTab.text.includes(MESSAGE), JSON.stringify(waitingTab));
  check("the second tab is served by the service worker", waitingTab.controlled);
  const closedAt = Date.now();
  await page.close();
  await tab2.waitForFunction(() => window.rapportReady === true, null, { timeout: 15000 });
  const took = await openStore(tab2);
  timings["take-over: first tab closed -> store open in the second ms"] = Date.now() - closedAt;
  if (took.attempts > 1) timings["take-over: open attempts"] = took.attempts;
  const tookVisits = took.error ? [] : (await call(tab2, "list", { kind: "visit" })).value;
  const hidden = await tab2.evaluate(() => !document.body.innerText.includes("Rapport is open in another tab"));
  check("it takes over when the first tab closes: the store opens, the message goes", !took.error && hidden && tookVisits.length === visitsBefore.length, JSON.stringify(took));
  page = tab2;

  // 4. THE SERVER STOPS. The app opens from the service worker's cache.
  server.kill("SIGTERM");
  await serverExit;
  const down = await fetch(app).then(() => false, () => true);
  check("the rapport-server is stopped", down);
  const readBack = async (p, label) => {
    const list = (await call(p, "list", { kind: "visit" })).value;
    const ids = new Set(list.map((v) => v.id));
    const st = (await call(p, "status")).value;
    check(
      `${label}: the records written earlier read back`,
      list.length === visitsBefore.length && ids.has(synced) && ids.has(pending) && st.signed_in_as === "li@demo",
      `${list.length} of ${visitsBefore.length}, ${JSON.stringify(st)}`,
    );
  };

  await loadAndOpen(page, "reload, server down", () => page.reload());
  check("server down, a reload loads the page, starts the worker and opens the store", true);
  await readBack(page, "after the reload");
  const offline = await page.evaluate(() => window.rapport.call("sync"));
  check("the API is network only: a sync fails as offline", !offline.ok && offline.error?.kind === "offline", JSON.stringify(offline));
  await page.close();

  const fresh = await newPage();
  await loadAndOpen(fresh, "new page, server down", () => fresh.goto(app));
  check("server down, a new page of the same browser opens the app", true);
  await readBack(fresh, "in the new page");
  await fresh.close();

  // A screen of the app (a deep link) is the cached page too.
  const deep = await newPage();
  await deep.goto(`${app}visits/today`);
  await deep.waitForFunction(() => window.rapportReady === true, null, { timeout: 15000 });
  check("server down, a screen of the app (/app/visits/today) opens the cached page", await deep.evaluate(() => !!window.rapport));
  await deep.close();

  // The installed app's first load: the browser restarted, the server still down.
  await context.close();
  await launch();
  const cold = context.pages()[0] ?? (await newPage());
  const coldOpen = await loadAndOpen(cold, "first load of the installed app from cache (browser restart, server down)", () => cold.goto(app));
  check("server down, after a browser restart the app opens from cache", coldOpen.at > 0);
  await readBack(cold, "after the browser restart");
  await context.close();
  context = null;
} catch (e) {
  results.failed++;
  console.log(`FAIL ${e.stack ?? e}`);
} finally {
  if (context) await context.close().catch(() => {});
  server.kill();
  for (const dir of [profile, dataDir]) rmSync(dir, { recursive: true, force: true });
}

console.log("timings:");
for (const [k, v] of Object.entries(timings)) console.log(`  ${k}: ${v}`);
finish();
