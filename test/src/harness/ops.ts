// What the ops tests (backup, install, upgrade) share: stopping a process they started, and plain client-server calls.
import type { ChildProcess } from "node:child_process";

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited (at once if it already has). */
export async function stopProcess(child: ChildProcess | null, graceMs = 20_000): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(t);
}

/** One JSON request to `base`; answers the status and the parsed body (`{}` when it is not JSON). */
export async function call<T = Record<string, unknown>>(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as T };
}

/** Password login; answers the access token or throws with the homeserver's answer. */
export async function login(base: string, localpart: string, password: string): Promise<string> {
  const r = await call<{ access_token?: string }>(base, null, "POST", "/_matrix/client/v3/login", { type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password });
  if (r.body.access_token === undefined) throw new Error(`login ${localpart}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}
