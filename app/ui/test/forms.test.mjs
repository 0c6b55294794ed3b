// The record forms and the time helpers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FORMS, blank, missing, unknownRoles } from "../.test-build/forms.mjs";
import { MESSAGES } from "../.test-build/i18n.mjs";
import { addDays, daysBetween, fromInputValue, getPath, relativeDay, setPath, toInputValue, toggle } from "../.test-build/util.mjs";

const KINDS = ["contact", "opportunity", "visit", "favour", "competitor_intel", "info_report", "greeting", "relationship_event"];

test("every kind a rep logs has a form, and every label is in the catalogue", () => {
  for (const kind of [...KINDS, "account"]) {
    assert.ok(FORMS[kind], kind);
    for (const s of FORMS[kind]) {
      if (s.heading) assert.ok(MESSAGES.en[s.heading], `${kind} heading ${s.heading}`);
      for (const f of s.fields) assert.ok(MESSAGES.en[f.label], `${kind}.${f.path} label ${f.label}`);
    }
  }
});

test("a blank record has every field its form edits (the optional VIP card aside)", () => {
  for (const kind of KINDS) {
    const rec = blank(kind, "acc-1");
    assert.equal(rec.account_id, "acc-1");
    for (const s of FORMS[kind]) {
      if (s.optional) continue;
      for (const f of s.fields) assert.notEqual(getPath(rec, f.path), undefined, `${kind}.${f.path}`);
    }
  }
});

test("a new visit defaults to now and 45 minutes; required fields are named", () => {
  const v = blank("visit", "a", { utc_ms: 1000, offset_min: 480 });
  assert.equal(v.duration_min, 45);
  assert.deepEqual(v.occurred_at, { utc_ms: 1000, offset_min: 480 });
  assert.deepEqual(missing("visit", v), ["purpose"]);
  assert.deepEqual(missing("visit", { ...v, purpose: "demo" }), []);
  assert.deepEqual(missing("greeting", { ...blank("greeting", "a"), occasion: "birthday" }), ["contact"]);
});

test("an opportunity with a role nobody fills is in the danger zone", () => {
  const o = blank("opportunity", "a");
  assert.equal(unknownRoles(o).length, 4);
  const filled = setPath(setPath(setPath(setPath(o, "roles.user", ["c1"]), "roles.coach", ["c2"]), "roles.decision_maker", ["c3"]), "roles.technical_gatekeeper", ["c1"]);
  assert.deepEqual(unknownRoles(filled), []);
  assert.deepEqual(o.roles.user, [], "setPath copies");
});

test("times keep their own offset through the datetime input", () => {
  const t = { utc_ms: Date.UTC(2026, 10, 27, 2, 30), offset_min: 480 };
  assert.equal(toInputValue(t), "2026-11-27T10:30");
  assert.deepEqual(fromInputValue("2026-11-27T10:30", 480), t);
  assert.equal(fromInputValue("nonsense", 0), null);
});

test("dates and relative days", () => {
  assert.equal(addDays("2026-12-30", 3), "2027-01-02");
  assert.equal(daysBetween("2026-12-30", "2027-01-02"), 3);
  assert.equal(relativeDay("zh", "2026-12-02", "2026-12-05"), "3 天前");
  assert.equal(relativeDay("en", "2026-12-06", "2026-12-05"), "tomorrow");
  assert.deepEqual(toggle(["a", "b"], "a"), ["b"]);
  assert.deepEqual(toggle(null, "a"), ["a"]);
});
