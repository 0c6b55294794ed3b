// The record forms as data: for each kind, its fields (a dotted path into the record, the
// label, how it is edited) and a blank record with the model's defaults. One form
// component (Form.tsx) draws them all. Pure: node's test runner checks that every label
// is in the catalogue and every blank record has every field a form edits.

import type { Key, Vocab } from "./i18n.ts";
import { localNow } from "./util.ts";

export type FieldType =
  | "text" // String ("" when empty), or Option<String> with `nullable`
  | "textarea"
  | "number" // Option<f64> (null when empty), or i64 with `whole`
  | "date" // Option<String> `YYYY-MM-DD`
  | "datetime" // LocalTime
  | "select" // one code of `vocab` (null allowed with `nullable`)
  | "chips" // one code of `vocab`, as big buttons
  | "multi" // Vec of codes of `vocab`
  | "bool"
  | "contact" // Option<String>: one contact of the account
  | "contacts" // Vec<String>: contacts of the account
  | "duration" // i64 minutes, with quick chips
  | "birthday" // Option<Birthday>
  | "checkin" // Option<CheckIn>, from navigator.geolocation
  | "rating"; // Option<i64> 1–5

export interface Field {
  path: string;
  label: Key;
  type: FieldType;
  vocab?: Vocab;
  nullable?: boolean;
  required?: boolean;
  whole?: boolean;
  hint?: Key;
  /// Shown under "More details", folded at first, when the record is new.
  more?: boolean;
}

export interface Section {
  heading?: Key;
  /// A section for an optional nested object (the VIP card): shown once switched on.
  optional?: { path: string; add: Key; blank: () => Record<string, unknown> };
  fields: Field[];
}

const at = (): Field => ({ path: "occurred_at", label: "when", type: "datetime", more: true });

export const FORMS: Record<string, Section[]> = {
  visit: [
    {
      fields: [
        { path: "contacts_met", label: "contactsMet", type: "contacts" },
        { path: "purpose", label: "purpose", type: "text", required: true, hint: "purposeHint" },
        { path: "duration_min", label: "duration", type: "duration" },
        { path: "check_in", label: "checkIn", type: "checkin" },
        { path: "spin", label: "spin", type: "multi", vocab: "spin" },
        { path: "objections", label: "objections", type: "multi", vocab: "objection" },
        { path: "signals", label: "signals", type: "multi", vocab: "signal" },
        { path: "next_step", label: "nextStep", type: "text", nullable: true },
        { path: "next_step_due", label: "nextStepDue", type: "date" },
        { path: "occurred_at", label: "when", type: "datetime", more: true },
        { path: "notes", label: "notes", type: "textarea", more: true },
      ],
    },
  ],
  favour: [
    {
      fields: [
        { path: "kind", label: "favourKind", type: "chips", vocab: "favour_kind" },
        { path: "description", label: "description", type: "textarea", required: true },
        { path: "contact_id", label: "contact", type: "contact" },
        { path: "value", label: "value", type: "number", hint: "valueHint" },
        at(),
      ],
    },
  ],
  competitor_intel: [
    {
      fields: [
        { path: "competitor", label: "competitor", type: "text", required: true },
        { path: "observation", label: "observation", type: "textarea", required: true },
        { path: "product", label: "product", type: "text", nullable: true },
        { path: "price", label: "price", type: "number" },
        { path: "confidence", label: "confidence", type: "chips", vocab: "confidence" },
        { path: "source_contact_id", label: "source", type: "contact" },
        at(),
      ],
    },
  ],
  info_report: [
    {
      fields: [
        { path: "kind", label: "infoKind", type: "chips", vocab: "info_kind" },
        { path: "details", label: "details", type: "textarea" },
        { path: "figure", label: "figure", type: "number" },
        { path: "unit", label: "unit", type: "text", nullable: true },
        { path: "contact_id", label: "contact", type: "contact" },
        at(),
      ],
    },
  ],
  greeting: [
    {
      fields: [
        { path: "occasion", label: "occasion", type: "select", vocab: "occasion" },
        { path: "contact_id", label: "contact", type: "contact" },
        { path: "channel", label: "channel", type: "chips", vocab: "channel" },
        { path: "notes", label: "notes", type: "textarea" },
        at(),
      ],
    },
  ],
  relationship_event: [
    {
      fields: [
        { path: "kind", label: "eventKind", type: "chips", vocab: "event_kind" },
        { path: "description", label: "description", type: "textarea", required: true },
        { path: "contact_id", label: "contact", type: "contact" },
        at(),
      ],
    },
  ],
  contact: [
    {
      fields: [
        { path: "name", label: "name", type: "text", required: true },
        { path: "title", label: "title", type: "text", nullable: true },
        { path: "phone", label: "phone", type: "text", nullable: true },
        { path: "key_contact", label: "keyContact", type: "bool" },
        { path: "roles", label: "roles", type: "multi", vocab: "buying_role" },
        { path: "admin_level", label: "adminLevel", type: "select", vocab: "admin_level", nullable: true },
        { path: "relationship_level", label: "relationshipLevel", type: "select", vocab: "relationship_level", nullable: true },
        { path: "notes", label: "notes", type: "textarea", nullable: true },
      ],
    },
    {
      heading: "vipCard",
      optional: { path: "vip_card", add: "vipCardAdd", blank: blankCard },
      fields: [
        { path: "vip_card.knows_rep_name", label: "knowsRepName", type: "bool" },
        { path: "vip_card.interests", label: "interests", type: "text" },
        { path: "vip_card.birthday", label: "birthday", type: "birthday" },
        { path: "vip_card.concerns", label: "concerns", type: "textarea" },
        { path: "vip_card.helped_with_concern", label: "helpedWithConcern", type: "bool" },
        { path: "vip_card.notes", label: "notes", type: "textarea" },
      ],
    },
  ],
  opportunity: [
    {
      fields: [
        { path: "name", label: "oppName", type: "text", required: true },
        { path: "status", label: "status", type: "chips", vocab: "opportunity_status" },
        { path: "value", label: "value", type: "number" },
        { path: "expected_close", label: "expectedClose", type: "date" },
      ],
    },
    {
      heading: "assessment",
      fields: (
        [
          ["real", "stepReal"],
          ["competition", "stepCompetition"],
          ["can_win", "stepCanWin"],
          ["worth_winning", "stepWorthWinning"],
        ] as const
      ).flatMap(([step, label]): Field[] => [
        { path: `assessment.${step}.judgement`, label, type: "chips", vocab: "judgement", nullable: true },
        { path: `assessment.${step}.note`, label: "note", type: "text" },
      ]),
    },
    {
      heading: "rolesHeading",
      fields: (
        [
          ["user", "roles"],
          ["technical_gatekeeper", "roles"],
          ["coach", "roles"],
          ["decision_maker", "roles"],
        ] as const
      ).map(([role]): Field => ({ path: `roles.${role}`, label: "roles", type: "contacts", vocab: "buying_role" })),
    },
    { fields: [{ path: "notes", label: "notes", type: "textarea" }] },
  ],
  account: [
    {
      fields: [
        { path: "stage", label: "stageLabel", type: "select", vocab: "stage", nullable: true },
        { path: "city", label: "city", type: "text", nullable: true },
        { path: "current_value", label: "currentValue", type: "rating" },
        { path: "potential_value", label: "potentialValue", type: "rating" },
      ],
    },
  ],
};

export function blankCard(): Record<string, unknown> {
  return { knows_rep_name: false, interests: "", birthday: null, concerns: "", helped_with_concern: false, notes: "" };
}

const step = () => ({ judgement: null, note: "" });

/// A new record of `kind` at `account_id`, with the model's defaults (a visit: now, 45 min).
export function blank(kind: string, account_id: string, now = localNow()): Record<string, unknown> {
  const base = { account_id, deleted: false };
  switch (kind) {
    case "visit":
      return {
        ...base,
        occurred_at: now,
        logged_at: now,
        duration_min: 45,
        purpose: "",
        notes: "",
        contacts_met: [],
        check_in: null,
        spin: [],
        objections: [],
        signals: [],
        next_step: null,
        next_step_due: null,
      };
    case "favour":
      return { ...base, contact_id: null, kind: "business", description: "", value: null, occurred_at: now };
    case "competitor_intel":
      return {
        ...base,
        competitor: "",
        product: null,
        price: null,
        observation: "",
        source_contact_id: null,
        confidence: "medium",
        occurred_at: now,
      };
    case "info_report":
      return { ...base, kind: "shipments", figure: null, unit: null, details: "", contact_id: null, occurred_at: now };
    case "greeting":
      return { ...base, contact_id: null, occasion: "spring_festival", channel: "wechat", occurred_at: now, notes: "" };
    case "relationship_event":
      return { ...base, kind: "first_thought", description: "", contact_id: null, occurred_at: now };
    case "contact":
      return {
        ...base,
        name: "",
        title: null,
        phone: null,
        notes: null,
        admin_level: null,
        relationship_level: null,
        roles: [],
        key_contact: false,
        vip_card: null,
      };
    case "opportunity":
      return {
        ...base,
        name: "",
        value: null,
        status: "open",
        expected_close: null,
        assessment: { real: step(), competition: step(), can_win: step(), worth_winning: step() },
        roles: { user: [], technical_gatekeeper: [], coach: [], decision_maker: [] },
        notes: "",
      };
    default:
      return { ...base };
  }
}

/// The kinds a rep logs on an account, in the order of the account page's buttons.
export const LOG_KINDS = ["visit", "favour", "competitor_intel", "info_report", "greeting", "relationship_event"] as const;

/// Buying roles with nobody in them (the danger zone's first cause, judged on the page
/// while editing; the worker's `danger` adds "not met in 30 days").
export function unknownRoles(rec: Record<string, unknown>): string[] {
  const roles = (rec.roles ?? {}) as Record<string, string[] | undefined>;
  return ["user", "technical_gatekeeper", "coach", "decision_maker"].filter((r) => !(roles[r] ?? []).length);
}

/// What is missing before a record can be saved: the labels of empty required fields.
export function missing(kind: string, rec: Record<string, unknown>): Key[] {
  const out: Key[] = [];
  for (const s of FORMS[kind] ?? []) {
    for (const f of s.fields) {
      if (!f.required) continue;
      const v = f.path.split(".").reduce<unknown>((o, p) => (o as Record<string, unknown> | null)?.[p], rec);
      if (v == null || (typeof v === "string" && v.trim() === "")) out.push(f.label);
    }
  }
  if (kind === "greeting" && rec.occasion === "birthday" && !rec.contact_id) out.push("contact");
  return out;
}
