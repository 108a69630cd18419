// A school of a test's own: Synapse (SQLite), the school, homework and calendar appservices, its first roster import, and
// on request the web server.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { RunningAppservice } from "@schulhof/core";
import type { ImportReport } from "@schulhof/school";
import { startHost, webApisOf } from "@schulhof/cli";
import { ensureSystemAdmin, generateSchool, SchoolFileSchema, runSynapse, type GeneratedSchool, type RunningSynapse } from "@schulhof/homeserver-config";
import { startWebServer } from "@schulhof/web";
import { testEnv } from "./env.ts";
import { databaseUrl, pgQuery } from "./pg.ts";
import { freePort } from "./ports.ts";
import { snapshotOfDist } from "./web-dist.ts";

/** A running school of its own (an import deactivates everyone not in its file, so the shared school stays untouched). */
export interface OwnSchool {
  gen: GeneratedSchool;
  serverName: string;
  synapseUrl: string;
  /** The school appservice's admin API (`…/_schulhof/school/v1/admin`) and the calendar API base. */
  schoolAdminUrl: string;
  calendarApiUrl: string;
  /** The appservices' database (schemas `school`, `homework`, `calendar`). */
  dbUrl: string;
  /** Server-admin token (`@schulhof-system`). */
  adminToken: string;
  /** Initial passwords from the first import's letters, by localpart. */
  passwords: Map<string, string>;
  /** Posts a roster to the admin API; answers the final NDJSON line. */
  importRoster(csv: string): Promise<{ report?: ImportReport; error?: unknown }>;
  /** An access token for `localpart`, made by the admin API (no login, so the login limits stay untouched). */
  tokenFor(localpart: string): Promise<string>;
  /** A client-server API call; answers status and JSON body. */
  call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** An own school with its web server (`startOwnSchool(…, { web: true })`), for browser tests. */
export interface OwnSchoolWithWeb extends OwnSchool {
  /** The web server (a private copy of web/dist; the feature APIs under `/_schulhof/<service>/v1`). */
  webUrl: string;
}

export interface OwnSchoolOptions {
  /** Also start the web server on a free loopback port, as `schulhof up` does; the school file names it as `web.port`. */
  web?: boolean;
}

/** Starts the school `id` and imports `roster` as its first term; with `{ web: true }` also its web server. */
export async function startOwnSchool(id: string, name: string, roster: string, opts: OwnSchoolOptions & { web: true }): Promise<OwnSchoolWithWeb>;
export async function startOwnSchool(id: string, name: string, roster: string, opts?: OwnSchoolOptions): Promise<OwnSchool>;
export async function startOwnSchool(id: string, name: string, roster: string, opts: OwnSchoolOptions = {}): Promise<OwnSchool | OwnSchoolWithWeb> {
  const dataDir = mkdtempSync(join(tmpdir(), `schulhof-${id}-`));
  const [hsPort, schoolPort, homeworkPort, calendarPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const webPort = opts.web === true ? await freePort() : null;
  const dbName = `${id}_${Date.now()}`;
  await pgQuery(databaseUrl(testEnv().pgUrl, "postgres"), null, `CREATE DATABASE ${dbName}`);
  const dbUrl = databaseUrl(testEnv().pgUrl, dbName);
  const serverName = `${id}.schule.test`;
  const school = SchoolFileSchema.parse({
    school: { id, name, state: "NI", mail_domain: serverName },
    homeserver: { server_name: serverName, public_baseurl: `http://127.0.0.1:${hsPort}`, port: hsPort, database: { kind: "sqlite" } },
    appservices: { school: { port: schoolPort }, homework: { port: homeworkPort }, calendar: { port: calendarPort }, mail: { port: calendarPort + 1, enabled: false } },
    database: { kind: "postgres", url: dbUrl },
    ...(webPort === null ? {} : { web: { port: webPort } }),
  });
  writeFileSync(join(dataDir, "school.yaml"), stringify(school));
  const gen = generateSchool(school, dataDir);
  let synapse: RunningSynapse | null = null;
  let host: RunningAppservice[] = [];
  let web: Server | null = null;
  let distDir = "";
  const stop = async (): Promise<void> => {
    web?.closeAllConnections();
    await new Promise<void>((r) => (web === null ? r() : web.close(() => r())));
    for (const h of host) await h.stop().catch(() => undefined);
    await synapse?.stop();
    if (process.env.SCHULHOF_KEEP_TEST_DATA === undefined) rmSync(dataDir, { recursive: true, force: true });
    if (distDir !== "") rmSync(distDir, { recursive: true, force: true });
  };
  try {
    synapse = await runSynapse(gen);
    const synapseUrl = synapse.url;
    const adminToken = await ensureSystemAdmin(gen, synapseUrl);
    host = await startHost(gen, { only: ["school", "homework", "calendar"] });
    if (webPort !== null) {
      distDir = await snapshotOfDist();
      web = await startWebServer({ bind: "127.0.0.1", port: webPort, wellKnownDir: gen.wellKnownDir, distDir, apis: webApisOf(gen) });
    }
    const schoolAdminUrl = `http://127.0.0.1:${schoolPort}/_schulhof/school/v1/admin`;
    const importRoster: OwnSchool["importRoster"] = async (csv) => {
      const res = await fetch(`${schoolAdminUrl}/roster/import`, {
        method: "POST",
        headers: { authorization: `Bearer ${gen.secrets.admin_api_token}`, "content-type": "text/csv" },
        body: csv,
      });
      const last = (await res.text()).trim().split("\n").at(-1) ?? "";
      return JSON.parse(last) as Awaited<ReturnType<OwnSchool["importRoster"]>>;
    };
    const call: OwnSchool["call"] = async (token, method, path, body) => {
      const res = await fetch(`${synapseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
    };
    const tokenFor = async (localpart: string): Promise<string> => {
      const r = await call(adminToken, "POST", `/_synapse/admin/v1/users/${encodeURIComponent(`@${localpart}:${serverName}`)}/login`, {});
      if (r.status !== 200) throw new Error(`admin login ${localpart}: ${r.status} ${JSON.stringify(r.body)}`);
      return String(r.body.access_token);
    };
    const first = await importRoster(roster);
    if (first.report === undefined || first.report.failures.length > 0) throw new Error(`first import failed: ${JSON.stringify(first)}`);
    const running: OwnSchool = {
      gen,
      serverName,
      synapseUrl,
      schoolAdminUrl,
      calendarApiUrl: `http://127.0.0.1:${calendarPort}/_schulhof/calendar/v1`,
      dbUrl,
      adminToken,
      passwords: new Map(first.report.letters.map((l) => [l.localpart, l.password])),
      importRoster,
      tokenFor,
      call,
      stop,
    };
    return webPort === null ? running : { ...running, webUrl: `http://127.0.0.1:${webPort}` };
  } catch (e) {
    await stop();
    throw e;
  }
}
