// Real Matrix users for integration tests: created with the admin API, logged in with their password, as matrix-js-sdk clients.
import { randomBytes } from "node:crypto";
import { createClient, type MatrixClient } from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { testEnv } from "./env.ts";

(sdkLogger as unknown as { setLevel?: (level: string) => void }).setLevel?.("warn");

export interface TestUser {
  userId: string;
  localpart: string;
  password: string;
  accessToken: string;
  client: MatrixClient;
}

/** A unique localpart for this test run: `prefix-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

async function adminFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const env = testEnv();
  return fetch(`${env.synapseUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${env.adminToken}`, "content-type": "application/json", ...(init.headers ?? {}) },
  });
}

/** Logs in with a password; answers the access token or throws with the homeserver's errcode. */
export async function login(localpart: string, password: string): Promise<string> {
  const env = testEnv();
  const res = await fetch(`${env.synapseUrl}/_matrix/client/v3/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password }),
  });
  const body = (await res.json()) as { access_token?: string; errcode?: string };
  if (!res.ok || body.access_token === undefined) throw new Error(`login ${localpart}: ${res.status} ${body.errcode ?? ""}`);
  return body.access_token;
}

/** A client for an existing account. */
export function clientFor(userId: string, accessToken: string): MatrixClient {
  return createClient({ baseUrl: testEnv().synapseUrl, accessToken, userId, useAuthorizationHeader: true });
}

/** Creates a user (no rate limit, so tests can send quickly) and logs them in. */
export async function newUser(prefix: string, opts: { unthrottled?: boolean } = {}): Promise<TestUser> {
  const env = testEnv();
  const localpart = uniqueName(prefix);
  const userId = `@${localpart}:${env.serverName}`;
  const password = randomBytes(12).toString("base64url");
  const res = await adminFetch(`/_synapse/admin/v2/users/${encodeURIComponent(userId)}`, {
    method: "PUT",
    body: JSON.stringify({ password, displayname: prefix }),
  });
  if (!res.ok) throw new Error(`create ${userId}: ${res.status} ${await res.text()}`);
  if (opts.unthrottled === true) {
    const r = await adminFetch(`/_synapse/admin/v1/users/${encodeURIComponent(userId)}/override_ratelimit`, {
      method: "POST",
      body: JSON.stringify({ messages_per_second: 0, burst_count: 0 }),
    });
    if (!r.ok) throw new Error(`override ratelimit: ${r.status}`);
  }
  const accessToken = await login(localpart, password);
  return { userId, localpart, password, accessToken, client: clientFor(userId, accessToken) };
}

/** Polls `fn` until it answers a value that is not undefined, or throws after `timeoutMs`. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The messages of a room (newest last), read with `/messages`. */
export async function roomMessages(user: TestUser, roomId: string, limit = 1000): Promise<{ event_id: string; sender: string; type: string; content: Record<string, unknown> }[]> {
  const env = testEnv();
  const out: { event_id: string; sender: string; type: string; content: Record<string, unknown> }[] = [];
  let from: string | undefined;
  for (;;) {
    const q = new URLSearchParams({ dir: "f", limit: String(Math.min(limit, 1000)), ...(from === undefined ? {} : { from }) });
    const res = await fetch(`${env.synapseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?${q}`, {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    if (!res.ok) throw new Error(`messages ${roomId}: ${res.status}`);
    const body = (await res.json()) as { chunk: typeof out; end?: string };
    out.push(...body.chunk);
    if (body.end === undefined || body.chunk.length === 0) return out;
    from = body.end;
  }
}
