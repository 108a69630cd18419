// The signed-in session (access token, user, device, homeserver), kept in localStorage so a reload stays signed in.
import { readStored, removeStored, writeStored } from "./storage.ts";

/** What a password login gives and every later start needs. */
export interface StoredSession {
  homeserverUrl: string;
  userId: string;
  deviceId: string;
  accessToken: string;
}

const STORAGE_KEY = "schulhof.session";

/** The stored session, or null when there is none (or it is damaged). */
export function loadSession(): StoredSession | null {
  const s = readStored<Partial<StoredSession>>(STORAGE_KEY);
  if (s === null) return null;
  const { homeserverUrl, userId, deviceId, accessToken } = s;
  if (typeof homeserverUrl !== "string" || typeof userId !== "string" || typeof deviceId !== "string" || typeof accessToken !== "string") return null;
  return { homeserverUrl, userId, deviceId, accessToken };
}

export function saveSession(session: StoredSession): void {
  writeStored(STORAGE_KEY, session);
}

export function clearSession(): void {
  removeStored(STORAGE_KEY);
}
