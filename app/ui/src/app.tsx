// The app's shell: opens the store, keeps the status, the online state and the sync, draws
// the persistent top bar and the bottom navigation, and routes (by the URL's hash, so any
// screen reloads under /app/ with no server route) to the screens.

import { createContext } from "preact";
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Core, CoreError, STORE_NAME, type Status, type SyncReport } from "./core.ts";
import type { Lang } from "./i18n.ts";
import { I18nContext, initialLang, makeI18n, rememberLang, useI18n } from "./lang.ts";
import { AccountScreen, ScorecardScreen, SignInScreen, SyncScreen, TodayScreen } from "./screens.tsx";
import { RecordScreen } from "./form.tsx";

export interface SyncUi {
  running: boolean;
  round: number;
  received: number;
  /// The last sync's outcome, for the bar: done, offline or failed.
  outcome: { kind: "done"; report: SyncReport } | { kind: "failed"; error: CoreError } | null;
}

export interface AppCtx {
  core: Core;
  status: Status;
  online: boolean;
  sync: SyncUi;
  /// Bumped on every change of the store (the worker's status event): lists reload.
  version: number;
  doSync: () => Promise<void>;
  /// After a write: the status, and a sync soon when online.
  afterWrite: () => void;
  setLang: (l: Lang) => void;
  refreshStatus: () => Promise<void>;
  toast: (msg: string) => void;
}

const Ctx = createContext<AppCtx | null>(null);
export const useApp = () => useContext(Ctx)!;

/// The route: the hash without `#`, split into the path's parts and its query.
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

function readRoute(): Route {
  const h = location.hash.replace(/^#\/?/, "");
  const [path, q] = h.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q ?? "") };
}

export function go(path: string) {
  location.hash = path.startsWith("#") ? path : `#${path}`;
}

// Screens entered inside the app since it started: "back" returns to the one before when
// there is one, else to a sensible parent (a link opened cold, a reload).
let depth = 0;
window.addEventListener("hashchange", () => depth++);

export function goBack(fallback: string) {
  if (depth > 0) {
    depth -= 2; // this back, and the hashchange it causes
    history.back();
  } else go(fallback);
}

function useRoute(): Route {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const on = () => {
      setRoute(readRoute());
      window.scrollTo(0, 0);
    };
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function App({ core }: { core: Core }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const i18n = useMemo(() => makeI18n(lang), [lang]);
  const setLang = useCallback((l: Lang) => {
    rememberLang(l);
    setLangState(l);
  }, []);
  useEffect(() => rememberLang(lang), []);

  const [status, setStatus] = useState<Status | null>(null);
  const [openError, setOpenError] = useState<string | null>(null);
  const [online, setOnline] = useState(navigator.onLine);
  const [version, setVersion] = useState(0);
  const [sync, setSync] = useState<SyncUi>({ running: false, round: 0, received: 0, outcome: null });
  const [toastMsg, setToast] = useState<string | null>(null);
  const syncing = useRef(false);
  const statusRef = useRef<Status | null>(null);
  statusRef.current = status;
  const route = useRoute();

  const refreshStatus = useCallback(async () => {
    try {
      setStatus(await core.status());
      setVersion((v) => v + 1);
    } catch {
      /* the next event brings it */
    }
  }, [core]);

  const doSync = useCallback(async () => {
    const s = statusRef.current;
    if (syncing.current || !s?.has_tokens) return;
    syncing.current = true;
    setSync((x) => ({ ...x, running: true, round: 0, received: 0 }));
    try {
      const report = await core.sync();
      setOnline(true);
      setSync({ running: false, round: 0, received: 0, outcome: { kind: "done", report } });
    } catch (e) {
      const error = e instanceof CoreError ? e : new CoreError("server", String(e));
      if (error.kind === "offline") setOnline(false);
      setSync({ running: false, round: 0, received: 0, outcome: { kind: "failed", error } });
    } finally {
      syncing.current = false;
      await refreshStatus();
    }
  }, [core, refreshStatus]);

  const writeTimer = useRef<number | undefined>(undefined);
  const afterWrite = useCallback(() => {
    void refreshStatus();
    clearTimeout(writeTimer.current);
    if (navigator.onLine) writeTimer.current = window.setTimeout(() => void doSync(), 2000);
  }, [refreshStatus, doSync]);

  const toastTimer = useRef<number | undefined>(undefined);
  const toast = useCallback((msg: string) => {
    setToast(msg);
    clearTimeout(toastTimer.current);
    toastTimer.current = window.setTimeout(() => setToast(null), 2500);
  }, []);

  // The worker's events: sync progress and the status after every change.
  useEffect(
    () =>
      core.on((m) => {
        if (m.event === "status") {
          setStatus(m.status);
          setVersion((v) => v + 1);
        } else if (m.event === "sync") {
          if (m.phase === "start" || m.phase === "progress") {
            setSync((x) => ({ ...x, running: true, round: m.round, received: m.received }));
          }
        }
      }),
    [core],
  );

  // Open the store, then sync when online.
  useEffect(() => {
    core
      .open(STORE_NAME)
      .then(async (s) => {
        setStatus(s ?? (await core.status()));
      })
      .catch((e) => setOpenError(String(e?.message ?? e)));
  }, [core]);
  const startedSync = useRef(false);
  useEffect(() => {
    if (status?.has_tokens && !startedSync.current) {
      startedSync.current = true;
      if (navigator.onLine) void doSync();
    }
  }, [status?.has_tokens, doSync]);

  // Back online: sync. Offline: say so.
  useEffect(() => {
    const up = () => {
      setOnline(true);
      void doSync();
    };
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
    };
  }, [doSync]);

  if (openError) {
    const other = /access handle|another tab|lock/i.test(openError);
    return (
      <I18nContext.Provider value={i18n}>
        <main class="notice">
          <p class="error">{other ? i18n.t("otherTab") : i18n.t("openFailed", { msg: openError })}</p>
        </main>
      </I18nContext.Provider>
    );
  }
  if (!status) {
    return (
      <I18nContext.Provider value={i18n}>
        <main class="notice">
          <p class="muted">{i18n.t("opening")}</p>
        </main>
      </I18nContext.Provider>
    );
  }

  const ctx: AppCtx = { core, status, online, sync, version, doSync, afterWrite, setLang, refreshStatus, toast };
  const signedIn = status.has_tokens;

  return (
    <I18nContext.Provider value={i18n}>
      <Ctx.Provider value={ctx}>
        {signedIn ? (
          <>
            <TopBar />
            <div class="page">{screen(route)}</div>
            <BottomNav route={route} />
          </>
        ) : (
          <SignInScreen
            onSignedIn={async () => {
              startedSync.current = true;
              await refreshStatus();
              void doSync();
              go("/");
            }}
          />
        )}
        {toastMsg && (
          <div class="toast" role="status">
            {toastMsg}
          </div>
        )}
      </Ctx.Provider>
    </I18nContext.Provider>
  );
}

function screen(route: Route) {
  const [head, a, b] = route.parts;
  switch (head) {
    case undefined:
    case "today":
      return <TodayScreen />;
    case "account":
      return <AccountScreen key={a} id={a} tab={route.query.get("tab") ?? "timeline"} />;
    case "new":
      return <RecordScreen key={`new-${a}-${route.query.toString()}`} kind={a} query={route.query} />;
    case "edit":
      return <RecordScreen key={`edit-${a}-${b}`} kind={a} id={b} query={route.query} />;
    case "scorecard":
      return <ScorecardScreen />;
    case "sync":
      return <SyncScreen />;
    default:
      return <TodayScreen />;
  }
}

/// Always on screen: what is waiting, online or not, the sync button and its progress.
function TopBar() {
  const { t, lang } = useI18n();
  const { status, online, sync, doSync, setLang } = useApp();
  const n = status.waiting;
  const waiting = n === 0 ? t("waitingNone") : n === 1 ? t("waitingOne") : t("waitingMany", { n });
  const rejected = status.rejected?.length ?? 0;
  let line: { text: string; cls: string } | null = null;
  if (sync.running) {
    line = { text: sync.round > 0 ? t("syncProgress", { round: sync.round, received: sync.received }) : t("syncing"), cls: "info" };
  } else if (sync.outcome?.kind === "failed") {
    line =
      sync.outcome.error.kind === "offline"
        ? { text: t("syncOffline"), cls: "warn" }
        : { text: t("syncFailed", { msg: sync.outcome.error.message }), cls: "bad" };
  } else if (!online) {
    line = { text: t("syncOffline"), cls: "warn" };
  }
  return (
    <header class="top app-top">
      <div class="bar">
        <a class="brand" href="#/">
          Rapport
        </a>
        <span class={`net ${online ? "on" : "off"}`}>
          <span class="dot" aria-hidden="true" />
          {online ? t("online") : t("offline")}
        </span>
        <a class={`waiting ${n > 0 ? "some" : ""}`} href="#/sync">
          {waiting}
        </a>
        <button class="sync-btn" disabled={sync.running} onClick={() => void doSync()} aria-label={t("sync")}>
          <span class={`spin-icon ${sync.running ? "turning" : ""}`} aria-hidden="true">
            ⟳
          </span>
          {t("sync")}
        </button>
        <button class="lang" onClick={() => setLang(lang === "zh" ? "en" : "zh")} aria-label={t("language")}>
          {lang === "zh" ? "EN" : "中"}
        </button>
      </div>
      {line && <div class={`bar-line ${line.cls}`}>{line.text}</div>}
      {rejected > 0 && (
        <a class="bar-line bad" href="#/sync">
          {rejected === 1 ? t("rejectedOne") : t("rejectedMany", { n: rejected })}
        </a>
      )}
    </header>
  );
}

function BottomNav({ route }: { route: Route }) {
  const { t } = useI18n();
  const head = route.parts[0] ?? "today";
  const item = (href: string, name: string, label: string, icon: string) => (
    <a href={href} class={head === name ? "here" : ""}>
      <span class="icon" aria-hidden="true">
        {icon}
      </span>
      {label}
    </a>
  );
  return (
    <nav class="bottom">
      {item("#/", "today", t("navToday"), "◎")}
      {item("#/scorecard", "scorecard", t("navScorecard"), "▤")}
      {item("#/sync", "sync", t("navSync"), "⇅")}
    </nav>
  );
}
