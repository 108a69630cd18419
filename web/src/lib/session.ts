// The signed-in session (access token, user, device, homeserver), kept in localStorage so a reload or a new start of the
// browser resumes it without a new login (and without a new device); and the device of a session the homeserver ended
// softly, so the next login of that person takes it again (docs/web.md, "Session and device").
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

/** A device the homeserver keeps while it asks its user to sign in again (`soft_logout`): the next login reuses it. */
export interface ResumableDevice {
  homeserverUrl: string;
  userId: string;
  deviceId: string;
}

const DEVICE_KEY = "schulhof.device";

/** Remembers the device of a session that ended softly (no token is kept). */
export function rememberDevice(device: ResumableDevice): void {
  writeStored(DEVICE_KEY, { homeserverUrl: device.homeserverUrl, userId: device.userId, deviceId: device.deviceId });
}

/** The remembered device for this homeserver, or null. */
export function loadDevice(homeserverUrl: string): ResumableDevice | null {
  const d = readStored<Partial<ResumableDevice>>(DEVICE_KEY);
  if (d === null || d.homeserverUrl !== homeserverUrl || typeof d.userId !== "string" || typeof d.deviceId !== "string") return null;
  return { homeserverUrl, userId: d.userId, deviceId: d.deviceId };
}

/** Forgets the remembered device (after a login, or a logout that deleted it). */
export function forgetDevice(): void {
  removeStored(DEVICE_KEY);
}
