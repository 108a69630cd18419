// Starts the real stack once per test run: PostgreSQL, Synapse (on PostgreSQL) and the school appservice.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningAppservice } from "@schulhof/core";
import { ensureSystemAdmin, generateSchool, runSynapse, SchoolFileSchema, type RunningSynapse } from "@schulhof/homeserver-config";
import { startHost, webApisOf } from "@schulhof/cli";
import { startWebServer } from "@schulhof/web";
import type { Server } from "node:http";
import type { TestEnv } from "./harness/env.ts";
import { freePort } from "./harness/ports.ts";
import { startPostgres, type TestPostgres } from "./harness/postgres.ts";
import { startLivekit, type RunningLivekit } from "./harness/livekit.ts";
import { startVideoService, VideoServiceConfigSchema, type RunningVideoService } from "@schulhof/video";
import { createLogger } from "@schulhof/core";

let pg: TestPostgres | null = null;
let synapse: RunningSynapse | null = null;
let host: RunningAppservice[] = [];
let livekit: RunningLivekit | null = null;
let video: RunningVideoService | null = null;
let web: Server | null = null;
let dataDir = "";

/** Called by `node --test --test-global-setup` before any test file runs. */
export async function globalSetup(): Promise<void> {
  const t0 = performance.now();
  dataDir = mkdtempSync(join(tmpdir(), "schulhof-test-"));
  pg = await startPostgres();
  const synapseDb = new URL(await pg.createDatabase("synapse"));
  const appsDb = await pg.createDatabase("appservices");
  const counterDb = await pg.createDatabase("counter");
  const hwRestartDb = await pg.createDatabase("hwrestart");
  const [hsPort, schoolPort, homeworkPort, counterPort, hwRestartPort, calendarPort, videoPort, webPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const serverName = "schule-a.test";
  const school = SchoolFileSchema.parse({
    school: { id: "test", name: "Testschule Käthe Kollwitz", state: "NI", mail_domain: "schule-a.test" },
    homeserver: {
      server_name: serverName,
      public_baseurl: `http://127.0.0.1:${hsPort}`,
      port: hsPort,
      database: { kind: "postgres", host: "127.0.0.1", port: Number(synapseDb.port), user: "postgres", database: "synapse" },
    },
    // The mail bridge runs in stacks of its own (test/src/harness/mailstack.ts).
    appservices: { school: { port: schoolPort }, homework: { port: homeworkPort }, calendar: { port: calendarPort }, mail: { port: calendarPort + 1, enabled: false } },
    database: { kind: "postgres", url: appsDb },
    video: { livekit_url: "ws://127.0.0.1:7880", token_service_url: `http://127.0.0.1:${videoPort}` },
    web: { port: webPort },
  });
  const gen = generateSchool(school, dataDir, [
    {
      id: "counter",
      botLocalpart: "_counter",
      url: `http://127.0.0.1:${counterPort}`,
      exclusiveUsers: ["_counter"],
      sharedUsers: [],
      exclusiveAliases: [],
    },
    {
      id: "homework-restart",
      botLocalpart: "_hwtest",
      url: `http://127.0.0.1:${hwRestartPort}`,
      exclusiveUsers: ["_hwtest"],
      sharedUsers: [],
      exclusiveAliases: ["_hwtest-.*"],
    },
  ]);
  synapse = await runSynapse(gen);
  const adminToken = await ensureSystemAdmin(gen, synapse.url);
  host = await startHost(gen);
  // The district's video: a real livekit-server and the token service, trusting this school.
  livekit = await startLivekit();
  video = await startVideoService(
    VideoServiceConfigSchema.parse({
      port: videoPort,
      livekit: { url: livekit.url, apiUrl: livekit.httpUrl, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
      schools: { [serverName]: { homeserverUrl: synapse.url, schoolApiUrl: `http://127.0.0.1:${schoolPort}`, secret: gen.secrets.video_secret } },
      sessionSecret: gen.secrets.session_secret,
    }),
    createLogger("video"),
  );
  // The web client (web/dist, built by scripts/test.ts) with the school's .well-known and the forwarded feature APIs.
  web = await startWebServer({ bind: "127.0.0.1", port: webPort, wellKnownDir: gen.wellKnownDir, apis: webApisOf(gen) });
  const counterTokens = gen.secrets.appservices.counter;
  const hwTokens = gen.secrets.appservices["homework-restart"];
  if (counterTokens === undefined || hwTokens === undefined) throw new Error("fixture tokens missing");
  const env: TestEnv = {
    synapseUrl: synapse.url,
    serverName,
    dataDir,
    pgUrl: pg.url,
    adminToken,
    schoolApiUrl: `http://127.0.0.1:${schoolPort}/_schulhof/school/v1/admin`,
    adminApiToken: gen.secrets.admin_api_token,
    schoolName: school.school.name,
    homeworkUrl: `http://127.0.0.1:${homeworkPort}`,
    calendarUrl: `http://127.0.0.1:${calendarPort}`,
    videoUrl: `http://127.0.0.1:${video.port}`,
    webUrl: `http://127.0.0.1:${webPort}`,
    videoSecret: gen.secrets.video_secret,
    livekit: { url: livekit.url, httpUrl: livekit.httpUrl, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
    homeworkRestart: { port: hwRestartPort, asToken: hwTokens.as_token, hsToken: hwTokens.hs_token, dbUrl: hwRestartDb, botUserId: `@_hwtest:${serverName}` },
    sessionSecret: gen.secrets.session_secret,
    counter: { port: counterPort, asToken: counterTokens.as_token, hsToken: counterTokens.hs_token, dbUrl: counterDb, botUserId: `@_counter:${serverName}` },
  };
  const envFile = join(dataDir, "test-env.json");
  writeFileSync(envFile, JSON.stringify(env, null, 2));
  process.env.SCHULHOF_TEST_ENV = envFile;
  process.stderr.write(`test stack up in ${((performance.now() - t0) / 1000).toFixed(1)} s (Synapse ${synapse.url}, data ${dataDir})\n`);
}

/** Called after every test file ran. */
export async function globalTeardown(): Promise<void> {
  const t0 = performance.now();
  web?.closeAllConnections();
  await new Promise<void>((r) => (web === null ? r() : web.close(() => r())));
  await video?.stop().catch(() => undefined);
  await livekit?.stop().catch(() => undefined);
  for (const h of host) await h.stop().catch(() => undefined);
  const t1 = performance.now();
  await synapse?.stop();
  const t2 = performance.now();
  pg?.stop();
  const s = (a: number, b: number): string => ((b - a) / 1000).toFixed(1);
  process.stderr.write(`test stack down: appservices ${s(t0, t1)} s, Synapse ${s(t1, t2)} s, PostgreSQL ${s(t2, performance.now())} s\n`);
  if (process.env.SCHULHOF_KEEP_TEST_DATA === undefined && dataDir !== "") rmSync(dataDir, { recursive: true, force: true });
}
