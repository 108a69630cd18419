// Numbered migrations per component, recorded in a shared `schulhof_migrations` table.
import type { Db } from "./db.ts";

/** One schema step. Versions start at 1 and never change once released. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schulhof_migrations (
  component TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version)
)`;
const SELECT_APPLIED = `SELECT version FROM schulhof_migrations WHERE component = $1`;
const INSERT_APPLIED = `INSERT INTO schulhof_migrations (component, version, name) VALUES ($1, $2, $3)`;

/** Applies the migrations of `component` that are not applied yet, each in its own transaction. */
export async function migrate(db: Db, component: string, migrations: readonly Migration[]): Promise<number> {
  await db.query(CREATE_MIGRATIONS_TABLE);
  const applied = new Set((await db.query<{ version: number }>(SELECT_APPLIED, [component])).rows.map((r) => r.version));
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${component}: migrations must be numbered 1..n, found ${m.version} at ${i + 1}`);
  });
  let count = 0;
  for (const m of sorted) {
    if (applied.has(m.version)) continue;
    await db.transaction(async (tx) => {
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query(INSERT_APPLIED, [component, m.version, m.name]);
    });
    count++;
  }
  return count;
}

/** Splits a migration on `;` at line ends (migrations contain no procedural code). */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
