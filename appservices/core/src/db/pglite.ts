// The embedded backend of the storage port: PGlite (PostgreSQL compiled to WebAssembly), for the demo and tests.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { Db, Queryable, QueryResult } from "./db.ts";

/**
 * Opens a PGlite database in `path` (a folder; `null` keeps it in memory). PGlite runs one
 * statement at a time, so transactions are serialised here.
 */
export async function openPglite(path: string | null): Promise<Db> {
  if (path !== null) mkdirSync(path, { recursive: true });
  const db = path === null ? new PGlite() : new PGlite(path);
  await db.waitReady;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    kind: "pglite",
    query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      return serial(async () => ({ rows: (await db.query<T>(sql, params)).rows }));
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return serial(() =>
        db.transaction(async (t) => {
          const tx: Queryable = {
            async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
              return { rows: (await t.query<R>(sql, params)).rows };
            },
          };
          return fn(tx);
        }),
      );
    },
    async close(): Promise<void> {
      await chain;
      await db.close();
    },
  };
}
