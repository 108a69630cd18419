// Light and dark theme: follows the system (prefers-color-scheme) until the user picks one, which is kept in localStorage.
import { readStored, writeStored } from "./storage.ts";

/** An explicit choice, or null to follow the system. */
export type ThemeChoice = "light" | "dark" | null;

const STORAGE_KEY = "schulhof.theme";
const darkQuery = (): MediaQueryList | null => (typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null);

class ThemeState {
  choice = $state<ThemeChoice>(readStoredChoice());
  systemDark = $state(darkQuery()?.matches ?? false);
  /** The theme in effect. */
  readonly effective = $derived<"light" | "dark">(this.choice ?? (this.systemDark ? "dark" : "light"));
}

function readStoredChoice(): ThemeChoice {
  const stored = readStored<string>(STORAGE_KEY);
  return stored === "light" || stored === "dark" ? stored : null;
}

/** The theme; `theme.effective` is what the page shows. */
export const theme = new ThemeState();

/** Sets `data-theme` on <html> and follows system changes; called once at start. */
export function initTheme(): void {
  darkQuery()?.addEventListener("change", (e) => {
    theme.systemDark = e.matches;
    applyTheme();
  });
  applyTheme();
}

/** Switches to the other theme and remembers the choice. */
export function toggleTheme(): void {
  theme.choice = theme.effective === "dark" ? "light" : "dark";
  writeStored(STORAGE_KEY, theme.choice);
  applyTheme();
}

function applyTheme(): void {
  document.documentElement.dataset.theme = theme.effective;
}
