// One form for every kind of record, drawn from its field descriptors (forms.ts): new
// (`#/new/<kind>?account=…`) and edit (`#/edit/<kind>/<id>`), with remove, the server's
// rejection on the record, and the read-only judgements (a visit's check-in, a favour over
// the limit, an opportunity in the danger zone).

import { useEffect, useState } from "preact/hooks";
import { CoreError, type AccountRow, type CheckInResult, type Kind, type Rec, type Rules } from "./core.ts";
import { goBack, useApp } from "./app.tsx";
import { useI18n } from "./lang.ts";
import { FORMS, blank, missing, unknownRoles, type Field, type Section } from "./forms.ts";
import { codes } from "./i18n.ts";
import { fromInputValue, getPath, localNow, setPath, toInputValue, toggle, type LocalTime } from "./util.ts";
import { KindIcon } from "./screens.tsx";

/// Read-only judgements the worker adds to records; never sent back.
const JUDGEMENTS = ["id", "late", "verified", "over_limit", "danger", "tier", "last_visit_ms"];

function split(r: Rec): [Rec, Rec] {
  const rec: Rec = {};
  const judge: Rec = {};
  for (const [k, v] of Object.entries(r)) (JUDGEMENTS.includes(k) ? judge : rec)[k] = v;
  return [rec, judge];
}

export function RecordScreen({ kind, id, query }: { kind: string; id?: string; query: URLSearchParams }) {
  const { t, term } = useI18n();
  const { core, status, afterWrite, toast } = useApp();
  const [rec, setRec] = useState<Rec | null>(null);
  const [judge, setJudge] = useState<Rec>({});
  const [loadError, setLoadError] = useState<string | null>(null);
  const [accounts, setAccounts] = useState<AccountRow[]>([]);
  const [contacts, setContacts] = useState<Rec[]>([]);
  const [rules, setRules] = useState<Rules | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [more, setMore] = useState(!!id);
  const sections: Section[] | undefined = FORMS[kind];

  useEffect(() => {
    if (id) {
      core
        .get(kind as Kind, id)
        .then((r) => {
          const [rc, j] = split(r);
          setRec(rc);
          setJudge(j);
        })
        .catch((e) => setLoadError(String(e?.message ?? e)));
    } else {
      let r: Rec = blank(kind, query.get("account") ?? "");
      const contact = query.get("contact");
      if (contact) r = kind === "visit" ? { ...r, contacts_met: [contact] } : { ...r, contact_id: contact };
      const occasion = query.get("occasion");
      if (occasion && kind === "greeting") r = { ...r, occasion };
      setRec(r);
    }
    core.accounts().then(setAccounts, () => {});
    core.rules().then(setRules, () => {});
  }, [kind, id]);

  const accountId = (rec?.account_id as string | undefined) ?? (kind === "account" ? id : undefined);
  useEffect(() => {
    if (accountId && kind !== "account") core.list("contact", accountId).then(setContacts, () => setContacts([]));
    else setContacts([]);
  }, [accountId]);

  if (!sections) return <main><p class="error">{t("notFound")}</p></main>;
  if (loadError) return <main><p class="error">{loadError}</p></main>;
  if (!rec) return <main><p class="muted">{t("loading")}</p></main>;

  const account = accounts.find((a) => a.id === accountId);
  const kindName = term("kind", kind);
  const rejection = id ? (status.rejected ?? []).find((r) => r.doc_id === id) : undefined;
  const set = (path: string, v: unknown) => setRec((r) => setPath(r, path, v));
  const back = () => goBack(accountId ? `/account/${accountId}` : "/");

  const save = async (e: Event) => {
    e.preventDefault();
    const lacking = missing(kind, rec);
    if (kind !== "account" && !rec.account_id) lacking.unshift("account");
    if (lacking.length) {
      setError(lacking.map((k) => t("required", { field: t(k) })).join(" · "));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (id) {
        await core.update(kind as Kind, id, rec);
      } else {
        const record = kind === "visit" ? { ...rec, logged_at: localNow() } : rec;
        await core.create(kind as Kind, record);
      }
      toast(t("saved"));
      afterWrite();
      back();
    } catch (err) {
      const ce = err instanceof CoreError ? err : new CoreError("server", String(err));
      setError(ce.kind === "invalid" || ce.kind === "rejected" ? t("errorInvalid", { msg: ce.message }) : t("errorGeneric", { msg: ce.message }));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!id || !confirm(t("removeConfirm", { kind: kindName }))) return;
    setBusy(true);
    try {
      await core.remove(kind as Kind, id);
      toast(t("removed"));
      afterWrite();
      back();
    } catch (err) {
      setError(t("errorGeneric", { msg: String((err as Error)?.message ?? err) }));
    } finally {
      setBusy(false);
    }
  };

  const hasMore = !id && sections.some((s) => s.fields.some((f) => f.more));
  const ctx: FieldCtx = { rec, set, contacts, accountId, judge };

  return (
    <main class="form-screen">
      <form onSubmit={save} noValidate>
        <div class="form-head">
          <button type="button" class="back link" onClick={back}>
            ‹ {t("back")}
          </button>
          <h1>
            <KindIcon kind={kind} /> {id ? t("editTitle", { kind: kindName }) : t("newTitle", { kind: kindName })}
          </h1>
          {kind === "account" && <p class="muted">{String(rec.name ?? "")}</p>}
        </div>
        {rejection && (
          <div class="error">
            <strong>{t("rejectedOnRecord", { kind: kindName, reason: rejection.reason })}</strong>
            <br />
            <span class="small">{t("rejectedFix")}</span>
          </div>
        )}
        {kind !== "account" && (
          <label class="field">
            <span class="label">{t("account")}</span>
            <select
              value={(rec.account_id as string) || ""}
              disabled={!!id}
              onChange={(e) => {
                const v = e.currentTarget.value;
                setRec((r) => ({ ...r, account_id: v, contacts_met: [], contact_id: null }));
              }}
            >
              {!rec.account_id && <option value="">{t("chooseAccount")}</option>}
              {accounts.map((a) => (
                <option value={a.id}>{a.name}</option>
              ))}
              {rec.account_id && !account && <option value={rec.account_id as string}>{rec.account_id as string}</option>}
            </select>
          </label>
        )}
        <Judgements kind={kind} rec={rec} judge={judge} rules={rules} />
        {sections.map((s) => (
          <SectionView s={s} ctx={ctx} showMore={more} />
        ))}
        {hasMore && !more && (
          <button type="button" class="more-toggle" onClick={() => setMore(true)}>
            + {t("more")}
          </button>
        )}
        {error && <p class="error">{error}</p>}
        {id && kind !== "account" && (
          <button type="button" class="button danger-outline block" disabled={busy} onClick={remove}>
            {t("remove")}
          </button>
        )}
        <div class="save-bar">
          <button type="button" class="button secondary" onClick={back}>
            {t("cancel")}
          </button>
          <button class="button primary" disabled={busy}>
            {busy ? t("saving") : t("save")}
          </button>
        </div>
      </form>
    </main>
  );
}

/// What the core judged of the record, and what the page can judge as it is edited.
function Judgements({ kind, rec, judge, rules }: { kind: string; rec: Rec; judge: Rec; rules: Rules | null }) {
  const { t, term } = useI18n();
  if (kind === "visit" && (judge.verified !== undefined || judge.late !== undefined)) {
    return (
      <p class="flags">
        {judge.verified === true && <span class="badge good">{t("flagVerified")}</span>}
        {judge.verified === false && <span class="badge muted">{t("flagUnverified")}</span>}
        {judge.late === true && <span class="badge warn">{t("flagLate")}</span>}
      </p>
    );
  }
  if (kind === "favour") {
    const limit = rules?.favour_limit;
    const over = judge.over_limit === true || (limit != null && typeof rec.value === "number" && rec.value > limit);
    return over ? <p class="notice-line warn">{t("overLimit", { limit: limit ?? "?" })}</p> : null;
  }
  if (kind === "opportunity" && rec.status === "open") {
    const unknown = unknownRoles(rec);
    if (unknown.length === 0 && judge.danger !== true) return null;
    return (
      <div class="notice-line bad">
        <strong>{t("dangerZone")}</strong>
        {unknown.map((r) => (
          <div class="small">{t("dangerUnknown", { role: term("buying_role", r) })}</div>
        ))}
        <div class="small muted">{t("dangerHint")}</div>
      </div>
    );
  }
  return null;
}

interface FieldCtx {
  rec: Rec;
  set: (path: string, v: unknown) => void;
  contacts: Rec[];
  accountId: string | undefined;
  judge: Rec;
}

function SectionView({ s, ctx, showMore }: { s: Section; ctx: FieldCtx; showMore: boolean }) {
  const { t } = useI18n();
  const fields = s.fields.filter((f) => showMore || !f.more);
  if (s.optional) {
    const present = getPath(ctx.rec, s.optional.path) != null;
    return (
      <fieldset class="section">
        {s.heading && <legend>{t(s.heading)}</legend>}
        {present ? (
          fields.map((f) => <FieldView f={f} ctx={ctx} />)
        ) : (
          <button type="button" class="button secondary block" onClick={() => ctx.set(s.optional!.path, s.optional!.blank())}>
            + {t(s.optional.add)}
          </button>
        )}
      </fieldset>
    );
  }
  if (!fields.length) return null;
  return (
    <fieldset class={s.heading ? "section" : "section plain"}>
      {s.heading && <legend>{t(s.heading)}</legend>}
      {fields.map((f) => (
        <FieldView f={f} ctx={ctx} />
      ))}
    </fieldset>
  );
}

function FieldView({ f, ctx }: { f: Field; ctx: FieldCtx }) {
  const { t, term } = useI18n();
  const v = getPath(ctx.rec, f.path);
  const set = (x: unknown) => ctx.set(f.path, x);
  let label = t(f.label);
  if (f.type === "contacts" && f.vocab === "buying_role") label = term("buying_role", f.path.split(".").pop());
  const input = (() => {
    switch (f.type) {
      case "text":
        return (
          <input
            value={(v as string) ?? ""}
            placeholder={f.hint ? t(f.hint) : undefined}
            onInput={(e) => {
              const x = e.currentTarget.value;
              set(f.nullable && x === "" ? null : x);
            }}
          />
        );
      case "textarea":
        return (
          <textarea
            rows={3}
            value={(v as string) ?? ""}
            onInput={(e) => {
              const x = e.currentTarget.value;
              set(f.nullable && x === "" ? null : x);
            }}
          />
        );
      case "number":
        return (
          <input
            inputMode="decimal"
            value={v == null ? "" : String(v)}
            placeholder={f.hint ? t(f.hint) : undefined}
            onInput={(e) => {
              const x = e.currentTarget.value.replace(/[,，\s]/g, "");
              const n = Number(x);
              set(x === "" ? null : Number.isFinite(n) ? n : v);
            }}
          />
        );
      case "date":
        return <input type="date" value={(v as string) ?? ""} onInput={(e) => set(e.currentTarget.value || null)} />;
      case "datetime": {
        const lt = (v as LocalTime) ?? localNow();
        return (
          <div class="inline">
            <input
              type="datetime-local"
              value={toInputValue(lt)}
              onInput={(e) => {
                const x = fromInputValue(e.currentTarget.value, lt.offset_min);
                if (x) set(x);
              }}
            />
            <button type="button" class="chip" onClick={() => set(localNow())}>
              {t("now")}
            </button>
          </div>
        );
      }
      case "select":
        return (
          <select value={(v as string) ?? ""} onChange={(e) => set(e.currentTarget.value || null)}>
            {f.nullable && <option value="">{t("notSet")}</option>}
            {codes(f.vocab!).map((c) => (
              <option value={c}>{term(f.vocab!, c)}</option>
            ))}
          </select>
        );
      case "chips":
        return (
          <div class="chips">
            {codes(f.vocab!).map((c) => (
              <button type="button" class={`chip ${v === c ? "on" : ""}`} aria-pressed={v === c} onClick={() => set(v === c && f.nullable ? null : c)}>
                {term(f.vocab!, c)}
              </button>
            ))}
          </div>
        );
      case "multi":
        return (
          <div class="chips">
            {codes(f.vocab!).map((c) => {
              const on = ((v as string[]) ?? []).includes(c);
              return (
                <button type="button" class={`chip ${on ? "on" : ""}`} aria-pressed={on} onClick={() => set(toggle(v as string[], c))}>
                  {term(f.vocab!, c)}
                </button>
              );
            })}
          </div>
        );
      case "bool":
        return (
          <button type="button" class={`chip toggle ${v ? "on" : ""}`} aria-pressed={!!v} onClick={() => set(!v)}>
            {v ? "✓ " : ""}
            {label}
          </button>
        );
      case "rating":
        return (
          <div class="chips">
            {[1, 2, 3, 4, 5].map((n) => (
              <button type="button" class={`chip num ${v === n ? "on" : ""}`} onClick={() => set(v === n ? null : n)}>
                {n}
              </button>
            ))}
          </div>
        );
      case "contact":
        return (
          <select value={(v as string) ?? ""} onChange={(e) => set(e.currentTarget.value || null)}>
            <option value="">{t("none")}</option>
            {ctx.contacts.map((c) => (
              <option value={String(c.id)}>
                {String(c.name)}
                {c.title ? ` · ${c.title}` : ""}
              </option>
            ))}
          </select>
        );
      case "contacts": {
        const list = (v as string[]) ?? [];
        const unknown = ctx.contacts.length === 0 ? null : undefined;
        return (
          <div class="chips">
            {ctx.contacts.map((c) => {
              const on = list.includes(String(c.id));
              return (
                <button type="button" class={`chip ${on ? "on" : ""}`} aria-pressed={on} onClick={() => set(toggle(list, String(c.id)))}>
                  {String(c.name)}
                </button>
              );
            })}
            {unknown === null && <span class="muted small">{t("noContacts")}</span>}
            {list
              .filter((id) => !ctx.contacts.some((c) => c.id === id))
              .map((id) => (
                <button type="button" class="chip on" onClick={() => set(toggle(list, id))}>
                  {id.slice(0, 8)}
                </button>
              ))}
          </div>
        );
      }
      case "duration": {
        const quick = [30, 45, 60, 90];
        return (
          <div class="chips">
            {quick.map((n) => (
              <button type="button" class={`chip num ${v === n ? "on" : ""}`} aria-pressed={v === n} aria-label={t("minutes", { n })} onClick={() => set(n)}>
                {n}
              </button>
            ))}
            <input
              class="short"
              inputMode="numeric"
              aria-label={t("other")}
              value={quick.includes(v as number) ? "" : String(v ?? "")}
              placeholder={t("other")}
              onInput={(e) => {
                const n = parseInt(e.currentTarget.value, 10);
                if (Number.isFinite(n)) set(n);
              }}
            />
          </div>
        );
      }
      case "birthday":
        return <BirthdayInput v={v as Rec | null} set={set} />;
      case "checkin":
        return <CheckInInput ctx={ctx} v={v as Rec | null} set={set} />;
    }
  })();
  if (f.type === "bool") return <div class="field">{input}</div>;
  return (
    <div class="field">
      <span class="label">
        {label}
        {f.required && <span class="req"> *</span>}
      </span>
      {input}
    </div>
  );
}

function BirthdayInput({ v, set }: { v: Rec | null; set: (x: unknown) => void }) {
  const { t, term } = useI18n();
  const b = v ?? null;
  const upd = (patch: Rec) => set({ calendar: "solar", month: 1, day: 1, leap_month: false, ...(b ?? {}), ...patch });
  return (
    <div class="birthday">
      <div class="chips">
        {codes("calendar").map((c) => (
          <button type="button" class={`chip ${b?.calendar === c ? "on" : ""}`} onClick={() => upd({ calendar: c, leap_month: c === "lunar" ? b?.leap_month ?? false : false })}>
            {term("calendar", c)}
          </button>
        ))}
        {b && (
          <button type="button" class="chip" onClick={() => set(null)}>
            ✕
          </button>
        )}
      </div>
      {b && (
        <div class="inline">
          <select aria-label={t("month")} value={String(b.month)} onChange={(e) => upd({ month: Number(e.currentTarget.value) })}>
            {Array.from({ length: 12 }, (_, i) => (
              <option value={i + 1}>
                {i + 1} {t("month")}
              </option>
            ))}
          </select>
          <select aria-label={t("day")} value={String(b.day)} onChange={(e) => upd({ day: Number(e.currentTarget.value) })}>
            {Array.from({ length: b.calendar === "lunar" ? 30 : 31 }, (_, i) => (
              <option value={i + 1}>
                {i + 1} {t("day")}
              </option>
            ))}
          </select>
          {b.calendar === "lunar" && (
            <button type="button" class={`chip ${b.leap_month ? "on" : ""}`} onClick={() => upd({ leap_month: !b.leap_month })}>
              {t("leapMonth")}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/// The check-in: the device's position from navigator.geolocation, judged by the core
/// (`check_in`: within the company's radius of the account's location).
function CheckInInput({ ctx, v, set }: { ctx: FieldCtx; v: Rec | null; set: (x: unknown) => void }) {
  const { t } = useI18n();
  const { core } = useApp();
  const [state, setState] = useState<{ busy: boolean; result?: CheckInResult; error?: string }>({ busy: false });
  const check = () => {
    if (!("geolocation" in navigator)) {
      setState({ busy: false, error: t("checkInUnavailable", { msg: "geolocation" }) });
      return;
    }
    setState({ busy: true });
    navigator.geolocation.getCurrentPosition(
      async (pos) => {
        const c = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: Math.round(pos.coords.accuracy) };
        set(c);
        try {
          const result = ctx.accountId ? await core.checkIn(ctx.accountId, c.lat, c.lon, c.accuracy_m) : undefined;
          setState({ busy: false, result });
        } catch (e) {
          setState({ busy: false, error: String((e as Error)?.message ?? e) });
        }
      },
      (err) => setState({ busy: false, error: t("checkInUnavailable", { msg: err.message }) }),
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
    );
  };
  const r = state.result;
  return (
    <div class="checkin">
      <button type="button" class={`button secondary block ${v ? "done" : ""}`} disabled={state.busy} onClick={check}>
        ◉ {state.busy ? t("checkingIn") : t("checkInButton")}
      </button>
      {r && (
        <p class={r.verified ? "good" : "warn"}>
          {r.distance_m == null ? t("checkInNoLocation") : r.verified ? t("checkInVerified", { d: Math.round(r.distance_m) }) : t("checkInTooFar", { d: Math.round(r.distance_m) })}
        </p>
      )}
      {!r && v && (
        <p class="muted small">
          {Number(v.lat).toFixed(5)}, {Number(v.lon).toFixed(5)} · {t("checkInAccuracy", { a: Math.round(Number(v.accuracy_m)) })}
        </p>
      )}
      {state.error && <p class="warn">{state.error}</p>}
    </div>
  );
}
