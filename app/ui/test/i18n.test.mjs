// The catalogue: every key in both languages, no empty sentence, the same placeholders in
// both, and every vocabulary value named in both. Run with `npm test` (esbuild turns the
// TypeScript modules into .test-build/*.mjs first).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MESSAGES, TERMS, placeholders, langFromTag, term, translate, codes } from "../.test-build/i18n.mjs";

test("every key is in both languages, with the same placeholders", () => {
  const en = Object.keys(MESSAGES.en).sort();
  const zh = Object.keys(MESSAGES.zh).sort();
  assert.deepEqual(zh, en);
  for (const k of en) {
    assert.ok(MESSAGES.en[k].trim(), `en ${k} is empty`);
    assert.ok(MESSAGES.zh[k].trim(), `zh ${k} is empty`);
    assert.deepEqual(placeholders(MESSAGES.zh[k]), placeholders(MESSAGES.en[k]), `placeholders of ${k}`);
  }
});

test("every vocabulary value has an English and a Chinese name, distinct within its list", () => {
  for (const [vocab, values] of Object.entries(TERMS)) {
    const seenEn = new Set();
    const seenZh = new Set();
    for (const [code, names] of Object.entries(values)) {
      assert.equal(names.length, 2, `${vocab}.${code}`);
      const [en, zh] = names;
      assert.ok(en && zh, `${vocab}.${code} has both names`);
      assert.ok(!seenEn.has(en) && !seenZh.has(zh), `${vocab}.${code} repeats a name`);
      seenEn.add(en);
      seenZh.add(zh);
    }
  }
});

test("the vocabularies hold the model's codes (client-core/src/model/vocab.rs)", () => {
  assert.deepEqual(codes("spin"), ["situation", "problem", "implication", "need_payoff"]);
  assert.deepEqual(codes("buying_role"), ["user", "technical_gatekeeper", "coach", "decision_maker"]);
  assert.deepEqual(codes("kind"), ["account", "contact", "opportunity", "visit", "favour", "competitor_intel", "info_report", "greeting", "relationship_event"]);
  assert.equal(term("zh", "objection", "no_budget"), "没预算");
  assert.equal(term("en", "stage", "strategic_alliance"), "strategic alliance");
  assert.equal(term("zh", "stage", "not_a_stage"), "not_a_stage");
});

test("the language follows the browser's tag, and sentences fill their placeholders", () => {
  assert.equal(langFromTag("zh-CN"), "zh");
  assert.equal(langFromTag("zh-Hant-TW"), "zh");
  assert.equal(langFromTag("en-GB"), "en");
  assert.equal(langFromTag("fr"), "en");
  assert.equal(langFromTag(undefined), "en");
  assert.equal(translate("zh", "waitingMany", { n: 3 }), "3 项更改待同步");
  assert.equal(translate("en", "waitingMany", { n: 3 }), "3 changes waiting");
});
