// One query against a test database (optionally in a schema), with a connection of its own.
import pg from "pg";

/** Runs `sql` on `url` with `search_path` set to `schema` when given. */
export async function pgQuery<T>(url: string, schema: string | null, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, ...(schema === null ? {} : { options: `-c search_path=${schema}` }) });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** The URL of database `name` on the same server as `url`. */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
