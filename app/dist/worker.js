// The worker that owns Rapport's store: the wasm core and its SQLite on OPFS live here,
// since OPFS sync access handles exist only in dedicated workers. The page talks to it
// with messages {id, op, args} and gets back {id, ok, value | error, ms}.
import init, * as core from "../dist/rapport_web.js";

let store = null;
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
