// The development page's script (the UI in app/ui replaces the page): once this tab owns
// the store (owner.js), starts the worker and exposes window.rapport.call(op, args),
// which the browser tests drive. Resolves to {ok, value | error, ms}; `ms` is measured
// inside the worker.
import { becomeOwner, OTHER_TAB_MESSAGE } from "./owner.js";

const status = document.getElementById("status");
const logEl = document.getElementById("log");
function log(line) {
  logEl.textContent += line + "\n";
}

const owner = await becomeOwner({
  onWaiting() {
    status.textContent = OTHER_TAB_MESSAGE;
    status.hidden = false;
    window.rapportWaiting = true;
  },
});
status.hidden = true;
window.rapportWaiting = false;

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
let next = 1;
const waiting = new Map();
// Unsolicited events ({event: "sync" | "status", …}) are kept in `events` for the tests.
const events = [];
worker.onmessage = (e) => {
  if (e.data.event) {
    events.push(e.data);
    return;
  }
  const { id } = e.data;
  const w = waiting.get(id);
  waiting.delete(id);
  w(e.data);
};
worker.onerror = (e) => log(`worker error: ${e.message}`);
function call(op, args) {
  const id = next++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    worker.postMessage({ id, op, args });
  });
}
window.rapport = { call, log, events, tookOver: owner.waited };
window.rapportReady = true;
