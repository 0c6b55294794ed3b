// A stand-in for the worker, for developing the screens without the wasm core: it answers
// the ops of the contract from a small in-memory company (kept in localStorage), with
// sync progress events and an offline switch. Only built with `--mode mock` (VITE_MOCK=1):
// the production build never imports it.
//
// URL switches (dev only): ?signedout — start signed out; ?offline — sync fails offline;
// ?reset — fresh seed data; ?rejected — one change refused by the server.

import type { Port } from "./core.ts";
import { addDays, isoOfMs, todayISO } from "./util.ts";

type Rec = Record<string, any>;

const KEY = "rapport-mock-v2";
const params = new URLSearchParams(location.search);
const DAY = 86_400_000;

function seed(): { docs: Rec; status: Rec } {
  const now = Date.now();
  const off = -new Date().getTimezoneOffset();
  const lt = (daysAgo: number, h = 10) => ({ utc_ms: now - daysAgo * DAY - (now % 3_600_000) + (h - 10) * 3_600_000, offset_min: off });
  const docs: Rec = {};
  const put = (kind: string, id: string, r: Rec) => (docs[id] = { _kind: kind, id, deleted: false, ...r });
  put("account", "a1", { name: "华东医药集团", industry: "医药", city: "上海", location: { lat: 31.2304, lon: 121.4737 }, stage: "intermediate", tier_override: null, current_value: 4, potential_value: 5, metrics: [], stage_history: [], cadence_days: null });
  put("account", "a2", { name: "Northwind Logistics", industry: "logistics", city: "杭州", location: null, stage: "initial", current_value: 3, potential_value: 4, metrics: [], stage_history: [], cadence_days: null });
  put("account", "a3", { name: "南方电网广州供电局", industry: "能源", city: "广州", location: { lat: 23.1291, lon: 113.2644 }, stage: "advanced", current_value: 5, potential_value: 3, metrics: [], stage_history: [], cadence_days: null });
  put("account", "a4", { name: "蓝海零售连锁", industry: "零售", city: "苏州", location: null, stage: "gestation", current_value: 2, potential_value: 4, metrics: [], stage_history: [], cadence_days: null });
  put("contact", "c1", { account_id: "a1", name: "王建国", title: "采购总监", phone: "138 0000 0001", admin_level: "executive", relationship_level: "trusted", roles: ["decision_maker"], key_contact: true, notes: null, vip_card: { knows_rep_name: true, interests: "高尔夫、茶", birthday: { calendar: "lunar", month: 8, day: 15, leap_month: false }, concerns: "孩子明年高考", helped_with_concern: false, notes: "" } });
  put("contact", "c2", { account_id: "a1", name: "李娜", title: "设备科科长", phone: null, admin_level: "department_head", relationship_level: "familiar", roles: ["technical_gatekeeper", "user"], key_contact: true, notes: null, vip_card: null });
  put("contact", "c3", { account_id: "a1", name: "赵敏", title: "采购专员", phone: null, admin_level: "staff", relationship_level: "ally", roles: ["coach"], key_contact: false, notes: null, vip_card: null });
  put("contact", "c4", { account_id: "a2", name: "Anna Berg", title: "COO", phone: null, admin_level: "executive", relationship_level: "acquainted", roles: ["decision_maker"], key_contact: true, notes: null, vip_card: null });
  put("visit", "v1", { account_id: "a1", occurred_at: lt(3), logged_at: lt(3, 12), duration_min: 60, purpose: "新品介绍与试用反馈", notes: "", contacts_met: ["c1", "c2"], check_in: { lat: 31.2305, lon: 121.4735, accuracy_m: 20 }, spin: ["situation", "problem"], objections: ["no_budget"], signals: ["next_step"], next_step: "送样品并安排技术交流", next_step_due: addDays(todayISO(), 2), late: false, verified: true });
  put("visit", "v2", { account_id: "a3", occurred_at: lt(20), logged_at: lt(18), duration_min: 45, purpose: "季度回访", notes: "", contacts_met: [], check_in: null, spin: [], objections: [], signals: [], next_step: null, next_step_due: null, late: true, verified: false });
  put("favour", "f1", { account_id: "a1", contact_id: "c1", kind: "personal", description: "帮忙联系高考志愿咨询老师", value: null, occurred_at: lt(5), over_limit: false });
  put("competitor_intel", "i1", { account_id: "a1", competitor: "康达医疗", product: "CT-500", price: 820000, observation: "对方报价降了 8%，承诺三年免费维保", source_contact_id: "c3", confidence: "high", occurred_at: lt(4) });
  put("greeting", "g1", { account_id: "a1", contact_id: "c1", occasion: "mid_autumn", channel: "gift", occurred_at: lt(30), notes: "月饼" });
  put("opportunity", "o1", { account_id: "a1", name: "影像中心设备更新", value: 2400000, status: "open", expected_close: addDays(todayISO(), 60), assessment: { real: { judgement: "yes", note: "已立项" }, competition: { judgement: "yes", note: "康达" }, can_win: { judgement: "unsure", note: "" }, worth_winning: { judgement: "yes", note: "" } }, roles: { user: ["c2"], technical_gatekeeper: ["c2"], coach: ["c3"], decision_maker: [] }, notes: "", danger: true });
  const status = {
    signed_in_as: "li",
    display_name: "李明",
    role: "rep",
    company: "acme",
    server_url: location.origin,
    has_tokens: true,
    waiting: 0,
    cursor: 124,
    last_sync_ms: now - 2 * 3_600_000,
    rejected: [] as Rec[],
    removals: [] as string[],
  };
  return { docs, status };
}

function load() {
  if (!params.has("reset")) {
    try {
      const s = localStorage.getItem(KEY);
      if (s) return JSON.parse(s);
    } catch {
      /* a fresh seed */
    }
  }
  return seed();
}

export function mockWorker(): Port {
  const state = load();
  if (params.has("signedout")) {
    state.status.signed_in_as = null;
    state.status.has_tokens = false;
  }
  if (params.has("rejected") && !state.status.rejected.length) {
    state.status.rejected = [{ doc_id: "f1", kind: "favour", title: "帮忙联系高考志愿咨询老师", code: "invalid", reason: "contact_id: the contact is at another account" }];
  }
  const save = () => localStorage.setItem(KEY, JSON.stringify(state));
  let counter = 100;
  const port: Port = {
    onmessage: null,
    postMessage(msg: any) {
      const send = (m: unknown) => setTimeout(() => port.onmessage?.({ data: m } as MessageEvent), 0);
      const t0 = performance.now();
      handle(msg.op, msg.args ?? {}, send)
        .then((value) => send({ id: msg.id, ok: true, value, ms: performance.now() - t0 }))
        .catch((e) => send({ id: msg.id, ok: false, error: e.kind ? e : { kind: "server", message: String(e) }, ms: 0 }));
    },
  };
  const err = (kind: string, message: string) => ({ kind, message });
  const live = (kind?: string) => Object.values(state.docs as Rec).filter((d: Rec) => !d.deleted && (!kind || d._kind === kind));
  const out = (d: Rec) => { const { _kind, ...r } = d; void _kind; return r; };
  const status = () => ({ ...state.status });
  const changed = (send: (m: unknown) => void) => {
    save();
    send({ event: "status", status: status() });
  };
  const lastVisit = (aid: string) =>
    Math.max(0, ...live("visit").filter((v) => v.account_id === aid).map((v) => v.occurred_at.utc_ms)) || null;
  const tiers: Record<string, string> = { a1: "a", a2: "b", a3: "a", a4: "c" };
  const title = (d: Rec) => d.purpose ?? d.description ?? d.name ?? d.competitor ?? d.details ?? d.occasion ?? d.kind;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const needSession = () => {
    if (!state.status.signed_in_as || !state.status.has_tokens) throw err("not_signed_in", "not signed in");
  };

  async function handle(op: string, a: Rec, send: (m: unknown) => void): Promise<unknown> {
    switch (op) {
      case "open":
        await sleep(150);
        return status();
      case "status":
        return status();
      case "login": {
        await sleep(400);
        if (params.has("offline")) throw err("offline", "the server cannot be reached");
        if (a.password !== "demo") throw err("signed_out", "signed out by the server: wrong company, user name or password");
        Object.assign(state.status, { signed_in_as: a.username, display_name: a.username, company: a.company, has_tokens: true });
        changed(send);
        return status();
      }
      case "logout":
        Object.assign(state.status, { signed_in_as: null, has_tokens: false });
        changed(send);
        return null;
      case "sync": {
        needSession();
        const rounds = 3;
        send({ event: "sync", phase: "start", round: 0, received: 0, waiting: state.status.waiting });
        for (let r = 1; r <= rounds; r++) {
          await sleep(500);
          if (params.has("offline")) {
            const e = err("offline", "the server cannot be reached");
            send({ event: "sync", phase: "failed", round: r, received: 0, waiting: state.status.waiting, error: e });
            throw e;
          }
          send({ event: "sync", phase: "progress", round: r, received: r * 40, waiting: state.status.waiting });
        }
        const accepted = state.status.waiting;
        Object.assign(state.status, { waiting: 0, last_sync_ms: Date.now() });
        send({ event: "sync", phase: "done", round: rounds, received: 120, waiting: 0 });
        changed(send);
        return { accepted, rejected: state.status.rejected.length, received: 120, round_trips: rounds, waiting: 0 };
      }
      case "accounts":
        return live("account").map((d) => ({ id: d.id, name: d.name, tier: tiers[d.id] ?? "d", stage: d.stage, last_visit_ms: lastVisit(d.id), city: d.city }));
      case "list":
        return live(a.kind)
          .filter((d) => !a.account_id || d.account_id === a.account_id)
          .map((d) => (d._kind === "account" ? { ...out(d), tier: tiers[d.id], last_visit_ms: lastVisit(d.id) } : out(d)))
          .sort((x, y) => (y.occurred_at?.utc_ms ?? 0) - (x.occurred_at?.utc_ms ?? 0));
      case "get": {
        const d = state.docs[a.id];
        if (!d || d._kind !== a.kind) throw err("not_found", `no ${a.kind} ${a.id}`);
        return out(d);
      }
      case "create": {
        needSession();
        if (a.kind === "visit" && !(a.record.duration_min >= 0)) throw err("invalid", "duration_min: must not be negative");
        const id = `m${counter++}-${Date.now().toString(36)}`;
        const rec = { ...a.record, _kind: a.kind, id };
        if (a.kind === "favour") rec.over_limit = (rec.value ?? 0) > 500;
        if (a.kind === "visit") rec.verified = !!rec.check_in;
        state.docs[id] = rec;
        state.status.waiting++;
        changed(send);
        return id;
      }
      case "update": {
        needSession();
        if (!state.docs[a.id]) throw err("not_found", `no ${a.kind} ${a.id}`);
        state.docs[a.id] = { ...state.docs[a.id], ...a.record, id: a.id, _kind: a.kind };
        state.status.waiting++;
        state.status.rejected = state.status.rejected.filter((r: Rec) => r.doc_id !== a.id);
        changed(send);
        return out(state.docs[a.id]);
      }
      case "remove":
        needSession();
        if (!state.docs[a.id]) throw err("not_found", `no ${a.kind} ${a.id}`);
        state.docs[a.id].deleted = true;
        state.status.waiting++;
        changed(send);
        return null;
      case "timeline":
        return live()
          .filter((d) => d.account_id === a.account_id && d._kind !== "contact" && d._kind !== "opportunity" && d.occurred_at)
          .map((d) => ({ id: d.id, kind: d._kind, title: title(d), at_ms: d.occurred_at.utc_ms, offset_min: d.occurred_at.offset_min, due: d.next_step_due ?? null }))
          .sort((x, y) => y.at_ms - x.at_ms);
      case "due": {
        const out: Rec[] = [];
        const cadence: Record<string, number> = { a: 7, b: 14, c: 30, d: 90 };
        for (const acc of live("account")) {
          const last = lastVisit(acc.id);
          const days = cadence[tiers[acc.id] ?? "d"];
          const date = last ? addDays(isoOfMs(last), days) : a.today;
          if (date <= addDays(a.today, a.days)) out.push({ date, what: "visit", account_id: acc.id, account_name: acc.name, last_visit: last ? isoOfMs(last) : null, cadence_days: days });
        }
        for (const v of live("visit")) {
          if (v.next_step && v.next_step_due && v.next_step_due <= addDays(a.today, a.days)) {
            out.push({ date: v.next_step_due, what: "next_step", account_id: v.account_id, account_name: state.docs[v.account_id]?.name, visit_id: v.id, step: v.next_step });
          }
        }
        out.push({ date: addDays(a.today, 5), what: "birthday", account_id: "a1", account_name: "华东医药集团", contact_id: "c1", contact_name: "王建国" });
        out.push({ date: addDays(a.today, 11), what: "holiday", account_id: null, account_name: null, occasion: "national_day" });
        return out.sort((x, y) => (x.date < y.date ? -1 : 1));
      }
      case "rules":
        return { favour_limit: 500, checkin_radius_m: 500, late_after_hours: 24, weekly_visit_target: 10 };
      case "check_in": {
        await sleep(200);
        const acc = state.docs[a.account_id];
        if (!acc?.location) return { verified: false, distance_m: null };
        const { distanceM } = await import("./util.ts");
        const d = distanceM(a.lat, a.lon, acc.location.lat, acc.location.lon);
        return { verified: d <= 500, distance_m: Math.round(d) };
      }
      case "scorecard": {
        await sleep(300);
        const m = (key: string, group: string, shape: string, value: number, part: number | null = null, total: number | null = null, target: number | null = null) => ({ key, group, shape, value, part, total, target, attainment: target ? value / target : null, records: [] });
        const card = {
          rep: { user_id: "u1", username: "li", display_name: "李明" },
          period: a.period ?? "2026-W48",
          time_zone: "Asia/Shanghai",
          starts_ms: Date.now() - 3 * DAY,
          ends_ms: Date.now() + 4 * DAY,
          metrics: [
            m("card_coverage", "closeness", "share", 0.5, 1, 2, 1),
            m("card_full_depth", "closeness", "share", 1, 1, 1),
            m("visits", "building", "count", 6, null, null, 10),
            m("verified_share", "building", "share", 0.67, 4, 6),
            m("cadence_kept", "building", "share", 0.75, 3, 4, 1),
            m("favours", "building", "count", 2),
            m("info_reports", "information", "count", 1),
            m("competitor_intel", "information", "count", 3),
            m("birthday_greetings", "information", "share", 1, 1, 1, 1),
            m("influencer_coverage", "method", "share", 0, 0, 1, 1),
            m("signals_per_visit", "method", "ratio", 0.83, 5, 6),
            m("favours_over_limit", "compliance", "count", 0),
          ],
        };
        if (params.has("offline")) return { ...card, cached: true, fetched_ms: Date.now() - DAY };
        return card;
      }
      default:
        throw err("invalid", `no op ${op}`);
    }
  }
  return port;
}
