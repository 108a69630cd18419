// Synapse with workers: the generated files, the routing rules, and the router (against plain HTTP servers standing
// in for Synapse's processes; test/src/synapse-workers.test.ts runs the real ones).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { ConfigError, loadYamlConfig } from "@schulhof/core";
import { generateSchool, SchoolFileSchema } from "@schulhof/homeserver-config";
import { startRouter, type RunningRouter } from "../src/router.ts";
import { routeOf, workerLayout, type WorkerSpec } from "../src/workers.ts";
import { minimalSchool, tempDir } from "./support.ts";

type Obj = Record<string, unknown>;
const readYaml = (path: string): Obj => parse(readFileSync(path, "utf8")) as Obj;

function schoolWithWorkers(workers: Obj): Obj {
  const s = minimalSchool();
  return { ...s, homeserver: { ...(s.homeserver as Obj), database: { kind: "postgres", user: "synapse", database: "synapse" }, workers } };
}

describe("Synapse workers: generated files", () => {
  const dir = tempDir();
  const gen = generateSchool(SchoolFileSchema.parse(schoolWithWorkers({ sync: 2, client: 1, event_persisters: 2, base_port: 18200 })), dir);
  const hs = readYaml(gen.synapse.homeserverYaml);

  it("lays out main, replication and one port per worker, persisters first", () => {
    assert.ok(gen.workers !== null);
    assert.equal(gen.workers.mainPort, 18200);
    assert.equal(gen.workers.replicationPort, 18201);
    assert.deepEqual(
      gen.workers.workers.map((w) => [w.name, w.role, w.port]),
      [
        ["persister1", "persister", 18202],
        ["persister2", "persister", 18203],
        ["sync1", "sync", 18204],
        ["sync2", "sync", 18205],
        ["client1", "client", 18206],
      ],
    );
  });

  it("moves the main process behind the router on loopback, with a replication listener, Redis and the event writers", () => {
    const listeners = hs.listeners as Obj[];
    assert.deepEqual(
      listeners.map((l) => [l.port, l.bind_addresses, l.x_forwarded, (l.resources as { names: string[] }[])[0]?.names]),
      [
        [18200, ["127.0.0.1"], true, ["client", "federation", "openid"]],
        [18201, ["127.0.0.1"], undefined, ["replication"]],
      ],
    );
    assert.deepEqual(hs.redis, { enabled: true, host: "127.0.0.1", port: 6379 });
    assert.deepEqual(hs.instance_map, {
      main: { host: "127.0.0.1", port: 18201 },
      persister1: { host: "127.0.0.1", port: 18202 },
      persister2: { host: "127.0.0.1", port: 18203 },
    });
    assert.deepEqual(hs.stream_writers, { events: ["persister1", "persister2"] });
  });

  it("writes each worker's file: generic worker, its name, loopback listener, its own log", () => {
    const sync1 = readYaml(join(dir, "synapse", "workers", "sync1.yaml"));
    assert.equal(sync1.worker_app, "synapse.app.generic_worker");
    assert.equal(sync1.worker_name, "sync1");
    assert.deepEqual(sync1.worker_listeners, [
      { type: "http", port: 18204, bind_addresses: ["127.0.0.1"], tls: false, x_forwarded: true, resources: [{ names: ["client", "health"], compress: false }] },
    ]);
    const log = readYaml(sync1.worker_log_config as string);
    assert.equal(((log.handlers as Obj).file as Obj).filename, join(dir, "synapse", "workers", "sync1.log"));
    const persister = readYaml(join(dir, "synapse", "workers", "persister1.yaml"));
    assert.deepEqual((persister.worker_listeners as Obj[])[0]?.resources, [{ names: ["replication", "health"], compress: false }]);
  });

  it("gives the router the school's port and every process", () => {
    const router = JSON.parse(readFileSync(join(dir, "synapse", "workers", "router.json"), "utf8")) as Obj;
    assert.equal(router.port, 8008);
    assert.equal(router.bind, "127.0.0.1");
    assert.equal(router.mainPort, 18200);
    assert.equal((router.workers as unknown[]).length, 5);
  });

  it("keeps the logs of running workers when it regenerates, and drops the files of workers the school no longer has", () => {
    const workersDir = join(dir, "synapse", "workers");
    writeFileSync(join(workersDir, "sync2.log"), "a running worker's log\n");
    generateSchool(SchoolFileSchema.parse(schoolWithWorkers({ sync: 1, client: 1, event_persisters: 2, base_port: 18200 })), dir);
    assert.equal(existsSync(join(workersDir, "sync2.yaml")), false);
    assert.equal(existsSync(join(workersDir, "sync2.log.config")), false);
    assert.equal(readFileSync(join(workersDir, "sync2.log"), "utf8"), "a running worker's log\n");
    assert.equal(existsSync(join(workersDir, "sync1.yaml")), true);
  });

  it("removes the workers' files again when the school goes back to one process", () => {
    const one = generateSchool(SchoolFileSchema.parse(minimalSchool()), dir);
    assert.equal(one.workers, null);
    assert.deepEqual(readdirSync(join(dir, "synapse", "workers")), ["sync2.log"], "only the log is left");
    const again = readYaml(one.synapse.homeserverYaml);
    assert.equal(again.redis, undefined);
    assert.equal(again.instance_map, undefined);
    assert.equal((again.listeners as Obj[])[0]?.port, 8008);
  });

  it("refuses workers on SQLite, naming the key", () => {
    const s = minimalSchool();
    const r = SchoolFileSchema.safeParse({ ...s, homeserver: { ...(s.homeserver as Obj), workers: {} } });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues.map((i) => [i.path.join("."), i.message]), [["homeserver.workers", "Synapse workers need PostgreSQL: set homeserver.database.kind to postgres"]]);
  });

  it("names the key and the file of a bad workers setting", () => {
    const file = join(dir, "school.yaml");
    const bad = schoolWithWorkers({ sync: -1 });
    writeFileSync(file, JSON.stringify(bad));
    assert.throws(
      () => loadYamlConfig(file, SchoolFileSchema),
      (e: unknown) => e instanceof ConfigError && e.message.includes("homeserver.workers.sync") && e.message.includes(file),
    );
  });
});

describe("Synapse workers: which process answers", () => {
  const layout = workerLayout(SchoolFileSchema.parse(schoolWithWorkers({})).homeserver.workers ?? assert.fail("defaults"), "/x");

  it("sends the long-polls and initial syncs to the sync workers", () => {
    for (const p of ["/_matrix/client/v3/sync", "/_matrix/client/r0/sync", "/_matrix/client/v3/events", "/_matrix/client/v3/initialSync", "/_matrix/client/v3/rooms/!a:x/initialSync"]) {
      assert.equal(routeOf(p, "", layout), "sync", p);
    }
  });

  it("sends logins, reads and event creation to the client workers", () => {
    for (const p of [
      "/_matrix/client/v3/login",
      "/_matrix/client/v3/createRoom",
      "/_matrix/client/v3/rooms/!a:x/send/m.room.message/t1",
      "/_matrix/client/v3/rooms/!a:x/state/m.room.name/",
      "/_matrix/client/v3/rooms/!a:x/messages",
      "/_matrix/client/v3/rooms/!a:x/invite",
      "/_matrix/client/v3/join/%23raum:x",
      "/_matrix/client/v3/user/@a:x/filter",
      "/_matrix/client/v3/joined_rooms",
      "/_matrix/client/v3/profile/@a:x/displayname",
    ]) {
      assert.equal(routeOf(p, "", layout), "client", p);
    }
  });

  it("keeps single-writer streams, media, admin, registration and delayed events on the main process", () => {
    for (const p of [
      "/_matrix/client/v3/rooms/!a:x/typing/@a:x",
      "/_matrix/client/v3/rooms/!a:x/receipt/m.read/$e",
      "/_matrix/client/v3/rooms/!a:x/read_markers",
      "/_matrix/client/v3/user/@a:x/account_data/m.direct",
      "/_matrix/client/v3/sendToDevice/m.room_key/t",
      "/_matrix/client/v3/keys/upload",
      "/_matrix/client/v3/register",
      "/_matrix/media/v3/upload",
      "/_matrix/client/v1/media/download/x/y",
      "/_synapse/admin/v2/users/@a:x",
      "/_matrix/client/unstable/org.matrix.msc4140/delayed_events",
      "/_matrix/federation/v1/openid/userinfo",
      "/_matrix/client/v3/syncx",
    ]) {
      assert.equal(routeOf(p, "", layout), "main", p);
    }
    assert.equal(routeOf("/_matrix/client/v3/rooms/!a:x/state/org.matrix.msc3401.call.member/x", "org.matrix.msc4140.delay=60000", layout), "main");
  });

  it("answers everything from main when a pool has no workers", () => {
    const none = { workers: [] };
    assert.equal(routeOf("/_matrix/client/v3/sync", "", none), "main");
    assert.equal(routeOf("/_matrix/client/v3/login", "", none), "main");
  });
});

describe("the router", () => {
  const servers: Server[] = [];
  const seen: { name: string; url: string; forwardedFor: string | undefined; body: string }[] = [];
  let router: RunningRouter;
  let base: string;
  let downPort = 0;

  /** A stand-in for one Synapse process that says who it is. */
  async function upstream(name: string): Promise<number> {
    const s = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (body += c));
      req.on("end", () => {
        seen.push({ name, url: req.url ?? "", forwardedFor: req.headers["x-forwarded-for"] as string | undefined, body });
        res.writeHead(200, { "content-type": "application/json", "x-upstream": name });
        res.end(JSON.stringify({ name }));
      });
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    return (s.address() as AddressInfo).port;
  }

  before(async () => {
    const mainPort = await upstream("main");
    const w = async (name: string, role: WorkerSpec["role"]): Promise<WorkerSpec> => ({ name, role, port: await upstream(name), configFile: "", logConfig: "" });
    const stopped = createServer();
    await new Promise<void>((r) => stopped.listen(0, "127.0.0.1", () => r()));
    downPort = (stopped.address() as AddressInfo).port;
    await new Promise<void>((r) => stopped.close(() => r()));
    const workers = [await w("sync1", "sync"), await w("sync2", "sync"), await w("sync3", "sync"), await w("client1", "client"), await w("client2", "client")];
    router = await startRouter("127.0.0.1", 0, { mainPort, workers: [...workers, { name: "persister1", role: "persister", port: downPort, configFile: "", logConfig: "" }] });
    base = `http://127.0.0.1:${router.port}`;
  });
  after(async () => {
    await router.close();
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  });

  const who = async (path: string, init: RequestInit = {}): Promise<string> => {
    const res = await fetch(`${base}${path}`, init);
    assert.equal(res.status, 200);
    return ((await res.json()) as { name: string }).name;
  };

  it("keeps one user's syncs on one sync worker and spreads users over all of them", async () => {
    const byUser = new Map<string, Set<string>>();
    for (let u = 0; u < 30; u++) {
      for (let i = 0; i < 3; i++) {
        const name = await who(`/_matrix/client/v3/sync?since=s${i}&timeout=0`, { headers: { authorization: `Bearer token-${u}` } });
        byUser.set(`token-${u}`, (byUser.get(`token-${u}`) ?? new Set()).add(name));
      }
    }
    for (const [u, names] of byUser) assert.equal(names.size, 1, `${u} always reaches the same worker`);
    assert.deepEqual(new Set([...byUser.values()].flatMap((s) => [...s])), new Set(["sync1", "sync2", "sync3"]));
    // The query's access_token counts like the header.
    const a = await who("/_matrix/client/v3/sync?access_token=token-7");
    assert.deepEqual(byUser.get("token-7"), new Set([a]));
  });

  it("takes turns between the client workers and sends the rest to main, with path, query, body and caller's address", async () => {
    const names = [await who("/_matrix/client/v3/login", { method: "POST", body: "{}" }), await who("/_matrix/client/v3/login", { method: "POST", body: "{}" })];
    assert.deepEqual(new Set(names), new Set(["client1", "client2"]));
    const body = JSON.stringify({ msgtype: "m.text", body: "Hallo" });
    assert.equal(await who("/_matrix/client/v3/rooms/!r:x/send/m.room.message/t1?x=1", { method: "PUT", body }), names[0]);
    const last = seen.at(-1);
    assert.equal(last?.url, "/_matrix/client/v3/rooms/!r:x/send/m.room.message/t1?x=1");
    assert.equal(last?.body, body);
    assert.equal(last?.forwardedFor, "127.0.0.1");
    assert.equal(await who("/_matrix/media/v3/upload", { method: "POST", body: "x" }), "main");
    assert.ok((router.counts.get("main") ?? 0) >= 1);
  });

  it("answers 502 with a Matrix error when a process is not reachable", async () => {
    const down = await startRouter("127.0.0.1", 0, { mainPort: downPort, workers: [] });
    try {
      const res = await fetch(`http://127.0.0.1:${down.port}/_matrix/client/versions`);
      assert.equal(res.status, 502);
      assert.deepEqual(await res.json(), { errcode: "M_UNKNOWN", error: "Synapse process main is not reachable" });
    } finally {
      await down.close();
    }
  });
});
