// Shared helpers of the core unit tests: a silent logger, a fresh in-memory database, events, polling.
import { once } from "node:events";
import type { Express } from "express";
import { createLogger, INBOX_MIGRATIONS, migrate, openPglite, OUTBOX_MIGRATIONS, type Db, type Logger, type MatrixEvent } from "@schulhof/core";

/** A logger that writes nothing. */
export const silentLog: Logger = createLogger("test", "silent");

/** An in-memory PGlite with the inbox and outbox tables. */
export async function freshDb(): Promise<Db> {
  const db = await openPglite(null);
  await migrate(db, "intake", INBOX_MIGRATIONS);
  await migrate(db, "outbox", OUTBOX_MIGRATIONS);
  return db;
}

/** A well-formed room message event. */
export function event(eventId: string, roomId: string, body = eventId): MatrixEvent {
  return {
    event_id: eventId,
    room_id: roomId,
    type: "m.room.message",
    sender: "@alice:schule.example.de",
    origin_server_ts: 1_700_000_000_000,
    content: { msgtype: "m.text", body },
  };
}

/** Polls `check` every 10 ms until it returns true; fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Serves `app` on a free loopback port; answers its base URL and a function that stops it. */
export async function serve(app: Express): Promise<{ base: string; close: () => Promise<void> }> {
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
