// Starts one appservice: storage, durable intake, dispatcher, HTTP (transactions, health, metrics) and shutdown.
import type { Server } from "node:http";
import express, { type Express } from "express";
import type { Logger } from "pino";
import type { Db, DbConfig, Queryable } from "./db/db.ts";
import type { OutboxAction } from "./intake/outbox-types.ts";
import { migrate, type Migration } from "./db/migrate.ts";
import { openDb } from "./db/open.ts";
import { Dispatcher, type EventHandler } from "./intake/dispatcher.ts";
import { countPending, INBOX_MIGRATIONS, type MatrixEvent } from "./intake/inbox.ts";
import { enqueue, OUTBOX_MIGRATIONS, OutboxSender } from "./intake/outbox.ts";
import { transactionRouter } from "./intake/transactions.ts";
import { createLogger } from "./log.ts";
import { matrixErrorHandler } from "./openid/express.ts";
import { AppserviceMatrix, type AppserviceIdentity } from "./matrix/client.ts";
import { createMetrics, type CoreMetrics } from "./metrics.ts";

/** What the runtime gives an appservice when it starts. */
export interface AppserviceContext {
  name: string;
  db: Db;
  log: Logger;
  matrix: AppserviceMatrix;
  metrics: CoreMetrics;
  /**
   * Queues Matrix actions from outside event handling (timers, HTTP API): call `enqueue` inside a
   * `db.transaction`, then `kick` after it committed.
   */
  outbox: { enqueue: (tx: Queryable, cause: string, action: OutboxAction) => Promise<void>; kick: () => void };
}

/** What an appservice gives back: its event handler and optional HTTP routes and hooks. */
export interface AppserviceHandlers {
  /** Handles one stored event; see `EventHandler` for the at-least-once contract. */
  handle: EventHandler;
  /** Adds the appservice's own HTTP API (mounted after the Matrix routes). */
  routes?: (app: Express) => void;
  /** Answers the homeserver's user query for the exclusive namespace. */
  userExists?: (userId: string) => Promise<boolean>;
  /** Called once after the HTTP server listens (join rooms, schedule timers). Must not throw for passing errors. */
  started?: () => Promise<void>;
  /** Called on shutdown before the database closes. */
  stop?: () => Promise<void>;
  /**
   * Sees every well-formed event of every transaction, stored or not, before the transaction is acknowledged; for
   * in-memory caches only (invalidation). Must be quick and must not throw.
   */
  observe?: (event: MatrixEvent) => void;
}

/**
 * An appservice as the host knows it. `accepts` decides at intake which events are stored at all:
 * events it refuses are acknowledged without being kept (they would not be handled anyway), so no
 * appservice keeps a copy of conversations it has no business with.
 */
export interface AppserviceDefinition<C> {
  name: string;
  migrations: readonly Migration[];
  accepts: (event: MatrixEvent, botUserId: string) => boolean;
  create: (ctx: AppserviceContext, config: C) => Promise<AppserviceHandlers>;
}

/** Where and as whom an appservice runs. */
export interface RuntimeConfig {
  identity: AppserviceIdentity;
  /** The registration's `id`; used to ask the homeserver to resend its backlog at start. */
  registrationId: string;
  hsToken: string;
  bind: string;
  port: number;
  db: DbConfig;
  logLevel?: string;
  /** Rooms handled in parallel by the dispatcher. */
  concurrency?: number;
}

/** A started appservice. */
export interface RunningAppservice {
  name: string;
  port: number;
  ctx: AppserviceContext;
  dispatcher: Dispatcher;
  outbox: OutboxSender;
  /** Stops accepting transactions, finishes the events in hand, closes storage. */
  stop: () => Promise<void>;
}

/** Starts `def` with `runtime` and its own `config`; `deps.db` replaces the configured database (tests). */
export async function startAppservice<C>(
  def: AppserviceDefinition<C>,
  runtime: RuntimeConfig,
  config: C,
  deps: { db?: Db; log?: Logger } = {},
): Promise<RunningAppservice> {
  const log = deps.log ?? createLogger(def.name, runtime.logLevel);
  const db = deps.db ?? (await openDb(runtime.db));
  await migrate(db, "intake", INBOX_MIGRATIONS);
  await migrate(db, "outbox", OUTBOX_MIGRATIONS);
  await migrate(db, def.name, def.migrations);
  const metrics = createMetrics(def.name, () => countPending(db));
  const matrix = new AppserviceMatrix(runtime.identity);
  const outbox = new OutboxSender(db, matrix, log, runtime.concurrency ?? 8);
  const ctx: AppserviceContext = { name: def.name, db, log, matrix, metrics, outbox: { enqueue, kick: () => outbox.kick() } };
  const handlers = await def.create(ctx, config);

  const dispatcher = new Dispatcher({
    db,
    log,
    handle: handlers.handle,
    enqueue,
    onQueued: () => outbox.kick(),
    concurrency: runtime.concurrency ?? 8,
    onOutcome: (outcome, _ev, ms) => {
      metrics.events.inc({ outcome });
      metrics.handlerSeconds.observe(ms / 1000);
    },
  });

  const app = express();
  app.disable("x-powered-by");
  app.use(
    transactionRouter({
      db,
      hsToken: runtime.hsToken,
      log,
      accepts: (ev) => {
        handlers.observe?.(ev);
        return def.accepts(ev, matrix.botUserId);
      },
      onStored: () => dispatcher.kick(),
      onTransaction: () => metrics.transactions.inc(),
      ...(handlers.userExists === undefined ? {} : { userExists: handlers.userExists }),
    }),
  );
  app.get("/health", async (_req, res) => {
    try {
      res.json({ status: "ok", appservice: def.name, pending: await countPending(db) });
    } catch {
      res.status(503).json({ status: "storage unavailable", appservice: def.name });
    }
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  handlers.routes?.(app);
  app.use(matrixErrorHandler(log));

  const server = await listen(app, runtime.bind, runtime.port);
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : runtime.port;
  dispatcher.start();
  outbox.start();
  log.info({ port, bind: runtime.bind }, "appservice listening");
  // A homeserver that saw us down waits up to minutes before retrying; a ping makes it send the backlog now.
  pingWithRetries(runtime, 6).then(
    (ms) => log.info({ ms }, "homeserver reached us"),
    (e: unknown) => log.warn({ err: e }, "homeserver ping failed; it will retry on its own schedule"),
  );
  if (handlers.started !== undefined) {
    handlers.started().catch((e: unknown) => log.error({ err: e }, "start-up task failed"));
  }

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dispatcher.stop();
      await outbox.stop();
      await handlers.stop?.();
      if (deps.db === undefined) await db.close();
      log.info("appservice stopped");
    })();
    return stopping;
  };
  return { name: def.name, port, ctx, dispatcher, outbox, stop };
}

/** Pings up to `attempts` times, a second and more apart: a busy homeserver may not answer the first. */
async function pingWithRetries(runtime: RuntimeConfig, attempts: number): Promise<number> {
  for (let i = 1; ; i++) {
    try {
      return await pingHomeserver(runtime);
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 1000 * i));
    }
  }
}

/** Asks the homeserver to ping us (MSC2659); on success Synapse retries transactions it held back. */
async function pingHomeserver(runtime: RuntimeConfig): Promise<number> {
  const url = `${runtime.identity.homeserverUrl}/_matrix/client/v1/appservice/${encodeURIComponent(runtime.registrationId)}/ping`;
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${runtime.identity.asToken}`, "content-type": "application/json" },
    body: JSON.stringify({ transaction_id: `start-${Date.now()}` }),
  });
  const body = (await res.json()) as { duration_ms?: number; errcode?: string; error?: string };
  if (!res.ok) throw new Error(`ping: ${res.status} ${body.errcode ?? ""} ${body.error ?? ""}`);
  return body.duration_ms ?? 0;
}

function listen(app: Express, bind: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, bind, (err?: Error) => (err === undefined ? resolve(server) : reject(err)));
    server.on("error", reject);
  });
}
