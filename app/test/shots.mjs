// Screenshots of the reps' app for the docs: the real rapport-server (`--demo`) serves
// /app/, headless Chromium at phone size (390×844) signs in as the demo rep li, syncs,
// and captures the main screens in Chinese and in English into
// docs/screenshots/app-<screen>-<lang>.png.
//
//   node app/test/shots.mjs           (after a build of the server: cargo build -p rapport-server)
//
// The rapport-server binary: $RAPPORT_SERVER_BIN, else target/debug/rapport-server under
// $CARGO_TARGET_DIR or the repository. Chromium: $CHROMIUM or /usr/bin/chromium. Chinese
// text needs a CJK font (Debian: fonts-wqy-microhei). $SHOTS_DIR overrides the output.

import { chromium } from "playwright-core";
import { binary, executablePath, freePort, repoDir, waitForServer } from "./harness.mjs";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const outDir = process.env.SHOTS_DIR ?? join(repoDir, "docs", "screenshots");

const serverBin = binary("RAPPORT_SERVER_BIN", "rapport-server");
if (!serverBin) {
  console.error("no rapport-server binary: cargo build -p rapport-server");
  process.exit(1);
}

const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), "rapport-shots-data-"));
const server = spawn(serverBin, ["--demo", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir], { stdio: "ignore" });
const base = `http://127.0.0.1:${port}`;
const app = `${base}/app/`;
mkdirSync(outDir, { recursive: true });

let browser;
let failed = false;
try {
  await waitForServer(`${base}/healthz`);
  browser = await chromium.launch({ executablePath, headless: true });
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
  });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`  [page error] ${e.message}`));

  const call = async (op, args) => {
    const r = await page.evaluate(([op, args]) => window.rapport.call(op, args), [op, args]);
    if (!r.ok) throw new Error(`${op}: ${JSON.stringify(r.error)}`);
    return r.value;
  };
  // A load of the app in `lang`, waiting for the page's readiness and, when signed in, the
  // end of the sync it starts by itself.
  const load = async (lang, hash) => {
    await page.goto(`${app}?lang=${lang}${hash}`);
    await page.waitForFunction(() => window.rapportReady === true, null, { timeout: 20000 });
    await page.waitForSelector("main.login, header.app-top", { timeout: 20000 });
    if (await page.locator("header.app-top").count()) {
      await page.waitForFunction(() => window.rapport.events.some((e) => e.event === "sync" && (e.phase === "done" || e.phase === "failed")), null, {
        timeout: 30000,
      });
    }
    await page.waitForTimeout(600);
  };
  const go = async (hash) => {
    await page.evaluate((h) => (location.hash = h), hash);
    await page.waitForTimeout(800);
  };
  const shot = async (name, lang, fullPage = false) => {
    const path = join(outDir, `app-${name}-${lang}.png`);
    if (fullPage) {
      // The whole screen: a viewport as tall as the page, so that the fixed bars (the
      // form's save bar, the bottom navigation) sit at its bottom as on a phone.
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.setViewportSize({ width: 390, height: Math.min(Math.max(height, 844), 2600) });
      await page.waitForTimeout(300);
    }
    await page.screenshot({ path });
    if (fullPage) await page.setViewportSize({ width: 390, height: 844 });
    console.log(`wrote ${path}`);
  };

  // Sign in once (zh), through the form, as a rep would; then sync.
  await load("zh", "#/");
  await shot("signin", "zh");
  await load("en", "#/");
  await shot("signin", "en");
  const inputs = page.locator("form input");
  await inputs.nth(0).fill("demo");
  await inputs.nth(1).fill("li");
  await inputs.nth(2).fill("rapport-demo");
  await page.locator("form button").click();
  await page.waitForFunction(() => window.rapport.events.some((e) => e.event === "sync" && e.phase === "done"), null, { timeout: 30000 });

  // What to show: li's first account with a timeline, a key contact with a VIP card, an
  // opportunity (one in the danger zone when there is one).
  const accounts = await call("accounts");
  const contacts = await call("list", { kind: "contact" });
  const opportunities = await call("list", { kind: "opportunity" });
  const account = accounts[0];
  const contact = contacts.find((c) => c.vip_card && c.account_id === account.id) ?? contacts.find((c) => c.vip_card) ?? contacts[0];
  const opportunity = opportunities.find((o) => o.danger?.unknown_roles?.length || o.danger?.unmet_roles?.length) ?? opportunities[0];
  console.log(`li: ${accounts.length} accounts, ${contacts.length} contacts, ${opportunities.length} opportunities`);

  for (const lang of ["zh", "en"]) {
    await load(lang, "#/");
    await shot("today", lang);
    await go(`#/account/${account.id}`);
    await shot("account", lang);
    await go(`#/new/visit?account=${account.id}`);
    await shot("visit", lang, true);
    await go(`#/edit/contact/${contact.id}`);
    await shot("contact", lang, true);
    await go(`#/edit/opportunity/${opportunity.id}`);
    await shot("opportunity", lang, true);
    await go("#/scorecard");
    await page.waitForTimeout(700);
    await shot("scorecard", lang, true);
    await go("#/sync");
    await shot("sync", lang, true);
  }
} catch (e) {
  failed = true;
  console.error(e.stack ?? e);
} finally {
  if (browser) await browser.close().catch(() => {});
  server.kill();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
