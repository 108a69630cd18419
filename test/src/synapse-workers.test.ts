// Synapse with workers (homeserver.workers, docs/scaling.md), real processes: Redis, the main process, an event
// persister, two sync workers and a client worker on PostgreSQL, the router on the school's port, and the school's
// appservices. Each request's process is read from that process's own access log.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { RunningAppservice } from "@schulhof/core";
import { startHost } from "@schulhof/cli";
import { ensureSystemAdmin, generateSchool, runSynapse, SchoolFileSchema, type GeneratedSchool, type ProcessEvent, type RunningSynapse } from "@schulhof/homeserver-config";
import { testEnv } from "./harness/env.ts";
import { databaseUrl } from "./harness/pg.ts";
import { freePort, freePortRange } from "./harness/ports.ts";
import { eventually } from "./harness/users.ts";

const SERVER = "workers.schulhof.test";
let dir = "";
let gen: GeneratedSchool;
let synapse: RunningSynapse;
let host: RunningAppservice[] = [];
let adminToken = "";

interface Person {
  userId: string;
  token: string;
}

async function call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${synapse.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function person(localpart: string): Promise<Person> {
  const userId = `@${localpart}:${SERVER}`;
  const made = await call(adminToken, "PUT", `/_synapse/admin/v2/users/${encodeURIComponent(userId)}`, { password: "Pferd-Tisch-Regen-42", displayname: localpart });
  assert.ok(made.status === 200 || made.status === 201, JSON.stringify(made.json));
  const login = await call("", "POST", "/_matrix/client/v3/login", { type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password: "Pferd-Tisch-Regen-42" });
  assert.equal(login.status, 200, JSON.stringify(login.json));
  return { userId, token: String(login.json.access_token) };
}

type SyncEvent = { event_id: string; content: { body?: string } };

/** The timeline events of one joined room in a sync answer. */
function timelineOf(sync: Record<string, unknown>, roomId: string): SyncEvent[] {
  const join = (sync.rooms as { join?: Record<string, { timeline?: { events?: SyncEvent[] } }> } | undefined)?.join ?? {};
  return join[roomId]?.timeline?.events ?? [];
}

/** The requests a process logged (Synapse's access log: "{@user} Processed request: … METHOD /path"), as "user METHOD path". */
function served(name: string): string[] {
  const file = name === "main" ? join(dir, "synapse", "homeserver.log") : join(dir, "synapse", "workers", `${name}.log`);
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((l) => {
      const m = /\{([^}]*)\} Processed request: .* "(GET|POST|PUT|DELETE) (\S+)/.exec(l);
      return m === null ? [] : [`${m[1]} ${m[2]} ${(m[3] ?? "").split("?")[0]}`];
    });
}

const events: ProcessEvent[] = [];

before(async () => {
  const env = testEnv();
  process.env.SCHULHOF_LOG_LEVEL ??= "warn";
  dir = mkdtempSync(join(tmpdir(), "schulhof-workers-"));
  const admin = new pg.Client({ connectionString: env.pgUrl });
  await admin.connect();
  await admin.query("CREATE DATABASE workers_synapse ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  await admin.query("CREATE DATABASE workers_apps");
  await admin.end();
  const u = new URL(env.pgUrl);
  const [hsPort, school, homework, calendar, redisPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  gen = generateSchool(
    SchoolFileSchema.parse({
      school: { id: "workers", name: "Gesamtschule mit Workern", state: "HB", mail_domain: SERVER },
      homeserver: {
        server_name: SERVER,
        public_baseurl: `http://127.0.0.1:${hsPort}`,
        port: hsPort,
        database: { kind: "postgres", host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), database: "workers_synapse" },
        workers: { sync: 2, client: 1, event_persisters: 1, base_port: await freePortRange(6), redis: { port: redisPort } },
      },
      appservices: { school: { port: school }, homework: { port: homework }, calendar: { port: calendar }, mail: { port: calendar + 1, enabled: false } },
      database: { kind: "postgres", url: databaseUrl(env.pgUrl, "workers_apps") },
    }),
    dir,
  );
  // As `schulhof up` runs it: a process that crashes is started again (after 3 s here, so the test sees the gap first).
  synapse = await runSynapse(gen, { restart: { firstDelayMs: 3000, onEvent: (e) => events.push(e) } });
  adminToken = await ensureSystemAdmin(gen, synapse.url);
  host = await startHost(gen);
});

after(async () => {
  for (const a of host) await a.stop();
  await synapse?.stop();
  if (process.env.SCHULHOF_KEEP_TEST_DATA === undefined && dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("Synapse with workers behind the router", () => {
  it("runs Redis, the main process, the persister, two sync workers, a client worker and the router", () => {
    assert.deepEqual(
      synapse.processes.map((p) => p.name),
      ["redis", "main", "persister1", "sync1", "sync2", "client1", "router"],
    );
    for (const p of synapse.processes) assert.equal(p.process.exitCode, null, `${p.name} is running`);
  });

  it("logs in on the client worker, sends there, and delivers through one sync worker per person", async () => {
    const [lehrerin, schueler] = [await person("wlehrerin"), await person("wschueler")];
    // A login has no user yet when it is logged ("None").
    assert.ok(served("client1").filter((l) => l === "None POST /_matrix/client/v3/login").length >= 2, "both logins on the client worker");
    assert.equal(served("main").filter((l) => l.endsWith("/_matrix/client/v3/login")).length, 0, "no login reached the main process");

    const room = await call(lehrerin.token, "POST", "/_matrix/client/v3/createRoom", { name: "Chemie 10a", invite: [schueler.userId] });
    assert.equal(room.status, 200, JSON.stringify(room.json));
    const roomId = String(room.json.room_id);
    assert.equal((await call(schueler.token, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {})).status, 200);

    const first = await call(schueler.token, "GET", "/_matrix/client/v3/sync?timeout=0");
    assert.equal(first.status, 200);
    let since = String(first.json.next_batch);
    const sent = await call(lehrerin.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/w1`, { msgtype: "m.text", body: "Versuch 3 morgen" });
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    const got = await eventually("the message in the student's long-poll", async () => {
      const r = await call(schueler.token, "GET", `/_matrix/client/v3/sync?since=${encodeURIComponent(since)}&timeout=10000`);
      assert.equal(r.status, 200);
      since = String(r.json.next_batch);
      return timelineOf(r.json, roomId).find((e) => e.content.body === "Versuch 3 morgen");
    });
    assert.equal(got.event_id, sent.json.event_id);

    const sends = (name: string): number => served(name).filter((l) => l.startsWith(`${lehrerin.userId} PUT`) && l.includes("/send/")).length;
    assert.equal(sends("client1"), 1, "the send was answered by the client worker");
    assert.equal(sends("main"), 0);
    const syncsOf = (name: string): number => served(name).filter((l) => l.startsWith(`${schueler.userId} GET /_matrix/client/v3/sync`)).length;
    const [s1, s2, m] = [syncsOf("sync1"), syncsOf("sync2"), syncsOf("main")];
    assert.equal(m, 0, "no sync reached the main process");
    assert.ok((s1 === 0) !== (s2 === 0), `all of one person's syncs on one worker (sync1 ${s1}, sync2 ${s2})`);
  });

  it("lets the school's appservice act through the workers: its bot answers an invite", async () => {
    const lehrer = await person("wlehrer");
    const bot = `@schule:${SERVER}`;
    const room = await call(lehrer.token, "POST", "/_matrix/client/v3/createRoom", { name: "Physik 10a", invite: [bot] });
    assert.equal(room.status, 200);
    const roomId = String(room.json.room_id);
    await eventually("the school bot joined", async () => {
      const members = await call(lehrer.token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`);
      return Object.keys((members.json.joined ?? {}) as Record<string, unknown>).includes(bot) ? true : undefined;
    }, 30_000);
  });

  it("answers 502 at once for a person whose sync worker is gone, serves the others, and starts the worker again", async () => {
    const people = await Promise.all(["wa", "wb", "wc", "wd", "we", "wf"].map((p) => person(p)));
    for (const p of people) assert.equal((await call(p.token, "GET", "/_matrix/client/v3/sync?timeout=0")).status, 200);
    const sync2 = synapse.processes.find((p) => p.name === "sync2")?.process;
    assert.ok(sync2 !== undefined);
    const gone = new Promise((r) => sync2.once("exit", r));
    sync2.kill("SIGKILL");
    await gone;
    const answers = await Promise.all(people.map(async (p) => (await call(p.token, "GET", "/_matrix/client/v3/sync?timeout=0")).status));
    assert.ok(answers.includes(502) && answers.includes(200), `some on sync2 (502), some on sync1 (200): ${answers.join(", ")}`);
    assert.equal((await call(people[0]?.token ?? "", "GET", "/_matrix/client/v3/account/whoami")).status, 200, "everything else still works");

    // Then the supervisor starts it again, and its people sync again, on the same worker.
    const restarted = await eventually("sync2 started again", async () => events.find((e) => e.kind === "restarted" && e.name === "sync2"), 120_000, 250);
    assert.ok(events.some((e) => e.kind === "exited" && e.name === "sync2" && e.signal === "SIGKILL"), JSON.stringify(events));
    const now = synapse.processes.find((p) => p.name === "sync2")?.process;
    assert.ok(now !== undefined && now !== sync2 && restarted.kind === "restarted" && now.pid === restarted.pid, "a new sync2 process");
    const before = served("sync2").length;
    const again = await Promise.all(people.map(async (p) => (await call(p.token, "GET", "/_matrix/client/v3/sync?timeout=0")).status));
    assert.deepEqual(again, people.map(() => 200));
    assert.ok(served("sync2").length > before, "the restarted sync2 answers its people again");
    assert.deepEqual(events.map((e) => e.name), ["sync2", "sync2"], "no other process was restarted");
  });

  it("starts the main process again after a crash; the workers carry on with it", async () => {
    const [a, b] = [await person("wmain1"), await person("wmain2")];
    const room = await call(a.token, "POST", "/_matrix/client/v3/createRoom", { name: "Nach dem Absturz", invite: [b.userId] });
    assert.equal(room.status, 200, JSON.stringify(room.json));
    const roomId = String(room.json.room_id);
    assert.equal((await call(b.token, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {})).status, 200);
    const main = synapse.process;
    events.length = 0;
    main.kill("SIGKILL");
    await eventually("main started again", async () => events.find((e) => e.kind === "restarted" && e.name === "main"), 180_000, 250);
    assert.notEqual(synapse.process, main);
    // Sending goes through the client worker and the event persister, which talk to main over replication (Redis, HTTP).
    const sent = await eventually(
      "a message sent after the restart",
      async () => {
        const r = await call(a.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/after-${Date.now()}`, { msgtype: "m.text", body: "wieder da" });
        return r.status === 200 ? String(r.json.event_id) : undefined;
      },
      120_000,
      1000,
    );
    await eventually("the message at the other person", async () => {
      const r = await call(b.token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(sent)}`);
      return r.status === 200 ? true : undefined;
    }, 60_000, 500);
    assert.deepEqual(events.map((e) => `${e.kind} ${e.name}`), ["exited main", "restarted main"], "only main was restarted");
  });
});
