// The worker that owns Rapport's store: the wasm core and its SQLite on OPFS live here,
// since OPFS sync access handles exist only in dedicated workers. The page talks to it
// with messages {id, op, args} and gets back {id, ok, value | error, ms}.
//
// Sign-in and sync: the core (client-core's sans-IO sync) builds each request and applies
// each answer; this worker only does the `fetch`. The server is this page's own origin
// (the app is served from it: no CORS).
import init, * as core from "./rapport_web.js";

let store = null;
let syncing = null;

// Sends a request the core built; returns [status, contentType, bytes]. A `fetch` that
// throws (offline, refused connection) is the core's "server cannot be reached".
async function send(req) {
  let resp;
  try {
    resp = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body ?? undefined });
  } catch (e) {
    throw new Error(`offline: the server cannot be reached: ${e?.message ?? e}`);
  }
  const bytes = new Uint8Array(await resp.arrayBuffer());
  return [resp.status, resp.headers.get("content-type"), bytes];
}

// One sync: as many rounds as the core asks for (a token refresh counts as one). One at
// a time: a second call waits for the running one and gets its result.
async function sync() {
  for (let req; (req = store.sync_begin()) !== null; ) {
    let answer;
    try {
      answer = await send(req);
    } catch (e) {
      store.sync_abort();
      throw e;
    }
    store.sync_finish(...answer);
  }
  return JSON.parse(store.sync_report());
}
const ready = (async () => {
  const t0 = performance.now();
  await init();
  return performance.now() - t0;
})();

const ops = {
  async init_ms() {
    return await ready;
  },
  async open({ name }) {
    await ready;
    if (!store) store = await core.open_store(name);
    return true;
  },
  new_id() {
    return core.new_id();
  },
  save_session({ server_url, company, username, session }) {
    store.save_session(server_url, company, username, JSON.stringify(session));
    return true;
  },
  async login({ server_url, company, username, password }) {
    const req = store.login_begin(server_url ?? self.location.origin, company, username, password, "web");
    const [status, contentType, bytes] = await send(req);
    return JSON.parse(store.login_finish(status, contentType, bytes));
  },
  async sync() {
    if (!syncing) syncing = sync().finally(() => (syncing = null));
    return await syncing;
  },
  list_accounts() {
    return JSON.parse(store.list_accounts());
  },
  create_visit({ visit }) {
    return store.create_visit(JSON.stringify(visit));
  },
  list_visits({ account_id }) {
    return JSON.parse(store.list_visits(account_id ?? undefined));
  },
  status() {
    return JSON.parse(store.status());
  },
  // The store file's header: SQLite's write version (byte 18) is 1 for a rollback
  // journal, 2 for WAL.
  db_header({ name }) {
    const bytes = store.export_db(name);
    return { bytes: bytes.length, write_version: bytes[18], read_version: bytes[19] };
  },
  opfs_files() {
    return JSON.parse(store.opfs_files());
  },
};

self.onmessage = async (e) => {
  const { id, op, args } = e.data;
  const t0 = performance.now();
  try {
    const value = await ops[op](args ?? {});
    self.postMessage({ id, ok: true, value, ms: performance.now() - t0 });
  } catch (err) {
    self.postMessage({ id, ok: false, error: String(err?.message ?? err), ms: performance.now() - t0 });
  }
};
