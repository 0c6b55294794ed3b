// What the app's browser tests, screenshots and benchmark share: where the repository,
// its binaries and Chromium are, free ports, waiting for a server, and the ok/FAIL lines
// with the closing "N passed, M failed" that scripts/test counts.
import { existsSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

/// A binary of the workspace: `$envName` if set, else target/debug/<name> under
/// $CARGO_TARGET_DIR or the repository; undefined when it is not built.
export function binary(envName, name) {
  return (
    process.env[envName] ??
    [process.env.CARGO_TARGET_DIR, join(repoDir, "target")]
      .filter(Boolean)
      .map((d) => join(d, "debug", name))
      .find((p) => existsSync(p))
  );
}

/// A port nobody listens on, on 127.0.0.1.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/// Resolves once `url` answers 2xx (10 s at most).
export async function waitForServer(url, tries = 100) {
  for (let i = 0; i < tries; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no server at ${url}`);
}

/// The checks made so far.
export const results = { passed: 0, failed: 0 };

/// Prints `ok` or `FAIL` (with `detail`) for one check, and counts it.
export function check(name, cond, detail = "") {
  if (cond) {
    results.passed++;
    console.log(`ok   ${name}`);
  } else {
    results.failed++;
    console.log(`FAIL ${name} ${detail}`);
  }
}

/// Prints the closing line and ends the process: non-zero when a check failed.
export function finish() {
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed === 0 ? 0 : 1);
}
