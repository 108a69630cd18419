// A school of its own for the data-protection tests: Synapse (SQLite), the school, homework, calendar and mail
// appservices in this process (PostgreSQL), a capturing relay for outgoing mail, and a small roster.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { RunningAppservice } from "@schulhof/core";
import { startDemoOutbox, startHost } from "@schulhof/cli";
import { ensureSystemAdmin, generateSchool, runSynapse, SchoolFileSchema, type GeneratedSchool, type RunningSynapse } from "@schulhof/homeserver-config";
import { testEnv } from "./env.ts";
import { databaseUrl, pgQuery } from "./pg.ts";
import { freePort } from "./ports.ts";
import { eventually } from "./users.ts";

export const OUTSIDE_DOMAIN = "outside.test";

export interface PrivacySchool {
  gen: GeneratedSchool;
  dataDir: string;
  serverName: string;
  synapseUrl: string;
  dbUrl: string;
  /** Synapse's database when it runs on PostgreSQL, else null. */
  synapseDbUrl: string | null;
  smtpPort: number;
  relayDir: string;
  adminToken: string;
  /** A query in one appservice's schema (`school`, `homework`, `calendar`, `mail`). */
  query<T>(schema: string, sql: string, params?: unknown[]): Promise<T[]>;
  /** The Matrix id of a person of the roster by first name. */
  userOf(firstName: string): Promise<string>;
  tokenFor(userId: string): Promise<string>;
  /** A client-server call (retries on 429, throws on other errors, naming the call). */
  call<T>(token: string, method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
  stop(): Promise<void>;
}

export interface PrivacySchoolOptions {
  /** Synapse on PostgreSQL (a database of its own, `synapseDbUrl`), so that a test can search its dump; default SQLite. */
  synapseOnPostgres?: boolean;
}

export async function startPrivacySchool(id: string, roster: string, opts: PrivacySchoolOptions = {}): Promise<PrivacySchool> {
  const dataDir = mkdtempSync(join(tmpdir(), `schulhof-${id}-`));
  const [hsPort, schoolPort, homeworkPort, calendarPort, mailPort, smtpPort, relayPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const dbName = `${id}_${Date.now()}`;
  await pgQuery(databaseUrl(testEnv().pgUrl, "postgres"), null, `CREATE DATABASE ${dbName}`);
  const dbUrl = databaseUrl(testEnv().pgUrl, dbName);
  const serverName = `${id}.schule.test`;
  let synapseDbUrl: string | null = null;
  if (opts.synapseOnPostgres === true) {
    // Synapse wants C collation (as the global setup's cluster makes it).
    await pgQuery(databaseUrl(testEnv().pgUrl, "postgres"), null, `CREATE DATABASE ${dbName}_synapse ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
    synapseDbUrl = databaseUrl(testEnv().pgUrl, `${dbName}_synapse`);
  }
  const pgu = new URL(testEnv().pgUrl);
  const school = SchoolFileSchema.parse({
    school: { id, name: `Datenschutzschule ${id}`, state: "NI", mail_domain: serverName },
    homeserver: { server_name: serverName, public_baseurl: `http://127.0.0.1:${hsPort}`, port: hsPort,
      database: synapseDbUrl === null ? { kind: "sqlite" } : { kind: "postgres", host: pgu.hostname, port: Number(pgu.port), user: decodeURIComponent(pgu.username), database: `${dbName}_synapse` } },
    appservices: { school: { port: schoolPort }, homework: { port: homeworkPort }, calendar: { port: calendarPort }, mail: { port: mailPort } },
    database: { kind: "postgres", url: dbUrl },
    mail: {
      smtp_port: smtpPort,
      relay: { host: "127.0.0.1", port: relayPort },
      // A school that lets students exchange mail with one outside domain (the partner school of the test).
      policy: { outbound_allowlist: [OUTSIDE_DOMAIN] },
      // SPF passes for loopback and aligns with the From domain, so DMARC passes (the allowlist asks for that).
      dns: { [OUTSIDE_DOMAIN]: { TXT: [["v=spf1 ip4:127.0.0.0/8 -all"]] }, [`_dmarc.${OUTSIDE_DOMAIN}`]: { TXT: [["v=DMARC1; p=reject"]] } },
    },
  });
  writeFileSync(join(dataDir, "school.yaml"), stringify(school));
  const gen = generateSchool(school, dataDir);
  const relayDir = join(dataDir, "relay");
  let synapse: RunningSynapse | null = null;
  let host: RunningAppservice[] = [];
  let relay: { close(): Promise<void> } | null = null;
  const stop = async (): Promise<void> => {
    for (const h of host) await h.stop().catch(() => undefined);
    await relay?.close().catch(() => undefined);
    await synapse?.stop();
    if (process.env.SCHULHOF_KEEP_TEST_DATA === undefined) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    synapse = await runSynapse(gen);
    const synapseUrl = synapse.url;
    const adminToken = await ensureSystemAdmin(gen, synapseUrl);
    relay = await startDemoOutbox("127.0.0.1", relayPort, relayDir);
    host = await startHost(gen, { only: ["school", "homework", "calendar", "mail"], mailTuning: { tickMs: 200, backoffBaseMs: 200, directoryRefreshMs: 1000 } });
    const res = await fetch(`http://127.0.0.1:${schoolPort}/_schulhof/school/v1/admin/roster/import`, {
      method: "POST",
      headers: { authorization: `Bearer ${gen.secrets.admin_api_token}`, "content-type": "text/csv" },
      body: roster,
    });
    const last = (await res.text()).trim().split("\n").at(-1) ?? "";
    if (!last.includes('"report"')) throw new Error(`roster import failed: ${last}`);
    const call = async <T>(token: string, method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        const r = await fetch(`${synapseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": contentType },
          ...(body === undefined ? {} : { body: contentType === "application/json" ? JSON.stringify(body) : (body as Uint8Array) }),
        });
        const text = await r.text();
        if (r.status === 429 && attempt < 20) {
          await new Promise((ok) => setTimeout(ok, ((JSON.parse(text) as { retry_after_ms?: number }).retry_after_ms ?? 500) + 50));
          continue;
        }
        if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
        return JSON.parse(text) as T;
      }
    };
    const query = <T>(schema: string, sql: string, params: unknown[] = []): Promise<T[]> => pgQuery<T>(dbUrl, schema, sql, params);
    return {
      gen,
      dataDir,
      serverName,
      synapseUrl,
      dbUrl,
      synapseDbUrl,
      smtpPort,
      relayDir,
      adminToken,
      query,
      async userOf(firstName) {
        const row = (await query<{ user_id: string }>("school", `SELECT user_id FROM people WHERE first_name = $1`, [firstName]))[0];
        if (row === undefined) throw new Error(`no person ${firstName} in the roster`);
        return row.user_id;
      },
      async tokenFor(userId) {
        return (await call<{ access_token: string }>(adminToken, "POST", `/_synapse/admin/v1/users/${encodeURIComponent(userId)}/login`, {})).access_token;
      },
      call,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

const enc = encodeURIComponent;

/** Joins the room whose invite's name starts with `prefix` (incremental sync, as a client sees it); answers its id. */
export async function joinInvited(s: PrivacySchool, token: string, prefix: string): Promise<string> {
  const seen = new Map<string, string>();
  let since: string | undefined;
  const roomId = await eventually(`invite to ${prefix}`, async () => {
    const body = await s.call<{ next_batch: string; rooms?: { invite?: Record<string, { invite_state: { events: { type: string; content: { name?: string } }[] } }> } }>(
      token, "GET", `/_matrix/client/v3/sync?timeout=0${since === undefined ? "" : `&since=${enc(since)}`}`);
    since = body.next_batch;
    for (const [id, r] of Object.entries(body.rooms?.invite ?? {})) seen.set(id, r.invite_state.events.find((e) => e.type === "m.room.name")?.content.name ?? "");
    return [...seen.entries()].find(([, n]) => n.startsWith(prefix))?.[0];
  }, 60_000, 300);
  await s.call(token, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, {});
  return roomId;
}

let txn = 0;
/** Sends an event of `type` into `roomId` as the holder of `token`. */
export const sendEvent = (s: PrivacySchool, token: string, roomId: string, type: string, content: unknown): Promise<{ event_id: string }> =>
  s.call(token, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/${type}/p${Date.now()}-${txn++}`, content);
