// Roles and databases of a school on its PostgreSQL server, as a superuser: through a given URL, or as the `postgres`
// system user over the local socket (root on a Debian server).
import { opsError } from "./config.ts";
import { must, pgTool } from "./run.ts";

export interface PgAdmin {
  /** A superuser connection (`postgres://postgres@127.0.0.1:5432/postgres`); default: `runuser -u postgres psql` as root. */
  pgAdminUrl?: string;
}

export const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
export const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Runs SQL as a superuser on the server at host:port; answers psql's unaligned output. */
export async function adminSql(admin: PgAdmin, host: string, port: number, sql: string, db = "postgres"): Promise<string> {
  const what = { de: "PostgreSQL-Verwaltung (Rollen, Datenbanken)", en: "PostgreSQL administration (roles, databases)" };
  const args = ["-v", "ON_ERROR_STOP=1", "-X", "-A", "-t", "-c", sql];
  if (admin.pgAdminUrl !== undefined) {
    const u = new URL(admin.pgAdminUrl);
    u.pathname = `/${db}`;
    return (await must(what, pgTool("psql"), [...args, u.toString()])).stdout;
  }
  if (process.getuid?.() === 0) return (await must(what, "runuser", ["-u", "postgres", "--", pgTool("psql"), "-p", String(port), ...args, db])).stdout;
  return (await must(what, pgTool("psql"), ["-h", host, "-p", String(port), ...args, db])).stdout;
}

export interface DbTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

/** The database target of an appservices URL (`postgres://user:pw@host:port/db`). */
export function targetOfUrl(url: string): DbTarget {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || "postgres"),
    database: decodeURIComponent(u.pathname.slice(1)),
    ...(u.password === "" ? {} : { password: decodeURIComponent(u.password) }),
  };
}

/** Creates the login role when missing (with its password); answers whether it made it. */
export async function ensureRole(admin: PgAdmin, t: DbTarget): Promise<boolean> {
  if ((await adminSql(admin, t.host, t.port, `SELECT 1 FROM pg_roles WHERE rolname = ${literal(t.user)}`)).trim() === "1") return false;
  await adminSql(admin, t.host, t.port, `CREATE ROLE ${ident(t.user)} LOGIN${t.password === undefined ? "" : ` PASSWORD ${literal(t.password)}`}`);
  return true;
}

/** Whether the database exists, and how many tables it has outside the system schemas. */
export async function databaseState(admin: PgAdmin, t: DbTarget): Promise<{ exists: boolean; tables: number; collate: string }> {
  const row = (await adminSql(admin, t.host, t.port, `SELECT datcollate FROM pg_database WHERE datname = ${literal(t.database)}`)).trim();
  if (row === "") return { exists: false, tables: 0, collate: "" };
  const tables = Number((await adminSql(admin, t.host, t.port, "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')", t.database)).trim());
  return { exists: true, tables, collate: row };
}

/** Creates the database (UTF-8, C collation as Synapse requires) owned by its role; answers whether it made it. */
export async function ensureDatabase(admin: PgAdmin, t: DbTarget, file: string, key: string): Promise<boolean> {
  const state = await databaseState(admin, t);
  if (state.exists) {
    if (state.collate !== "C")
      throw opsError(
        "SCHULHOF_DB_COLLATION",
        `${file}: ${key}: die Datenbank ${t.database} hat die Sortierung ${state.collate}; Synapse braucht C (neu anlegen: ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0)`,
        `${file}: ${key}: database ${t.database} has collation ${state.collate}; Synapse needs C`,
      );
    return false;
  }
  await adminSql(admin, t.host, t.port, `CREATE DATABASE ${ident(t.database)} OWNER ${ident(t.user)} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  return true;
}
