// The rep's web app end to end, through its UI, as a rep uses it on a phone (390×844):
// headless Chromium against a real `rapport-server --demo` serving the app at /app/.
//
//   1. Offline: sign in on the sign-in screen and let the first sync finish; then the
//      network goes (the browser context offline AND the server process stopped). Through
//      the UI: a visit is logged on an account, a favour logged, a contact's VIP card
//      edited (its interests). After a page reload, then a browser restart on the same
//      profile, all three are still there (the account's timeline and contacts, and the
//      page's window.rapport.call hook) and the top bar says "3 changes waiting". The
//      server comes back (same data dir) and the context goes online: the app syncs on
//      `online`, the bar reaches "All synced", and the manager's weekly report counts
//      exactly one more visit for li.
//   2. Two devices, one record: the web app and the CLI (`rapport`, its own store) both
//      sync, go offline, edit DIFFERENT fields of the same contact's VIP card (web: its
//      concerns through the form; CLI: `contact card … --interests`), then sync (web, CLI,
//      web again). Both edits are on both devices, and the document is the same on both:
//      the Automerge heads of the CLI's stored document (its SQLite store) equal those of
//      the web's (the OPFS store file, read from the browser profile once it is closed).
//   3. A rejection shown on its record: li edits a visit another rep (zhang) wrote, on an
//      account they share; the server refuses it (not_author) and the visit's form shows
//      the reason.
//
//   node app/test/e2e-test.mjs
//
// Binaries: $RAPPORT_SERVER_BIN and $RAPPORT_CLI_BIN, else target/debug/rapport-server and
// target/debug/rapport under $CARGO_TARGET_DIR or the repository (the server embeds
// app/dist when compiled: build it after scripts/build-app). Chromium: $CHROMIUM or
// /usr/bin/chromium. Temporary files go to $TMPDIR (os.tmpdir()). Prints ok/FAIL lines and
// a closing "N passed, M failed"; exits non-zero on any failure.

import { chromium } from "playwright-core";
import { binary, check, executablePath, finish, freePort, repoDir, results } from "./harness.mjs";
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync, openSync, readSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const PHONE = { width: 390, height: 844 };
const T = 20_000; // the bound of every wait for a UI state

const serverBin = binary("RAPPORT_SERVER_BIN", "rapport-server");
const cliBin = binary("RAPPORT_CLI_BIN", "rapport");
if (!serverBin || !cliBin) {
  console.log(`FAIL no ${!serverBin ? "rapport-server" : "rapport"} binary: cargo build -p rapport-server -p rapport-cli`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), "rapport-e2e-"));
const dataDir = join(tmp, "server");
const profile = join(tmp, "profile");
const cliHome = join(tmp, "cli");
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const app = `${base}/app/?lang=en`;

// The server: started, stopped (the network is gone) and started again on the same data
// dir and port (the app's origin).
let server = null;
async function startServer() {
  const p = spawn(serverBin, ["--demo", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  p.stderr.on("data", (d) => (stderr += d));
  p.exited = new Promise((r) => p.on("exit", r));
  server = p;
  for (let i = 0; i < 200; i++) {
    if (p.exitCode !== null) throw new Error(`rapport-server exited: ${stderr}`);
    try {
      if ((await fetch(`${base}/app/manifest.webmanifest`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("rapport-server did not answer");
}
async function stopServer() {
  if (!server || server.exitCode !== null) return;
  server.kill("SIGTERM");
  const done = await Promise.race([server.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
  if (!done) {
    server.kill("SIGKILL");
    await server.exited;
  }
}

// The manager's weekly report: li's visits this week.
async function liVisitsThisWeek() {
  const login = await fetch(`${base}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ company: "demo", username: "wang", password: "rapport-demo" }),
  });
  const { access_token } = await login.json();
  const r = await fetch(`${base}/v1/reports/visits/weekly`, { headers: { authorization: `Bearer ${access_token}` } });
  const body = await r.json();
  return body.reps?.find((rep) => rep.username === "li")?.visits ?? NaN;
}

// The CLI, on its own store.
async function cli(...args) {
  const { stdout } = await run(cliBin, ["--home", cliHome, "--lang", "en", ...args], { timeout: 30_000 });
  return stdout;
}

// The browser: one persistent profile, at phone size.
let context;
let page;
async function launch({ offline = false } = {}) {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    offline,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => console.log(`  [page error] ${e.message}`));
  return page;
}

async function call(op, args) {
  const r = await page.evaluate(([op, args]) => window.rapport.call(op, args), [op, args]);
  if (!r.ok) throw new Error(`${op}: ${JSON.stringify(r.error)}`);
  return r.value;
}

// The app is up: the hook is there and the top bar (signed in) or the sign-in form shows.
async function appReady() {
  await page.waitForFunction(() => window.rapportReady === true, null, { timeout: T });
  await page.locator(".app-top, main.login").first().waitFor({ timeout: T });
}

const topWaiting = () => page.locator(".app-top .waiting");
async function waitForWaiting(text) {
  await page.locator(".app-top .waiting", { hasText: text }).waitFor({ timeout: T });
}

// A form field by its label (the form draws `.field` > `.label` + its input).
function field(label) {
  return page
    .locator(".field")
    .filter({ has: page.locator(".label", { hasText: new RegExp(`^${label}`) }) })
    .locator("input, textarea, select")
    .first();
}

async function openAccount(name) {
  await page.goto(`${base}/app/?lang=en#/`);
  await appReady();
  await page.locator("a.row", { has: page.locator(".row-title", { hasText: name }) }).first().click();
  await page.locator(".account-head h1", { hasText: name }).waitFor({ timeout: T });
}

async function saveForm() {
  await page.locator(".save-bar button.primary").click();
  // Saved: the form goes back to the account.
  await page.locator(".account-head").waitFor({ timeout: T });
}

// Edits a contact through its form: the contacts tab, the contact, one field.
async function editContactField(accountName, contactName, label, value) {
  await openAccount(accountName);
  await page.locator("nav.tabs a", { hasText: "Contacts" }).click();
  await page.locator("a.row", { has: page.locator(".row-title", { hasText: contactName }) }).first().click();
  await page.locator(".form-head h1", { hasText: "Edit contact" }).waitFor({ timeout: T });
  await field(label).fill(value);
  await saveForm();
}

// The Automerge heads of a saved document (a document chunk: magic, checksum, type 0,
// length, actors, then the heads), sorted.
function headsOf(buf) {
  if (buf.subarray(0, 4).toString("hex") !== "856f4a83" || buf[8] !== 0) throw new Error("not an Automerge document");
  let i = 9;
  const uleb = () => {
    let r = 0;
    let s = 0;
    let b;
    do {
      b = buf[i++];
      r += (b & 0x7f) * 2 ** s;
      s += 7;
    } while (b & 0x80);
    return r;
  };
  uleb();
  for (let n = uleb(); n > 0; n--) {
    const len = uleb();
    i += len;
  }
  const heads = [];
  for (let n = uleb(); n > 0; n--, i += 32) heads.push(buf.subarray(i, i + 32).toString("hex"));
  return heads.sort();
}

async function sqliteHeads(dbFile, id) {
  const { stdout } = await run("sqlite3", [dbFile, `SELECT hex(data) FROM documents WHERE id = '${id}'`]);
  return stdout.trim() ? headsOf(Buffer.from(stdout.trim(), "hex")) : null;
}

// The web store's SQLite file, out of the closed browser's profile: the OPFS pool keeps
// each file as a plain file with a 4096-byte header of its own before the data.
function webStoreCopy() {
  const hits = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size > 4096 + 100) {
        const fd = openSync(p, "r");
        const head = Buffer.alloc(16);
        readSync(fd, head, 0, 16, 4096);
        closeSync(fd);
        if (head.toString("latin1") === "SQLite format 3\0") hits.push(p);
      }
    }
  };
  walk(profile);
  if (hits.length !== 1) throw new Error(`store files in the profile: ${hits.length}`);
  const out = join(tmp, "web-store.db");
  writeFileSync(out, readFileSync(hits[0]).subarray(4096));
  return out;
}

async function main() {
  await startServer();
  const reportBefore = await liVisitsThisWeek();

  // ---- 1. Offline: sign in, cut the network, write three records, survive, sync.
  await launch();
  await page.goto(app);
  await appReady();
  await page.locator("main.login").waitFor({ timeout: T });
  await page.getByLabel("Company").fill("demo");
  await page.getByLabel("User name").fill("li");
  await page.getByLabel("Password").fill("rapport-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".app-top").waitFor({ timeout: T });
  const signedIn = await call("status");
  check("sign-in screen: li is signed in", signedIn.signed_in_as === "li@demo" && signedIn.has_tokens, JSON.stringify(signedIn));
  // The first sync: the Today screen lists li's accounts, the sync is over (no
  // "Syncing…" line, the button's icon still) and the bar says "All synced".
  await page.locator('.card .rows a.row[href^="#/account/"]').first().waitFor({ timeout: T });
  await page.locator(".app-top .spin-icon.turning").waitFor({ state: "detached", timeout: T });
  await page.locator(".app-top .bar-line.info").waitFor({ state: "detached", timeout: T });
  await waitForWaiting("All synced");
  const accounts = await call("accounts");
  check("the first sync brought li's accounts", accounts.length > 0, `${accounts.length}`);
  // The service worker controls the page (the app must open with no network).
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: T });

  // An account with two contacts that have a VIP card: one for test 1, one for test 2.
  const contacts = await call("list", { kind: "contact" });
  const carded = contacts.filter((c) => c.vip_card);
  const byAccount = new Map();
  for (const c of carded) byAccount.set(c.account_id, [...(byAccount.get(c.account_id) ?? []), c]);
  const accId = [...byAccount.keys()].find((a) => byAccount.get(a).length >= 2) ?? carded[0]?.account_id;
  const account = accounts.find((a) => a.id === accId);
  const [c1, c2 = c1] = byAccount.get(accId) ?? [];
  if (!account || !c1) throw new Error("no account with a carded contact in the demo data");
  console.log(`  account ${account.name}; contacts ${c1.name}, ${c2.name}`);

  // The network goes: the context offline and the server stopped.
  await context.setOffline(true);
  await stopServer();
  await page.waitForFunction(() => navigator.onLine === false, null, { timeout: T });
  await page.locator(".app-top .net.off").waitFor({ timeout: T });
  check("offline: the top bar says so", true);

  const stamp = Date.now().toString(36);
  const purpose = `e2e offline visit ${stamp}`;
  const favourText = `e2e offline favour ${stamp}`;
  const interests = `e2e golf ${stamp}`;

  // A visit, through the visit form.
  await openAccount(account.name);
  await page.locator("a.button", { hasText: "Log visit" }).click();
  await page.locator(".form-head h1", { hasText: "New visit" }).waitFor({ timeout: T });
  await field("Purpose").fill(purpose);
  await page.locator("button.chip", { hasText: c1.name }).first().click();
  await saveForm();
  await page.locator(".rows .row-title", { hasText: purpose }).waitFor({ timeout: T });
  check("offline: the visit is on the account's timeline", true);

  // A favour.
  await page.locator("a.log-btn", { hasText: "favour" }).click();
  await page.locator(".form-head h1", { hasText: "New favour" }).waitFor({ timeout: T });
  await field("Description").fill(favourText);
  await saveForm();
  await page.locator(".rows .row-title", { hasText: favourText }).waitFor({ timeout: T });
  check("offline: the favour is on the account's timeline", true);

  // A contact's VIP card: its interests.
  await editContactField(account.name, c1.name, "Interests", interests);
  await waitForWaiting("3 changes waiting");
  check("offline: the top bar says 3 changes waiting", (await topWaiting().textContent()) === "3 changes waiting", await topWaiting().textContent());

  // What the UI shows, and what the store holds, after a reload and after a restart.
  async function allThree(when) {
    await openAccount(account.name);
    const timeline = page.locator(".rows .row-title");
    await timeline.filter({ hasText: purpose }).waitFor({ timeout: T });
    await timeline.filter({ hasText: favourText }).waitFor({ timeout: T });
    check(`${when}: the visit and the favour are on the timeline`, true);
    await page.locator("nav.tabs a", { hasText: "Contacts" }).click();
    await page.locator("a.row", { has: page.locator(".row-title", { hasText: c1.name }) }).first().click();
    await page.locator(".form-head h1", { hasText: "Edit contact" }).waitFor({ timeout: T });
    check(`${when}: the contact's form shows the new interests`, (await field("Interests").inputValue()) === interests);
    const visits = await call("list", { kind: "visit", account_id: account.id });
    const favours = await call("list", { kind: "favour", account_id: account.id });
    const contact = await call("get", { kind: "contact", id: c1.id });
    check(
      `${when}: the store holds the three records`,
      visits.some((v) => v.purpose === purpose && v.contacts_met.includes(c1.id)) &&
        favours.some((f) => f.description === favourText) &&
        contact.vip_card?.interests === interests,
    );
    await waitForWaiting("3 changes waiting");
    check(`${when}: the top bar says 3 changes waiting`, (await topWaiting().textContent()) === "3 changes waiting");
  }
  await page.reload();
  await appReady();
  await allThree("after a reload, offline");

  await context.close();
  await launch({ offline: true });
  await page.goto(app);
  await appReady();
  await allThree("after a browser restart, offline");

  // The network comes back: the server (same data dir), then the context online.
  await startServer();
  await page.goto(`${base}/app/?lang=en#/`);
  await appReady();
  await context.setOffline(false);
  let how = "on online";
  try {
    await page.locator(".app-top .waiting", { hasText: "All synced" }).waitFor({ timeout: 10_000 });
  } catch {
    how = "by the sync button";
    await page.locator(".app-top button.sync-btn").click();
    await waitForWaiting("All synced");
  }
  const st = await call("status");
  check(`back online: the app synced (${how}), 0 waiting`, st.waiting === 0 && (await topWaiting().textContent()) === "All synced", JSON.stringify(st));
  const reportAfter = await liVisitsThisWeek();
  console.log(`  weekly report as wang, li's visits: ${reportBefore} -> ${reportAfter}`);
  check("the manager's weekly report counts exactly one more visit for li", reportAfter === reportBefore + 1, `${reportBefore} -> ${reportAfter}`);

  // ---- 2. The web app and the CLI edit different fields of one record, offline.
  await cli("login", "--server", base, "--company", "demo", "--user", "li", "--password", "rapport-demo");
  await cli("sync");
  await page.locator(".app-top button.sync-btn").click();
  await waitForWaiting("All synced");
  const cliDb = join(cliHome, "rapport.db");
  const webBefore = await call("get", { kind: "contact", id: c2.id });
  const oldInterests = webBefore.vip_card.interests;
  const oldConcerns = webBefore.vip_card.concerns;
  check("both devices synced: the CLI shows the contact's card", (await cli("contact", "show", c2.id)).includes(c2.name));

  await context.setOffline(true);
  await stopServer();
  const webConcerns = `e2e web concerns ${stamp}`;
  const cliInterests = `e2e cli interests ${stamp}`;
  await editContactField(account.name, c2.name, "Personal concerns", webConcerns);
  await waitForWaiting("1 change waiting");
  await cli("contact", "card", c2.id, "--interests", cliInterests);
  const cliOffline = await cli("contact", "show", c2.id);
  check("offline: each device has its own edit", cliOffline.includes(cliInterests) && !cliOffline.includes(webConcerns));

  await startServer();
  await context.setOffline(false);
  await waitForWaiting("All synced"); // the web syncs first (on online)
  const cliSync = await cli("sync");
  check("the CLI syncs: its change accepted", /documents accepted: 1/.test(cliSync), cliSync);
  await page.locator(".app-top button.sync-btn").click();
  await page.waitForFunction(
    async (id) => {
      const r = await window.rapport.call("get", { kind: "contact", id });
      return r.ok && r.value.vip_card?.interests?.startsWith("e2e cli");
    },
    c2.id,
    { timeout: T, polling: 250 },
  );
  await waitForWaiting("All synced");
  const web = await call("get", { kind: "contact", id: c2.id });
  const bothOnWeb = web.vip_card.concerns === webConcerns && web.vip_card.interests === cliInterests;
  let diag = "";
  if (!bothOnWeb) {
    const events = await page.evaluate(() => window.rapport.events.filter((e) => e.event === "sync").slice(-12));
    await new Promise((r) => setTimeout(r, 3000));
    const later = await call("get", { kind: "contact", id: c2.id });
    diag = `${JSON.stringify(web.vip_card)} events ${JSON.stringify(events)} 3 s later ${JSON.stringify(later.vip_card)}`;
  }
  check("web: both edits survive (concerns from the web, interests from the CLI)", bothOnWeb, diag);
  await editContactFormCheck(account.name, c2.name, webConcerns, cliInterests);
  const cliShow = await cli("contact", "show", c2.id);
  check("CLI: both edits survive", cliShow.includes(webConcerns) && cliShow.includes(cliInterests), cliShow);
  check("the edits replaced the old values", oldInterests !== cliInterests && oldConcerns !== webConcerns);

  // ---- 3. A rejection on its record: li edits a visit zhang wrote (not the author).
  // Records carry no author: the server's database says which visits another rep wrote.
  const { stdout: theirs } = await run("sqlite3", [
    join(dataDir, "rapport.db"),
    "SELECT d.id FROM documents d JOIN users u ON u.id = d.author_id WHERE d.kind = 'visit' AND u.username <> 'li'",
  ]);
  const theirIds = new Set(theirs.split("\n").filter(Boolean));
  const visits = await call("list", { kind: "visit" });
  const others = visits.filter((v) => theirIds.has(v.id));
  let rejectedVisit = null;
  if (others.length) {
    rejectedVisit = others[0];
    await page.goto(`${base}/app/?lang=en#/edit/visit/${rejectedVisit.id}`);
    await appReady();
    await page.locator(".form-head h1", { hasText: "Edit visit" }).waitFor({ timeout: T });
    await field("Purpose").fill(`e2e not mine ${stamp}`);
    await page.locator(".save-bar button.primary").click();
    await page.locator(".toast", { hasText: "Saved" }).waitFor({ timeout: T });
    await page.locator(".app-top button.sync-btn").click();
    await page.locator(".app-top .bar-line.bad", { hasText: "refused" }).waitFor({ timeout: T });
    const st3 = await call("status");
    const r = st3.rejected.find((x) => x.doc_id === rejectedVisit.id);
    check("the server refused the edit of another rep's visit", r?.code === "not_author", JSON.stringify(st3.rejected));
    await page.goto(`${base}/app/?lang=en#/edit/visit/${rejectedVisit.id}`);
    await appReady();
    const onRecord = page.locator(".form-screen .error", { hasText: "The server refused this visit" });
    await onRecord.waitFor({ timeout: T });
    check("the visit's form shows the reason", (await onRecord.textContent()).includes(r?.reason ?? "?"), await onRecord.textContent());
  } else {
    console.log("  (no visit by another rep on li's devices: test 3 skipped)");
  }

  // The same document on both devices: the web store's heads (read from the profile once
  // the browser is closed) equal the CLI's.
  await context.close();
  context = null;
  const cliHeads = await sqliteHeads(cliDb, c2.id);
  const { stdout: snap } = await run("sqlite3", [join(dataDir, "rapport.db"), `SELECT hex(snapshot) FROM documents WHERE id = '${c2.id}'`]);
  const serverHeads = headsOf(Buffer.from(snap.trim(), "hex"));
  const webHeads = await sqliteHeads(webStoreCopy(), c2.id);
  console.log(`  heads: web ${webHeads?.map((h) => h.slice(0, 12))} cli ${cliHeads?.map((h) => h.slice(0, 12))}`);
  check("the contact's document is the same on both devices (equal heads)", JSON.stringify(webHeads) === JSON.stringify(cliHeads) && cliHeads?.length > 0);
  check("… and on the server", JSON.stringify(serverHeads) === JSON.stringify(cliHeads) && serverHeads.length > 0);
}

async function editContactFormCheck(accountName, contactName, concerns, interests) {
  await openAccount(accountName);
  await page.locator("nav.tabs a", { hasText: "Contacts" }).click();
  await page.locator("a.row", { has: page.locator(".row-title", { hasText: contactName }) }).first().click();
  await page.locator(".form-head h1", { hasText: "Edit contact" }).waitFor({ timeout: T });
  check(
    "web: the contact's form shows both edits",
    (await field("Personal concerns").inputValue()) === concerns && (await field("Interests").inputValue()) === interests,
  );
}

try {
  await main();
} catch (e) {
  results.failed++;
  console.log(`FAIL ${e?.stack ?? e}`);
  if (page && context) {
    try {
      await page.screenshot({ path: join(tmpdir(), "rapport-e2e-failure.png") });
      console.log(`  screenshot: ${join(tmpdir(), "rapport-e2e-failure.png")}`);
    } catch {}
  }
} finally {
  if (context) await context.close().catch(() => {});
  await stopServer().catch(() => {});
  if (process.env.E2E_KEEP) console.log(`  kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
finish();
