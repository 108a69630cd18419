// Helpers for tests of the school appservice: roster imports through its admin API, and reading its tables.
import pg from "pg";
import type { ImportReport } from "@schulhof/school";
import { testEnv } from "./env.ts";

/** Posts a roster to the running school appservice; answers the final NDJSON line (report or error) and the progress lines seen. */
export async function postRoster(
  csv: string | Buffer,
  query: Record<string, string> = {},
): Promise<{ report?: ImportReport; error?: { error: string; rows?: { line: number; column: string }[] }; progress: number }> {
  const env = testEnv();
  const res = await fetch(`${env.schoolApiUrl}/roster/import?${new URLSearchParams(query)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.adminApiToken}`, "content-type": "text/csv" },
    body: typeof csv === "string" ? Buffer.from(csv, "utf8") : csv,
  });
  if (!res.ok) throw new Error(`import: HTTP ${res.status} ${await res.text()}`);
  const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = lines.at(-1) ?? {};
  return { ...(last as object), progress: lines.filter((l) => "progress" in l).length };
}

/** Rows of the school appservice's own schema (production layout: schema `school` in the appservices database). */
export async function schoolQuery<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const env = testEnv();
  const url = new URL(env.pgUrl);
  url.pathname = "/appservices";
  const c = new pg.Client({ connectionString: url.toString(), options: "-c search_path=school" });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
