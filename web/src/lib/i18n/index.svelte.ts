// Translations: German by default, English on request; the choice is kept in localStorage and set as `lang` on <html>.
import { readStored, writeStored } from "../storage.ts";
import { de, type MessageKey } from "./de.ts";
import { en } from "./en.ts";

export type { MessageKey } from "./de.ts";

/** The languages of the client. */
export type Locale = "de" | "en";

export const LOCALES: readonly Locale[] = ["de", "en"];

const STORAGE_KEY = "schulhof.locale";
const dictionaries: Record<Locale, Record<MessageKey, string>> = { de, en };

function storedLocale(): Locale {
  const stored = readStored<string>(STORAGE_KEY);
  return stored === "en" ? "en" : "de";
}

class LocaleState {
  current = $state<Locale>(storedLocale());
}

/** The current language; reading `locale.current` in a template makes it update when the language changes. */
export const locale = new LocaleState();

/** Switches the language, remembers it and sets `lang` on <html>. */
export function setLocale(next: Locale): void {
  locale.current = next;
  writeStored(STORAGE_KEY, next);
  applyLocaleToDocument();
}

/** Sets `lang` on <html> to the current language; called once at start. */
export function applyLocaleToDocument(): void {
  document.documentElement.lang = locale.current;
}

/**
 * The text for `key` in the current language, with `{name}` placeholders filled from `params`.
 * Parameters are inserted as plain text; the result must be rendered as text, never as HTML.
 */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = dictionaries[locale.current][key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** "A, B und C" / "A, B, and C" in the current language. */
export function formatList(items: readonly string[]): string {
  return new Intl.ListFormat(locale.current, { style: "long", type: "conjunction" }).format(items);
}

/** The `Accept-Language` value for API calls, so servers answer errors in the user's language. */
export function acceptLanguage(): string {
  return locale.current === "en" ? "en, de;q=0.5" : "de, en;q=0.5";
}
