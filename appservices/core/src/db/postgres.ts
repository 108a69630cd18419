// The PostgreSQL backend of the storage port, on node-postgres (pg).
import pg from "pg";
import type { Db, Queryable, QueryResult } from "./db.ts";

/** Opens a pool; when `schema` is given, every connection uses it as search_path (created if missing). */
export async function openPostgres(url: string, schema?: string, poolSize = 10): Promise<Db> {
  if (schema === undefined) return wrap(new pg.Pool({ connectionString: url, max: poolSize }));
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  try {
    await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } finally {
    await setup.end();
  }
  return wrap(new pg.Pool({ connectionString: url, max: poolSize, options: `-c search_path=${schema}` }));
}

function wrap(pool: pg.Pool): Db {
  return {
    kind: "postgres",
    async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      const r = await pool.query(sql, params);
      return { rows: r.rows as T[] };
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const tx: Queryable = {
          async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
            const r = await client.query(sql, params);
            return { rows: r.rows as R[] };
          },
        };
        const result = await fn(tx);
        await client.query("COMMIT");
        return result;
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
