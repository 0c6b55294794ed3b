// The screens other than the record form: sign-in, today, an account, the scorecard, and
// sync & account.

import { useEffect, useState } from "preact/hooks";
import { CoreError, type AccountRow, type DueItem, type Metric, type MetricGroup, type MetricShape, type Rec, type Scorecard, type TimelineItem } from "./core.ts";
import { go, useApp } from "./app.tsx";
import { useI18n } from "./lang.ts";
import { LOG_KINDS } from "./forms.ts";
import { formatLocal, isoOfMs, relativeDay, todayISO } from "./util.ts";
import type { Key } from "./i18n.ts";

/// Loads with `load` whenever the store changes (`version`) or a dependency does.
function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: CoreError | null; reload: () => void } {
  const { version } = useApp();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<CoreError | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load()
      .then((d) => {
        if (live) {
          setData(d);
          setError(null);
        }
      })
      .catch((e) => live && setError(e instanceof CoreError ? e : new CoreError("server", String(e))));
    return () => {
      live = false;
    };
  }, [version, n, ...deps]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

export function SignInScreen({ onSignedIn }: { onSignedIn: () => void }) {
  const { t, lang } = useI18n();
  const { core, status, setLang } = useApp();
  const [company, setCompany] = useState(status.company ?? "");
  const [username, setUsername] = useState(status.signed_in_as ?? "");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const wasSignedOut = !!status.signed_in_as && !status.has_tokens;
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await core.login(company.trim(), username.trim(), password);
      setPassword("");
      // Ask the browser to keep the store through storage pressure (pwa.js).
      void (window as { rapportPwa?: { persist?: () => Promise<unknown> } }).rapportPwa?.persist?.();
      onSignedIn();
    } catch (err) {
      const ce = err instanceof CoreError ? err : new CoreError("server", String(err));
      setError(
        ce.kind === "offline" ? t("signInOffline") : ce.kind === "signed_out" || ce.kind === "not_signed_in" ? t("signInRefused") : ce.message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <div class="login-head">
        <div class="brand-big">Rapport</div>
        <button class="link" type="button" onClick={() => setLang(lang === "zh" ? "en" : "zh")}>
          {lang === "zh" ? "English" : "中文"}
        </button>
      </div>
      {wasSignedOut && <p class="error">{t("signedOutBanner", { n: status.waiting })}</p>}
      {(status.removals ?? []).map((m) => (
        <p class="notice-line">{m}</p>
      ))}
      <form onSubmit={submit}>
        <h1>{t("signInTitle")}</h1>
        <p class="muted small">{t("signInLead")}</p>
        <label>
          {t("company")}
          <input value={company} onInput={(e) => setCompany(e.currentTarget.value)} autoComplete="organization" autoCapitalize="off" required />
        </label>
        <label>
          {t("username")}
          <input value={username} onInput={(e) => setUsername(e.currentTarget.value)} autoComplete="username" autoCapitalize="off" required />
        </label>
        <label>
          {t("password")}
          <input type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" required />
        </label>
        {error && <p class="error">{error}</p>}
        <button class="button big" disabled={busy}>
          {busy ? t("signingIn") : t("signIn")}
        </button>
      </form>
    </main>
  );
}

const dueIcon: Record<string, string> = { visit: "拜", next_step: "→", birthday: "生", holiday: "节" };

function dueHref(d: DueItem): string | null {
  switch (d.what) {
    case "visit":
      return d.account_id ? `#/account/${d.account_id}` : null;
    case "next_step":
      return d.visit_id ? `#/edit/visit/${d.visit_id}` : null;
    case "birthday":
      return d.account_id
        ? `#/new/greeting?account=${d.account_id}&contact=${d.contact_id ?? ""}&occasion=birthday`
        : null;
    default:
      return null;
  }
}

function DueRow({ d, today }: { d: DueItem; today: string }) {
  const { t, term, lang } = useI18n();
  let what: string;
  let sub = d.account_name ?? "";
  switch (d.what) {
    case "visit":
      what = d.last_visit ? t("dueVisit") : t("dueVisitNever");
      break;
    case "next_step":
      what = d.step ?? t("dueNextStep");
      break;
    case "birthday":
      what = t("dueBirthday", { name: d.contact_name ?? "" });
      break;
    default:
      what = `${t("dueHoliday")}: ${term("occasion", d.occasion)}`;
      sub = "";
  }
  const late = d.date < today;
  const href = dueHref(d);
  const body = (
    <>
      <span class={`due-icon ${d.what}`} aria-hidden="true">
        {dueIcon[d.what] ?? "•"}
      </span>
      <span class="row-main">
        <span class="row-title">{what}</span>
        {sub && <span class="row-sub">{sub}</span>}
      </span>
      <span class={`row-side ${late ? "bad" : ""}`}>{relativeDay(lang, d.date, today)}</span>
    </>
  );
  return href ? (
    <a class="row" href={href}>
      {body}
    </a>
  ) : (
    <div class="row">{body}</div>
  );
}

export function TodayScreen() {
  const { t } = useI18n();
  const { core } = useApp();
  const today = todayISO();
  const due = useLoad(() => core.due(today, 14), [today]);
  const accounts = useLoad(() => core.accounts(), []);
  const [q, setQ] = useState("");
  const items = due.data ?? [];
  const overdue = items.filter((d) => d.date < today || (d.date === today && d.what === "visit"));
  const coming = items.filter((d) => !overdue.includes(d));
  const list = (accounts.data ?? []).filter((a) => !q || a.name.toLowerCase().includes(q.toLowerCase()) || (a.city ?? "").includes(q));
  return (
    <main>
      <section class="card first">
        <h2>
          {t("dueTitle")} <span class="count">{items.length || ""}</span>
        </h2>
        {due.error && <p class="error">{due.error.message}</p>}
        {due.data && items.length === 0 && <p class="empty">{t("nothingDue")}</p>}
        {overdue.length > 0 && (
          <>
            <h3 class="sub bad">{t("overdue")}</h3>
            <div class="rows">
              {overdue.map((d) => (
                <DueRow d={d} today={today} />
              ))}
            </div>
          </>
        )}
        {coming.length > 0 && (
          <>
            <h3 class="sub">{t("comingUp")}</h3>
            <div class="rows">
              {coming.map((d) => (
                <DueRow d={d} today={today} />
              ))}
            </div>
          </>
        )}
      </section>
      <section class="card">
        <h2>
          {t("accountsTitle")} <span class="count">{accounts.data?.length ?? ""}</span>
        </h2>
        {(accounts.data?.length ?? 0) > 6 && (
          <input class="search" type="search" placeholder={t("searchAccounts")} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        )}
        {accounts.error && <p class="error">{accounts.error.message}</p>}
        {accounts.data && accounts.data.length === 0 && <p class="empty">{t("noAccounts")}</p>}
        <div class="rows">
          {list.map((a) => (
            <AccountRowView a={a} today={today} />
          ))}
        </div>
      </section>
    </main>
  );
}

function TierBadge({ tier }: { tier: string | null | undefined }) {
  if (!tier) return null;
  return <span class={`tier tier-${tier}`}>{tier.toUpperCase()}</span>;
}

function AccountRowView({ a, today }: { a: AccountRow; today: string }) {
  const { t, term, lang } = useI18n();
  return (
    <a class="row" href={`#/account/${a.id}`}>
      <TierBadge tier={a.tier} />
      <span class="row-main">
        <span class="row-title">{a.name}</span>
        <span class="row-sub">
          {[a.city, term("stage", a.stage)].filter(Boolean).join(" · ")}
        </span>
      </span>
      <span class="row-side">
        {a.last_visit_ms ? relativeDay(lang, isoOfMs(a.last_visit_ms), today) : <span class="muted">{t("neverVisited")}</span>}
      </span>
    </a>
  );
}

const kindIcon: Record<string, string> = {
  visit: "拜",
  favour: "办",
  competitor_intel: "竞",
  info_report: "信",
  greeting: "候",
  relationship_event: "客",
  contact: "人",
  opportunity: "机",
};

export function KindIcon({ kind }: { kind: string }) {
  return (
    <span class={`kind-icon k-${kind}`} aria-hidden="true">
      {kindIcon[kind] ?? "•"}
    </span>
  );
}

export function AccountScreen({ id, tab }: { id: string; tab: string }) {
  const { t, term, lang } = useI18n();
  const { core, status } = useApp();
  const today = todayISO();
  const account = useLoad(
    () => core.list("account").then((l) => l.find((a) => a.id === id) ?? Promise.reject(new CoreError("not_found", t("notFound")))),
    [id],
  );
  const timeline = useLoad(() => core.timeline(id), [id]);
  const contacts = useLoad(() => core.list("contact", id), [id]);
  const opps = useLoad(() => core.list("opportunity", id), [id]);
  const rejected = new Set((status.rejected ?? []).map((r) => r.doc_id));
  const a = account.data as (Rec & { name: string; tier?: string; stage?: string; city?: string; last_visit_ms?: number }) | null;
  if (account.error) return <main><p class="error">{account.error.message}</p></main>;
  if (!a) return <main><p class="muted">{t("loading")}</p></main>;
  const tabs: [string, Key, number | undefined][] = [
    ["timeline", "timeline", timeline.data?.length],
    ["contacts", "contacts", contacts.data?.length],
    ["opportunities", "opportunities", opps.data?.length],
  ];
  return (
    <main>
      <section class="card first account-head">
        <a class="back" href="#/">
          ‹ {t("back")}
        </a>
        <h1>
          <TierBadge tier={a.tier} /> {a.name}
        </h1>
        <p class="muted small">
          {[a.city, term("stage", a.stage)].filter(Boolean).join(" · ")}
          {" · "}
          {t("lastVisit")}: {a.last_visit_ms ? relativeDay(lang, isoOfMs(a.last_visit_ms), today) : t("neverVisited")}{" "}
          <a href={`#/edit/account/${id}`} class="small">
            ✎
          </a>
        </p>
        <a class="button big block" href={`#/new/visit?account=${id}`}>
          + {t("logVisit")}
        </a>
        <div class="log-grid">
          {LOG_KINDS.filter((k) => k !== "visit").map((k) => (
            <a class="log-btn" href={`#/new/${k}?account=${id}`}>
              <KindIcon kind={k} />
              <span>{term("kind", k)}</span>
            </a>
          ))}
        </div>
      </section>
      <nav class="tabs">
        {tabs.map(([key, label, n]) => (
          <a class={tab === key ? "here" : ""} href={`#/account/${id}?tab=${key}`}>
            {t(label)} {n != null && <span class="count">{n}</span>}
          </a>
        ))}
      </nav>
      <section class="card">
        {tab === "timeline" && (
          <>
            {timeline.data && timeline.data.length === 0 && <p class="empty">{t("noRecords")}</p>}
            <div class="rows">
              {(timeline.data ?? []).map((it: TimelineItem) => (
                <a class="row" href={`#/edit/${it.kind}/${it.id}`}>
                  <KindIcon kind={it.kind} />
                  <span class="row-main">
                    <span class="row-title">{it.title}</span>
                    <span class="row-sub">
                      {term("kind", it.kind)} · {formatLocal({ utc_ms: it.at_ms, offset_min: it.offset_min })}
                      {it.due ? ` · ${t("nextStepDue")} ${it.due}` : ""}
                    </span>
                  </span>
                  {rejected.has(it.id) && <span class="badge bad">✕</span>}
                </a>
              ))}
            </div>
          </>
        )}
        {tab === "contacts" && (
          <>
            <a class="button secondary block" href={`#/new/contact?account=${id}`}>
              + {t("addContact")}
            </a>
            {contacts.data && contacts.data.length === 0 && <p class="empty">{t("noContacts")}</p>}
            <div class="rows">
              {(contacts.data ?? []).map((c) => (
                <ContactRow c={c} rejected={rejected.has(String(c.id))} />
              ))}
            </div>
          </>
        )}
        {tab === "opportunities" && (
          <>
            <a class="button secondary block" href={`#/new/opportunity?account=${id}`}>
              + {t("addOpportunity")}
            </a>
            {opps.data && opps.data.length === 0 && <p class="empty">{t("noOpportunities")}</p>}
            <div class="rows">
              {(opps.data ?? []).map((o) => (
                <a class="row" href={`#/edit/opportunity/${o.id}`}>
                  <KindIcon kind="opportunity" />
                  <span class="row-main">
                    <span class="row-title">{String(o.name)}</span>
                    <span class="row-sub">
                      {term("opportunity_status", o.status as string)}
                      {o.value != null ? ` · ${Number(o.value).toLocaleString()}` : ""}
                      {o.expected_close ? ` · ${o.expected_close}` : ""}
                    </span>
                  </span>
                  {o.danger === true && o.status === "open" && <span class="badge bad">{t("dangerMark")}</span>}
                  {rejected.has(String(o.id)) && <span class="badge bad">✕</span>}
                </a>
              ))}
            </div>
          </>
        )}
      </section>
    </main>
  );
}

function cardDepth(card: Rec | null | undefined): number {
  if (!card) return 0;
  return (
    Number(!!card.knows_rep_name) +
    Number(!!String(card.interests ?? "").trim()) +
    Number(!!card.birthday) +
    Number(!!String(card.concerns ?? "").trim() || !!card.helped_with_concern)
  );
}

function ContactRow({ c, rejected }: { c: Rec; rejected: boolean }) {
  const { t, term } = useI18n();
  const roles = (c.roles as string[] | undefined) ?? [];
  const card = c.vip_card as Rec | null;
  return (
    <a class="row" href={`#/edit/contact/${c.id}`}>
      <KindIcon kind="contact" />
      <span class="row-main">
        <span class="row-title">
          {String(c.name)} {c.title ? <span class="muted small">{String(c.title)}</span> : null}
        </span>
        <span class="row-sub">
          {c.key_contact ? <span class="badge">{t("keyMark")}</span> : null}
          {card ? <span class="badge good">{t("cardDepth", { n: cardDepth(card) })}</span> : null}
          {roles.map((r) => term("buying_role", r)).join("、")}
        </span>
      </span>
      {rejected && <span class="badge bad">✕</span>}
    </a>
  );
}

/// An ISO week `2026-W48` of a date (the scorecard's period names).
function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const y = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(y, 0, 1)) / 86_400_000 + 1) / 7);
  return `${y}-W${String(week).padStart(2, "0")}`;
}

/// How a figure reads. A scorecard kept offline from a server older than `shape` has
/// none: its figures with a part and a total read as shares.
function shapeOf(m: Metric): MetricShape {
  return m.shape ?? (m.part != null && m.total != null ? "share" : "count");
}

function fmtValue(m: Metric) {
  if (shapeOf(m) === "share") {
    // A share of nothing (no birthdays this period) is not applicable, not 0 %.
    return m.total === 0 ? "—" : `${Math.round(m.value * 100)}%`;
  }
  return Number.isInteger(m.value) ? String(m.value) : m.value.toFixed(2);
}

export function ScorecardScreen() {
  const { t, term } = useI18n();
  const { core, online } = useApp();
  const [period, setPeriod] = useState<"week" | "month">("week");
  const now = new Date();
  const code = period === "week" ? isoWeek(now) : `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
  const card = useLoad<Scorecard>(() => core.scorecard(code), [code, online]);
  const groups: MetricGroup[] = ["closeness", "building", "information", "method", "compliance"];
  const s = card.data;
  return (
    <main>
      <h1>{t("scorecardTitle")}</h1>
      <div class="seg">
        <button class={period === "week" ? "here" : ""} onClick={() => setPeriod("week")}>
          {t("week")}
        </button>
        <button class={period === "month" ? "here" : ""} onClick={() => setPeriod("month")}>
          {t("monthPeriod")}
        </button>
      </div>
      {card.error && (
        <p class="error">
          {card.error.kind === "offline" ? t("scorecardNone") : card.error.message}{" "}
          <button class="link" onClick={card.reload}>
            {t("retry")}
          </button>
        </p>
      )}
      {!s && !card.error && <p class="muted">{t("loading")}</p>}
      {s?.cached && <p class="notice-line warn">{t("scorecardOffline", { when: s.fetched_ms ? formatLocal({ utc_ms: s.fetched_ms, offset_min: -new Date().getTimezoneOffset() }) : "?" })}</p>}
      {s && (
        <>
          <p class="muted small">
            {t("period", { p: s.period })} · {s.rep.display_name}
          </p>
          {groups.map((g) => {
            const ms = s.metrics.filter((m) => m.group === g);
            if (!ms.length) return null;
            return (
              <section class="card">
                <h2>{term("metric_group", g)}</h2>
                {ms.map((m) => {
                  const att = m.total === 0 ? null : m.attainment;
                  const cls = att == null ? "" : att >= 1 ? "good" : att >= 0.6 ? "warn" : "bad";
                  return (
                    <div class="metric-line">
                      <span class="m-name">{term("metric", m.key)}</span>
                      <span class={`m-value ${cls}`}>{fmtValue(m)}</span>
                      <span class="m-part">
                        {[
                          m.part != null && m.total != null ? `${m.part}/${m.total}` : "",
                          m.target != null ? t("target", { t: shapeOf(m) === "share" ? `${Math.round(m.target * 100)}%` : m.target }) : "",
                        ]
                          .filter(Boolean)
                          .join(" · ")}
                      </span>
                      {att != null && (
                        <svg class={`att-bar ${cls}`} viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
                          <rect class="track" x="0" y="0" width="100" height="6" rx="3" />
                          <rect class="fill" x="0" y="0" width={Math.max(2, Math.min(100, att * 100))} height="6" rx="3" />
                        </svg>
                      )}
                    </div>
                  );
                })}
              </section>
            );
          })}
        </>
      )}
    </main>
  );
}

export function SyncScreen() {
  const { t, term, lang } = useI18n();
  const { core, status, sync, doSync, setLang, refreshStatus } = useApp();
  const role = status.role === "manager" ? t("roleManager") : status.role === "admin" ? t("roleAdmin") : status.role ? t("roleRep") : "";
  const signOut = async () => {
    const msg = status.waiting > 0 ? t("signOutWaiting", { n: status.waiting }) : t("signOutConfirm");
    if (!confirm(msg)) return;
    await core.logout();
    await refreshStatus();
    go("/");
  };
  const last = sync.outcome?.kind === "done" ? sync.outcome.report : null;
  const today = todayISO();
  return (
    <main>
      <section class="card first">
        <h2>{t("navSync")}</h2>
        <p>
          <strong>{status.display_name || status.signed_in_as}</strong> <span class="muted">{status.signed_in_as}</span>
        </p>
        <dl class="facts-list">
          {status.company && (
            <>
              <dt>{t("company")}</dt>
              <dd>{status.company}</dd>
            </>
          )}
          {role && (
            <>
              <dt>{t("role")}</dt>
              <dd>{role}</dd>
            </>
          )}
          <dt>{t("server")}</dt>
          <dd class="wrap">{status.server_url}</dd>
          <dt>{t("sync")}</dt>
          <dd>
            {status.waiting === 0 ? t("waitingNone") : status.waiting === 1 ? t("waitingOne") : t("waitingMany", { n: status.waiting })}
            <br />
            <span class="muted small">
              {status.last_sync_ms
                ? t("lastSync", { when: `${formatLocal({ utc_ms: status.last_sync_ms, offset_min: -new Date().getTimezoneOffset() })} (${relativeDay(lang, isoOfMs(status.last_sync_ms), today)})` })
                : t("neverSynced")}
            </span>
          </dd>
        </dl>
        {last && <p class="muted small">{t("lastResult", last as unknown as Record<string, number>)}</p>}
        <button class="button big block" disabled={sync.running} onClick={() => void doSync()}>
          {sync.running ? t("syncing") : t("syncNow")}
        </button>
      </section>
      {(status.rejected?.length ?? 0) > 0 && (
        <section class="card rejected">
          <h2>{t("rejectedTitle")}</h2>
          <div class="rows">
            {status.rejected.map((r) => (
              <a class="row" href={`#/edit/${r.kind}/${r.doc_id}`}>
                <KindIcon kind={r.kind} />
                <span class="row-main">
                  <span class="row-title">{r.title || term("kind", r.kind)}</span>
                  <span class="row-sub bad">{r.reason}</span>
                </span>
              </a>
            ))}
          </div>
          <p class="muted small">{t("rejectedFix")}</p>
        </section>
      )}
      {(status.removals?.length ?? 0) > 0 && (
        <section class="card">
          <h2>{t("removalsTitle")}</h2>
          {status.removals!.map((m) => (
            <p class="small">{m}</p>
          ))}
        </section>
      )}
      <section class="card">
        <h2>{t("language")}</h2>
        <div class="seg">
          <button class={lang === "zh" ? "here" : ""} onClick={() => setLang("zh")}>
            中文
          </button>
          <button class={lang === "en" ? "here" : ""} onClick={() => setLang("en")}>
            English
          </button>
        </div>
      </section>
      <button class="button danger block" onClick={signOut}>
        {t("signOut")}
      </button>
    </main>
  );
}
