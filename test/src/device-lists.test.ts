// A login's new device wakes nobody; its encryption keys announce it (real Synapse through Schulhof's launcher).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testEnv } from "./harness/env.ts";
import { login, newUser, type TestUser } from "./harness/users.ts";

const enc = encodeURIComponent;

async function call(token: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${testEnv().synapseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The users whose devices changed, from syncs of `watcher` from `since` for up to `ms`; answers them and the next token. */
async function deviceChanges(watcher: TestUser, since: string, ms: number): Promise<{ changed: string[]; next: string }> {
  const changed = new Set<string>();
  let next = since;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const r = await call(watcher.accessToken, "GET", `/_matrix/client/v3/sync?since=${enc(next)}&timeout=${Math.max(0, until - Date.now())}`);
    next = String(r.next_batch);
    for (const u of ((r.device_lists as { changed?: string[] } | undefined)?.changed ?? [])) changed.add(u);
  }
  return { changed: [...changed], next };
}

describe("new devices (schulhof_quiet_new_devices)", () => {
  it("does not wake a room-mate's sync for a login, and announces the device when it publishes keys", async () => {
    const anna = await newUser("anna-devices");
    const ben = await newUser("ben-devices");
    const room = String((await call(anna.accessToken, "POST", "/_matrix/client/v3/createRoom", { preset: "private_chat", invite: [ben.userId] })).room_id);
    await call(ben.accessToken, "POST", `/_matrix/client/v3/join/${enc(room)}`, {});
    let since = String((await call(ben.accessToken, "GET", "/_matrix/client/v3/sync?timeout=0")).next_batch);
    // Ben's sync has settled (his own join may still be in flight): read on until it is quiet.
    since = (await deviceChanges(ben, since, 1000)).next;

    // Anna logs in on a second device (the morning's login): Ben's open sync is not woken for it.
    const token = await login(anna.localpart, anna.password);
    const device = String((await call(token, "GET", "/_matrix/client/v3/account/whoami")).device_id);
    const quiet = await deviceChanges(ben, since, 4000);
    assert.ok(!quiet.changed.includes(anna.userId), `a new device without keys is not announced (changed: ${quiet.changed.join(", ")})`);

    // The device publishes its encryption keys (what a client with end-to-end encryption does next): now it is announced.
    const keys = { [`ed25519:${device}`]: "nqOvzeuGWT/sRx3h7+MHoInYj3Uk2LD/unI9kDYcHwk", [`curve25519:${device}`]: "wTuD+XBHBBwyI5T1OeVGW1QqEchmZU1PwZsUDPOeFWs" };
    await call(token, "POST", "/_matrix/client/v3/keys/upload", {
      device_keys: { user_id: anna.userId, device_id: device, algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"], keys, signatures: {} },
    });
    const announced = await deviceChanges(ben, quiet.next, 10_000);
    assert.ok(announced.changed.includes(anna.userId), "the key upload announces the device to those who share a room");
    const query = await call(ben.accessToken, "POST", "/_matrix/client/v3/keys/query", { device_keys: { [anna.userId]: [] } });
    assert.ok(device in ((query.device_keys as Record<string, Record<string, unknown>>)[anna.userId] ?? {}), "Ben's client can encrypt for the new device");
  });
});
