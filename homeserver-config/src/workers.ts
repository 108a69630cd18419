// Synapse in several processes (docs/scaling.md): the layout of a school's workers, their config files, the main
// process's additions, and which requests go where.
import { join } from "node:path";
import type { SchoolFile } from "./schema.ts";

export type WorkersConfig = NonNullable<SchoolFile["homeserver"]["workers"]>;
export type WorkerRole = "sync" | "client" | "persister";

export interface WorkerSpec {
  name: string;
  role: WorkerRole;
  /** Client listener (sync, client) or replication listener (persister), on 127.0.0.1. */
  port: number;
  configFile: string;
  logConfig: string;
}

/** Where each process of a school's Synapse listens. */
export interface WorkerLayout {
  /** The main process's client listener (behind the router). */
  mainPort: number;
  /** The main process's replication listener. */
  replicationPort: number;
  workers: WorkerSpec[];
  redis: WorkersConfig["redis"];
  dir: string;
}

const LOOPBACK = "127.0.0.1";

/** Names and ports: main at `base_port`, its replication at `base_port + 1`, then persisters, sync and client workers. */
export function workerLayout(cfg: WorkersConfig, synapseDir: string): WorkerLayout {
  const dir = join(synapseDir, "workers");
  const workers: WorkerSpec[] = [];
  let port = cfg.base_port + 2;
  const add = (role: WorkerRole, prefix: string, n: number): void => {
    for (let i = 1; i <= n; i++) {
      const name = `${prefix}${i}`;
      workers.push({ name, role, port: port++, configFile: join(dir, `${name}.yaml`), logConfig: join(dir, `${name}.log.config`) });
    }
  };
  add("persister", "persister", cfg.event_persisters);
  add("sync", "sync", cfg.sync);
  add("client", "client", cfg.client);
  return { mainPort: cfg.base_port, replicationPort: cfg.base_port + 1, workers, redis: cfg.redis, dir };
}

/** What the main process's homeserver.yaml gets beyond the one-process config: replication, Redis, the stream writers. */
export function mainProcessSettings(layout: WorkerLayout): Record<string, unknown> {
  const persisters = layout.workers.filter((w) => w.role === "persister");
  return {
    redis: { enabled: true, host: layout.redis.host, port: layout.redis.port },
    instance_map: {
      main: { host: LOOPBACK, port: layout.replicationPort },
      ...Object.fromEntries(persisters.map((w) => [w.name, { host: LOOPBACK, port: w.port }])),
    },
    ...(persisters.length > 0 ? { stream_writers: { events: persisters.map((w) => w.name) } } : {}),
  };
}

/** The main process's listeners: client (and federation, openid) behind the router, replication for the workers. */
export function mainProcessListeners(layout: WorkerLayout): Record<string, unknown>[] {
  return [
    {
      port: layout.mainPort,
      bind_addresses: [LOOPBACK],
      type: "http",
      tls: false,
      // The router is the only client; it passes on the caller's address (per-address login limits need it).
      x_forwarded: true,
      resources: [{ names: ["client", "federation", "openid"], compress: false }],
    },
    { port: layout.replicationPort, bind_addresses: [LOOPBACK], type: "http", tls: false, resources: [{ names: ["replication"], compress: false }] },
  ];
}

/** One worker's own file; it runs with `-c homeserver.yaml -c <this file>`. */
export function workerYaml(w: WorkerSpec): Record<string, unknown> {
  const resource = w.role === "persister" ? "replication" : "client";
  return {
    worker_app: "synapse.app.generic_worker",
    worker_name: w.name,
    worker_listeners: [
      { type: "http", port: w.port, bind_addresses: [LOOPBACK], tls: false, x_forwarded: w.role !== "persister", resources: [{ names: [resource, "health"], compress: false }] },
    ],
    worker_log_config: w.logConfig,
  };
}

/** The API version part of Synapse's client paths. */
const V = "(?:api/v1|r0|v3|unstable)";

/** Requests a sync worker answers (Synapse's "synchrotron" list): the long-polls and initial syncs. */
export const SYNC_ROUTES: readonly RegExp[] = [
  new RegExp(`^/_matrix/client/(?:r0|v3|unstable)/sync$`),
  new RegExp(`^/_matrix/client/(?:api/v1|r0|v3)/events$`),
  new RegExp(`^/_matrix/client/(?:api/v1|r0|v3)/initialSync$`),
  new RegExp(`^/_matrix/client/(?:api/v1|r0|v3)/rooms/[^/]+/initialSync$`),
];

/**
 * Requests a client worker answers: logins (bcrypt), reads, and event creation (the event persisters write the
 * events). Everything with a single writer of its own (typing, receipts, account data, to-device, keys upload,
 * presence), media, admin APIs, registration and delayed events stay with the main process.
 */
export const CLIENT_ROUTES: readonly RegExp[] = [
  new RegExp(`^/_matrix/client/${V}/login$`),
  new RegExp(`^/_matrix/client/${V}/createRoom$`),
  new RegExp(`^/_matrix/client/${V}/rooms/[^/]+/(?:messages|members|joined_members|state|aliases)$`),
  new RegExp(`^/_matrix/client/${V}/rooms/[^/]+/(?:context|event)/`),
  new RegExp(`^/_matrix/client/(?:v1|unstable)/rooms/[^/]+/relations/`),
  new RegExp(`^/_matrix/client/v1/rooms/[^/]+/(?:hierarchy|threads|timestamp_to_event)$`),
  new RegExp(`^/_matrix/client/${V}/(?:joined_rooms|publicRooms|search|capabilities|notifications)$`),
  new RegExp(`^/_matrix/client/(?:r0|v3|unstable)/account/whoami$`),
  new RegExp(`^/_matrix/client/(?:r0|v3|unstable)/user/[^/]+/filter(?:/|$)`),
  new RegExp(`^/_matrix/client/(?:r0|v3|unstable)/keys/(?:query|changes|claim)$`),
  new RegExp(`^/_matrix/client/(?:r0|v3|unstable)/user_directory/search$`),
  new RegExp(`^/_matrix/client/${V}/directory/room/`),
  // Event sending.
  new RegExp(`^/_matrix/client/${V}/rooms/[^/]+/(?:send|state|redact)/`),
  new RegExp(`^/_matrix/client/${V}/rooms/[^/]+/(?:join|invite|leave|ban|unban|kick)$`),
  new RegExp(`^/_matrix/client/${V}/(?:join|knock)/`),
  new RegExp(`^/_matrix/client/${V}/profile/`),
];

/** Which pool answers a request: `sync`, `client`, or `main` (everything else, and whatever its pool lacks). */
export function routeOf(path: string, query: string, layout: Pick<WorkerLayout, "workers">): "sync" | "client" | "main" {
  const has = (role: WorkerRole): boolean => layout.workers.some((w) => w.role === role);
  if (has("sync") && SYNC_ROUTES.some((r) => r.test(path))) return "sync";
  // Delayed events (MSC4140, the call page's scheduled leave) are kept by the main process.
  if (query.includes("org.matrix.msc4140.delay")) return "main";
  if (has("client") && CLIENT_ROUTES.some((r) => r.test(path))) return "client";
  return "main";
}
