// The language: the one chosen (remembered in localStorage), else the browser's.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { type Key, type Lang, type Vocab, langFromTag, term, translate } from "./i18n.ts";

const KEY = "rapport-lang";

export function initialLang(): Lang {
  // A link may name the language (`?lang=en`): it wins, and is remembered.
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "en" || asked === "zh") {
    rememberLang(asked);
    return asked;
  }
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === "en" || saved === "zh") return saved;
  } catch {
    /* storage blocked: follow the browser */
  }
  return langFromTag(navigator.language);
}

export function rememberLang(lang: Lang) {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    /* not remembered */
  }
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export interface I18n {
  lang: Lang;
  t: (key: Key, vars?: Record<string, string | number>) => string;
  term: (vocab: Vocab, code: string | null | undefined) => string;
}

export function makeI18n(lang: Lang): I18n {
  return {
    lang,
    t: (key, vars) => translate(lang, key, vars),
    term: (vocab, code) => term(lang, vocab, code),
  };
}

export const I18nContext = createContext<I18n>(makeI18n("en"));
export const useI18n = () => useContext(I18nContext);
