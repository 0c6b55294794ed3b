// The worker that owns Rapport's store: the wasm core and its SQLite on OPFS live here,
// since OPFS sync access handles exist only in dedicated workers. The page talks to it by
// messages (docs/web-app.md, "The worker's API"):
//
//   page → worker  {id, op, args}
//   worker → page  {id, ok: true, value, ms} | {id, ok: false, error: {kind, message, field?}, ms}
//   events         {event: "sync", phase: "start"|"progress"|"done"|"failed", round, received, waiting, error?}
//                  {event: "status", status}   after every change
//
// Error kinds come from the core (client-core's Error mapped in one place, app/core
// ops.rs); this worker adds none but "invalid" for an unknown op or missing arguments and
// "storage" for a store that is not open.
//
// Sign-in, sync and the scorecard: the core (client-core's sans-IO sync) builds each
// request and applies each answer; this worker only does the `fetch`. The server is this
// page's own origin (the app is served from it: no CORS).
import init, * as core from "../dist/rapport_web.js";

let store = null;
let syncing = null;

function fail(kind, message, field) {
  const e = new Error(message);
  e.kind = kind;
  if (field) e.field = field;
  return e;
}

// The argument `name` of an op, required.
function need(args, name, type = "string") {
  const v = args[name];
  if (v === undefined || v === null || (type && typeof v !== type)) {
    throw fail("invalid", `${name}: required (${type})`, name);
  }
  return v;
}

function opt(args, name) {
  const v = args[name];
  return v === undefined || v === null ? undefined : v;
}

function open() {
  if (!store) throw fail("storage", "the store is not open: call open first");
  return store;
}

function emit(msg) {
  self.postMessage(msg);
}

function emitStatus() {
  if (!store) return;
  try {
    emit({ event: "status", status: JSON.parse(store.status()) });
  } catch {
    // a status that cannot be read now is sent with the next change
  }
}

// Sends a request the core built; returns [status, contentType, bytes]. A `fetch` that
// throws (offline, refused connection) is the core's "offline" error.
async function send(req) {
  let resp;
  try {
    resp = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body ?? undefined });
  } catch (e) {
    throw core.transport_error(String(e?.message ?? e));
  }
  const bytes = new Uint8Array(await resp.arrayBuffer());
  return [resp.status, resp.headers.get("content-type"), bytes];
}

// One sync: as many rounds as the core asks for (a token refresh counts as one), with
// its events. One at a time: a second call waits for the running one and gets its result.
async function sync() {
  const s = open();
  let last = { round_trips: 0, received: 0, waiting: JSON.parse(s.status()).waiting };
  const progress = (phase, extra = {}) => {
    if (phase === "progress" || phase === "done") last = JSON.parse(s.sync_report());
    emit({ event: "sync", phase, round: last.round_trips, received: last.received, waiting: last.waiting, ...extra });
  };
  progress("start");
  try {
    for (let req; (req = s.sync_begin()) !== null; ) {
      let answer;
      try {
        answer = await send(req);
      } catch (e) {
        s.sync_abort();
        throw e;
      }
      s.sync_finish(...answer);
      progress("progress");
    }
  } catch (e) {
    try {
      last.waiting = JSON.parse(s.status()).waiting;
    } catch {}
    progress("failed", { error: errorOf(e) });
    emitStatus();
    throw e;
  }
  progress("done");
  emitStatus();
  return {
    accepted: last.accepted,
    rejected: last.rejected,
    received: last.received,
    round_trips: last.round_trips,
    waiting: last.waiting,
  };
}

// The rep's own scorecard, online; offline (or when the server fails) the last one kept.
async function scorecard(period) {
  const s = open();
  try {
    s.scorecard_start(period);
    for (let round = 0; round < 4; round++) {
      let answer;
      try {
        answer = await send(s.scorecard_request());
      } catch (e) {
        s.scorecard_abort();
        throw e;
      }
      const card = s.scorecard_finish(...answer);
      if (card !== undefined && card !== null) return JSON.parse(card);
    }
    throw fail("server", "the scorecard needed too many requests");
  } catch (e) {
    if (e?.kind === "offline" || e?.kind === "server") {
      const cached = s.scorecard_cached(period);
      if (cached) return JSON.parse(cached);
    }
    throw e;
  }
}

const ready = (async () => {
  const t0 = performance.now();
  await init();
  return performance.now() - t0;
})();

const status = () => JSON.parse(open().status());

// The ops of the contract; `changes` marks those after which a status event is sent.
const ops = {
  async open({ name }) {
    await ready;
    if (!store) store = await core.open_store(need({ name }, "name"));
    return status();
  },
  status,
  async login(args) {
    const s = open();
    const req = s.login_begin(
      self.location.origin,
      need(args, "company"),
      need(args, "username"),
      need(args, "password"),
      "web",
    );
    const [st, contentType, bytes] = await send(req);
    s.login_finish(st, contentType, bytes);
    return status();
  },
  logout() {
    open().logout();
    return status();
  },
  async sync() {
    if (!syncing) syncing = sync().finally(() => (syncing = null));
    return await syncing;
  },
  list(args) {
    return JSON.parse(open().list(need(args, "kind"), opt(args, "account_id")));
  },
  get(args) {
    return JSON.parse(open().get(need(args, "kind"), need(args, "id")));
  },
  create(args) {
    return open().create(need(args, "kind"), JSON.stringify(need(args, "record", "object")));
  },
  update(args) {
    return JSON.parse(open().update(need(args, "kind"), need(args, "id"), JSON.stringify(need(args, "record", "object"))));
  },
  remove(args) {
    open().remove(need(args, "kind"), need(args, "id"));
    return true;
  },
  timeline(args) {
    return JSON.parse(open().timeline(need(args, "account_id")));
  },
  due(args) {
    return JSON.parse(open().due(need(args, "today"), need(args, "days", "number")));
  },
  accounts() {
    return JSON.parse(open().accounts());
  },
  rules() {
    return JSON.parse(open().rules());
  },
  check_in(args) {
    return JSON.parse(
      open().check_in(need(args, "account_id"), need(args, "lat", "number"), need(args, "lon", "number"), need(args, "accuracy_m", "number")),
    );
  },
  async scorecard(args) {
    return await scorecard(opt(args, "period"));
  },

  // For tests and support, not for the UI: load timing, a record id, a session as the
  // server returns it, the store file's header and the OPFS pool's files.
  async init_ms() {
    return await ready;
  },
  new_id() {
    return core.new_id();
  },
  save_session({ server_url, company, username, session }) {
    open().save_session(server_url, company, username, JSON.stringify(session));
    return true;
  },
  // SQLite's write version (byte 18) is 1 for a rollback journal, 2 for WAL.
  db_header({ name }) {
    const bytes = open().export_db(name);
    return { bytes: bytes.length, write_version: bytes[18], read_version: bytes[19] };
  },
  opfs_files() {
    return JSON.parse(open().opfs_files());
  },
};

const changes = new Set(["open", "login", "logout", "create", "update", "remove", "save_session"]);

// `{kind, message, field?}` of anything thrown: the core's errors carry their kind.
function errorOf(err) {
  const error = {
    kind: typeof err?.kind === "string" ? err.kind : "storage",
    message: String(err?.message ?? err),
  };
  if (typeof err?.field === "string") error.field = err.field;
  return error;
}

self.onmessage = async (e) => {
  const { id, op, args } = e.data;
  const t0 = performance.now();
  try {
    if (!Object.hasOwn(ops, op)) throw fail("invalid", `op: no operation '${op}'`, "op");
    const value = await ops[op](args ?? {});
    self.postMessage({ id, ok: true, value, ms: performance.now() - t0 });
    if (changes.has(op)) emitStatus();
  } catch (err) {
    self.postMessage({ id, ok: false, error: errorOf(err), ms: performance.now() - t0 });
  }
};
