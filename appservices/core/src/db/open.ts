// Opens the configured database backend.
import type { Db, DbConfig } from "./db.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

/** Opens PostgreSQL or PGlite as configured. */
export async function openDb(config: DbConfig): Promise<Db> {
  if (config.kind === "postgres") return openPostgres(config.url, config.schema, config.poolSize);
  return openPglite(config.path);
}
