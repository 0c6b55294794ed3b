// Rapport's service worker (scope /app/): the app starts with no network.
//
// - Install: fetches precache.json (written by scripts/build-app: every file of the
//   build with its SHA-256), checks it is the list this worker was built with (VERSION is
//   the start of its SHA-256, written here by build-app), fetches every file, checks each
//   one's SHA-256 and stores them all in the cache "rapport-app-<VERSION>". A file that
//   does not match fails the install, and the app keeps running from the previous cache.
// - Activate: deletes the caches of earlier builds and takes control of the open pages.
// - Fetch: files of the app (GET, under /app/) come from the cache first; a screen of
//   the app (a navigation to a path without an extension) is the cached page, so the app
//   opens offline. Anything else, the API (/v1/) first of all, is not touched: network
//   only, never cached.
// - Revalidation: sw.js is served with Cache-Control: no-cache, and the browser checks
//   it after every navigation in scope (cheaply: the server's ETag). A new build changes
//   VERSION, so the browser installs the new worker, which caches the whole new build at
//   once: files of two builds are never mixed. The new worker then waits until the app's
//   pages are closed, or until a page posts {type: "skip-waiting"} (see pwa.js), except
//   on the very first install, which takes control at once.
"use strict";

// Replaced by scripts/build-app in app/dist/sw.js; "dev" (app/web unbuilt) caches nothing.
const VERSION = "7715f6d952bd0479";
const PREFIX = "rapport-app-";
const CACHE = PREFIX + VERSION;
const SCOPE = new URL(self.registration.scope);

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
async function sha256(buffer) {
  return hex(await crypto.subtle.digest("SHA-256", buffer));
}

async function precache() {
  const listUrl = new URL("precache.json", SCOPE);
  const resp = await fetch(listUrl, { cache: "no-cache" });
  if (!resp.ok) throw new Error(`precache.json: HTTP ${resp.status}`);
  const bytes = await resp.arrayBuffer();
  if (!(await sha256(bytes)).startsWith(VERSION)) {
    // The server already has another build: its own sw.js will install it.
    throw new Error("precache.json is not the list this service worker was built with");
  }
  const { files } = JSON.parse(new TextDecoder().decode(bytes));
  const cache = await caches.open(CACHE);
  await Promise.all(
    Object.entries(files).map(async ([path, hash]) => {
      const url = new URL(path, SCOPE);
      const r = await fetch(url, { cache: "no-cache" });
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
      const body = await r.clone().arrayBuffer();
      if ((await sha256(body)) !== hash) throw new Error(`${path}: not the file of this build`);
      await cache.put(url, r);
    }),
  );
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      if (VERSION !== "dev") await precache();
      // First install: nothing to mix with, control the app at once.
      if (!self.registration.active) await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
});

// A path of the app without an extension is one of its screens: the server answers it
// with the page, and so does this worker.
function isScreen(path) {
  return !path.split("/").pop().includes(".");
}

async function fromCache(request, url) {
  const cache = await caches.open(CACHE);
  let key = url;
  const path = url.pathname.slice(SCOPE.pathname.length);
  if (request.mode === "navigate" && isScreen(path)) key = new URL("index.html", SCOPE);
  const hit = await cache.match(key, { ignoreSearch: true });
  return hit ?? fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (VERSION === "dev" || request.method !== "GET") return;
  const url = new URL(request.url);
  // Only the app's own files; the API and everything else go to the network untouched.
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return;
  if (url.pathname === SCOPE.pathname + "sw.js" || url.pathname === SCOPE.pathname + "precache.json") return;
  event.respondWith(fromCache(request, url));
});
