// localStorage access that survives a browser which refuses storage (private mode, quota): reads answer null then.
import { log } from "./log.ts";

/** Reads a JSON value, or null when absent or unreadable. */
export function readStored<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? null : (JSON.parse(raw) as T);
  } catch {
    return null;
  }
}

/** Writes a JSON value; logs and carries on when the browser refuses. */
export function writeStored(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (e) {
    log.warn(`could not store ${key}`, e);
  }
}

/** Removes a value. */
export function removeStored(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    // Nothing stored then, nothing to remove.
  }
}
