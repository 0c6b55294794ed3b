// One tab owns the store. OPFS sync access handles are exclusive, so only one worker at a
// time can open Rapport's store; the tab that holds the Web Lock "rapport-store" is the
// one that starts it. Another tab waits for the lock (and says so), and takes over when
// the owner closes: the browser frees a tab's locks when the tab goes away.
//
//   import { becomeOwner } from "/app/owner.js";
//   await becomeOwner({ onWaiting: () => show("Rapport is open in another tab") });
//   hide(); startWorker();
//
// The lock is held for the life of the page (released early only by `release()`).

export const STORE_LOCK = "rapport-store";
export const OTHER_TAB_MESSAGE = "Rapport is open in another tab";

/// Resolves once this tab holds the lock, with `{ release, waited }`. Calls `onWaiting()`
/// first if another tab holds it. Without the Web Locks API (Safari before 15.4) it
/// resolves at once: the store's own exclusivity is then the only guard.
export async function becomeOwner({ name = STORE_LOCK, onWaiting } = {}) {
  if (!globalThis.navigator?.locks) return { release() {}, waited: false, locks: false };
  let release;
  const held = new Promise((r) => (release = r));
  const take = (options) =>
    new Promise((resolve, reject) => {
      navigator.locks
        .request(name, options, (lock) => {
          resolve(lock !== null);
          return lock ? held : undefined;
        })
        .catch(reject);
    });
  if (await take({ ifAvailable: true })) return { release, waited: false, locks: true };
  onWaiting?.();
  await take({});
  return { release, waited: true, locks: true };
}

/// Retries `fn` while it fails: a tab that takes over can find the previous owner's
/// worker still closing its OPFS handles for a moment.
export async function retry(fn, { tries = 20, delayMs = 100 } = {}) {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
