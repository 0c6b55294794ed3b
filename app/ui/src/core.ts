// The typed client of the worker that owns the store (app/web/worker.js, beside the wasm
// core in app/dist). Page → worker `{id, op, args}`; worker → page `{id, ok, value | error,
// ms}`, plus unsolicited `{event: "sync" | "status", …}`. Every op of the contract has one
// typed method here; the screens call nothing else.

import type { LocalTime } from "./util.ts";

export type ErrorKind =
  | "offline"
  | "signed_out"
  | "not_signed_in"
  | "rejected"
  | "invalid"
  | "not_found"
  | "server"
  | "storage";

export class CoreError extends Error {
  constructor(
    public kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export type Kind =
  | "account"
  | "contact"
  | "opportunity"
  | "visit"
  | "favour"
  | "competitor_intel"
  | "info_report"
  | "greeting"
  | "relationship_event";

export const KINDS: Kind[] = [
  "account",
  "contact",
  "opportunity",
  "visit",
  "favour",
  "competitor_intel",
  "info_report",
  "greeting",
  "relationship_event",
];

export interface Rejection {
  doc_id: string;
  kind: Kind;
  title: string;
  code: string;
  reason: string;
}

export interface Status {
  signed_in_as: string | null;
  display_name?: string | null;
  role?: string | null;
  company?: string | null;
  server_url: string | null;
  has_tokens: boolean;
  waiting: number;
  cursor?: number;
  last_sync_ms: number | null;
  rejected: Rejection[];
  removals?: string[];
}

export interface SyncReport {
  accepted: number;
  rejected: number;
  received: number;
  round_trips: number;
  waiting: number;
}

export interface SyncEvent {
  event: "sync";
  phase: "start" | "progress" | "done" | "failed";
  round: number;
  received: number;
  waiting: number;
  error?: { kind: ErrorKind; message: string } | string;
}

export interface AccountRow {
  id: string;
  name: string;
  tier: string | null;
  stage: string | null;
  last_visit_ms: number | null;
  city: string | null;
}

export interface TimelineItem {
  id: string;
  kind: Kind;
  title: string;
  at_ms: number;
  offset_min: number;
  due?: string | null;
}

/// What is due (client-core's DueItem). `what` names the kind of item; the fields beside
/// it are those of its variant in local.rs (`Due::Visit { last_visit, cadence_days }`, …).
export interface DueItem {
  date: string;
  what: "visit" | "next_step" | "birthday" | "holiday";
  account_id: string | null;
  account_name: string | null;
  last_visit?: string | null;
  cadence_days?: number;
  visit_id?: string;
  step?: string;
  contact_id?: string;
  contact_name?: string;
  occasion?: string;
}

export interface CheckInResult {
  verified: boolean;
  distance_m: number | null;
}

/// The scorecard's groups, in the order they are shown.
export type MetricGroup = "closeness" | "building" | "information" | "method" | "compliance";

/// How a figure reads: a count, a share of `total` (a percentage), or a ratio (per one of
/// `total`, may exceed 1).
export type MetricShape = "count" | "share" | "ratio";

export interface Metric {
  key: string;
  group: MetricGroup;
  /// Absent from a scorecard kept offline from an older server.
  shape?: MetricShape;
  value: number;
  part: number | null;
  total: number | null;
  target: number | null;
  attainment: number | null;
  records: { kind: string; id: string; account_id: string; at_ms: number | null }[];
}

export interface Scorecard {
  rep: { user_id: string; username: string; display_name: string };
  period: string;
  time_zone: string;
  starts_ms: number;
  ends_ms: number;
  metrics: Metric[];
  cached?: boolean;
  fetched_ms?: number;
}

export interface Rules {
  favour_limit: number;
  checkin_radius_m: number;
  late_after_hours: number;
  [k: string]: number;
}

/// A record as the worker gives it: the model's fields, its `id`, and read-only
/// judgements for some kinds (visit `late`, `verified`; favour `over_limit`; opportunity
/// `danger`; account `tier`, `last_visit_ms`).
export type Rec = Record<string, unknown> & { id?: string; deleted?: boolean };

export type { LocalTime };

/// Anything that can stand in for the worker: the real one, or the mock (dev only).
export interface Port {
  postMessage(msg: unknown): void;
  onmessage: ((e: MessageEvent) => void) | null;
  onerror?: ((e: ErrorEvent) => void) | null;
}

type Listener = (msg: SyncEvent | { event: "status"; status: Status }) => void;

const KNOWN: ErrorKind[] = ["offline", "signed_out", "not_signed_in", "rejected", "invalid", "not_found", "server", "storage"];

/// The worker's error as a CoreError: `{kind, message}`, or a plain string that starts
/// with the kind's words.
export function toError(e: unknown): CoreError {
  if (e && typeof e === "object" && "kind" in e) {
    const o = e as { kind: string; message?: string };
    const kind = (KNOWN as string[]).includes(o.kind) ? (o.kind as ErrorKind) : "server";
    return new CoreError(kind, String(o.message ?? o.kind));
  }
  const s = String(e);
  const lower = s.toLowerCase();
  if (lower.startsWith("offline")) return new CoreError("offline", s);
  if (lower.includes("signed out")) return new CoreError("signed_out", s);
  if (lower.includes("not signed in")) return new CoreError("not_signed_in", s);
  if (lower.startsWith("invalid")) return new CoreError("invalid", s);
  return new CoreError("server", s);
}

export class Core {
  private next = 1;
  private pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: CoreError) => void; whole?: boolean }
  >();
  private listeners = new Set<Listener>();

  constructor(private port: Port) {
    port.onmessage = (e: MessageEvent) => this.receive(e.data);
    if ("onerror" in port) {
      port.onerror = (e: ErrorEvent) => {
        const err = new CoreError("storage", e.message || "the worker failed");
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
    }
  }

  private receive(msg: any) {
    if (msg && typeof msg.event === "string") {
      for (const l of this.listeners) l(msg);
      return;
    }
    const p = this.pending.get(msg?.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (p.whole) p.resolve(msg);
    else if (msg.ok) p.resolve(msg.value);
    else p.reject(toError(msg.error));
  }

  /// Listens to the worker's events; returns the unsubscribe.
  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  call<T>(op: string, args?: object): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ id, op, args: args ?? {} });
    });
  }

  /// The worker's whole answer, `{id, ok, value | error, ms}` (`ms` measured inside the
  /// worker): the hook the browser tests drive (`window.rapport.call`).
  whole(op: string, args?: object): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, whole: true });
      this.port.postMessage({ id, op, args: args ?? {} });
    });
  }

  open(name: string) {
    return this.call<Status>("open", { name });
  }
  status() {
    return this.call<Status>("status");
  }
  login(company: string, username: string, password: string) {
    return this.call<Status>("login", { company, username, password });
  }
  logout() {
    return this.call<void>("logout");
  }
  sync() {
    return this.call<SyncReport>("sync");
  }
  list(kind: Kind, account_id?: string) {
    return this.call<Rec[]>("list", account_id ? { kind, account_id } : { kind });
  }
  get(kind: Kind, id: string) {
    return this.call<Rec>("get", { kind, id });
  }
  create(kind: Kind, record: Rec) {
    return this.call<string>("create", { kind, record });
  }
  update(kind: Kind, id: string, record: Rec) {
    return this.call<Rec>("update", { kind, id, record });
  }
  remove(kind: Kind, id: string) {
    return this.call<void>("remove", { kind, id });
  }
  timeline(account_id: string) {
    return this.call<TimelineItem[]>("timeline", { account_id });
  }
  due(today: string, days: number) {
    return this.call<DueItem[]>("due", { today, days });
  }
  accounts() {
    return this.call<AccountRow[]>("accounts");
  }
  rules() {
    return this.call<Rules>("rules");
  }
  checkIn(account_id: string, lat: number, lon: number, accuracy_m: number) {
    return this.call<CheckInResult>("check_in", { account_id, lat, lon, accuracy_m });
  }
  scorecard(period?: string) {
    return this.call<Scorecard>("scorecard", period ? { period } : {});
  }
}

/// The store's name in OPFS.
export const STORE_NAME = "/rapport.db";

/// The real worker, beside the page in app/dist, served at /app/ (not bundled by Vite: it
/// imports the wasm glue, ./rapport_web.js). An absolute path: every screen's URL serves
/// the same page.
export function realWorker(): Port {
  return new Worker("/app/worker.js", { type: "module" }) as unknown as Port;
}
