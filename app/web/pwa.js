// Installs Rapport's service worker (app/web/sw.js, scope /app/), so the app starts
// offline. A classic script (it must not be inline: the app's content security policy
// allows only scripts from the server): <script src="/app/pwa.js" defer></script>.
//
// window.rapportPwa:
//   registration      a promise of the ServiceWorkerRegistration (null if unsupported)
//   onUpdateReady(cb) cb() when a new build is installed and waits to take over
//   applyUpdate()     lets the waiting build take over, then reloads the page
//   persist()         asks the browser not to evict the app's storage (OPFS: the store);
//                     call it after sign-in. Resolves to whether storage is persistent
"use strict";
(() => {
  const sw = navigator.serviceWorker;
  const registration = sw
    ? sw.register("/app/sw.js", { scope: "/app/", updateViaCache: "none" }).catch((e) => {
        console.warn(`service worker not installed: ${e?.message ?? e}`);
        return null;
      })
    : Promise.resolve(null);

  function onUpdateReady(cb) {
    registration.then((reg) => {
      if (!reg) return;
      // Only an update: the first install takes control by itself.
      const ready = () => reg.waiting && sw.controller && cb();
      ready();
      reg.addEventListener("updatefound", () => {
        const w = reg.installing;
        w?.addEventListener("statechange", () => w.state === "installed" && ready());
      });
    });
  }

  async function applyUpdate() {
    const reg = await registration;
    if (!reg?.waiting) return;
    sw.addEventListener("controllerchange", () => location.reload(), { once: true });
    reg.waiting.postMessage({ type: "skip-waiting" });
  }

  async function persist() {
    const s = navigator.storage;
    if (!s?.persist) return false;
    return (await s.persisted()) || (await s.persist());
  }

  // Back online: look for a new build now rather than at the next navigation.
  addEventListener("online", () => registration.then((reg) => reg?.update().catch(() => {})));

  window.rapportPwa = { registration, onUpdateReady, applyUpdate, persist };
})();
