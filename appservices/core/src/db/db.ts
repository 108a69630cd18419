// The storage port every appservice uses: one interface, backed by PostgreSQL (pg) or the embedded PGlite.

/** A result of a query: its rows. */
export interface QueryResult<T> {
  rows: T[];
}

/** Something SQL can run on: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one statement with `$1…` parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

/**
 * A database. `transaction` runs `fn` in one transaction that commits when `fn` resolves and rolls
 * back when it throws; the commit is durable (fsync'd) before the promise resolves.
 */
export interface Db extends Queryable {
  readonly kind: "postgres" | "pglite";
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Where an appservice keeps its projection: PostgreSQL in production, PGlite in the demo and unit tests. */
export type DbConfig =
  | { kind: "postgres"; url: string; schema?: string | undefined; poolSize?: number | undefined }
  | { kind: "pglite"; path: string | null };
