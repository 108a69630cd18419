// Helpers for tests of the school appservice: roster imports through its admin API, and reading its tables.
import { databaseUrl, pgQuery } from "./pg.ts";
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
export function schoolQuery<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return pgQuery<T>(databaseUrl(testEnv().pgUrl, "appservices"), "school", sql, params);
}
