// Pure helpers: times as the core stores them, dates, relative days, record paths.
// No DOM: node's test runner checks them.

import type { Lang } from "./i18n.ts";
import { translate } from "./i18n.ts";

/// A moment as the rep lived it (client-core's LocalTime): the instant and the UTC offset
/// of the place, in minutes east of Greenwich.
export interface LocalTime {
  utc_ms: number;
  offset_min: number;
}

/// Now, with this device's offset.
export function localNow(now: Date = new Date()): LocalTime {
  return { utc_ms: now.getTime(), offset_min: -now.getTimezoneOffset() };
}

const pad = (n: number) => String(n).padStart(2, "0");

/// The wall-clock fields of a LocalTime at its own offset.
function wall(t: LocalTime): Date {
  // A Date whose UTC fields are the local wall clock of the place.
  return new Date(t.utc_ms + t.offset_min * 60_000);
}

/// `YYYY-MM-DDTHH:MM` for an <input type="datetime-local">, at the time's own offset.
export function toInputValue(t: LocalTime): string {
  const w = wall(t);
  return `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}T${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}`;
}

/// Reads a datetime-local value as wall-clock time at `offset_min`.
export function fromInputValue(v: string, offset_min: number): LocalTime | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(v);
  if (!m) return null;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  return { utc_ms: asUtc - offset_min * 60_000, offset_min };
}

/// `YYYY-MM-DD` of a LocalTime at its own offset.
export function localDate(t: LocalTime): string {
  return toInputValue(t).slice(0, 10);
}

/// Today on this device, `YYYY-MM-DD`.
export function todayISO(now: Date = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/// A date `days` after a `YYYY-MM-DD`.
export function addDays(iso: string, days: number): string {
  const [y, m, d] = iso.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/// Whole days from `from` to `to` (both `YYYY-MM-DD`).
export function daysBetween(from: string, to: string): number {
  const f = from.split("-").map(Number);
  const t = to.split("-").map(Number);
  return Math.round((Date.UTC(t[0], t[1] - 1, t[2]) - Date.UTC(f[0], f[1] - 1, f[2])) / 86_400_000);
}

/// "today", "in 3 days", "2 days ago" for a `YYYY-MM-DD` seen from `today`.
export function relativeDay(lang: Lang, date: string, today: string): string {
  const n = daysBetween(today, date);
  if (n === 0) return translate(lang, "today");
  if (n === 1) return translate(lang, "tomorrow");
  if (n === -1) return translate(lang, "yesterday");
  return n > 0 ? translate(lang, "inDays", { n }) : translate(lang, "daysAgo", { n: -n });
}

/// A short date and time at the record's own offset: `2026-11-27 10:30`.
export function formatLocal(t: LocalTime): string {
  return toInputValue(t).replace("T", " ");
}

/// `YYYY-MM-DD` of a Unix-ms instant on this device.
export function isoOfMs(ms: number): string {
  return todayISO(new Date(ms));
}

/// Reads a dotted path (`vip_card.birthday.month`) of a record.
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur == null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/// A copy of `obj` with the dotted path set; objects on the way are created.
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split(".");
  const base = (obj ?? {}) as Record<string, unknown>;
  const copy: Record<string, unknown> = { ...base };
  copy[head] = rest.length === 0 ? value : setPath(base[head] as object, rest.join("."), value);
  return copy as T;
}

/// Adds or removes a value of a list.
export function toggle<T>(list: readonly T[] | null | undefined, v: T): T[] {
  const l = list ?? [];
  return l.includes(v) ? l.filter((x) => x !== v) : [...l, v];
}

/// Great-circle distance in metres (the check-in's fallback when the core cannot judge).
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = 6_371_000;
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(a));
}
