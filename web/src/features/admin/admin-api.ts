// The school API as the Verwaltung uses it: who am I, the roster import (streamed) and the credential letters.
import { apiClients, unwrap } from "../../lib/api/index.ts";
import type { components } from "../../lib/api/generated/school.ts";
import { ApiError } from "../../lib/errors.ts";
import { LineSplitter, parseImportLine, type ImportFailure, type ImportProgress, type ImportReport } from "./roster.ts";

export type Me = components["schemas"]["Me"];

/** The signed-in user at school (role, admin, school). */
export async function whoAmI(): Promise<Me> {
  return unwrap(await apiClients().school.GET("/me"));
}

/** How an import ended: with its report, or with the server's error line (refused file, failed import). */
export type ImportOutcome = { kind: "report"; report: ImportReport } | { kind: "error"; error: ImportFailure };

/**
 * Sends the roster file and reads the NDJSON answer as it streams: `onProgress` for each progress line, then the
 * final report or error line. `dryRun` only tells what would change; letters of a real import are kept as a PDF on the
 * server (`letters_url`), never answered. HTTP refusals (not an admin, an import already running) are thrown.
 */
export async function importRoster(
  file: File,
  opts: { dryRun: boolean; skipInvalid: boolean; adminsFromRoster?: boolean; force?: boolean; lang: "de" | "en" },
  onProgress: (p: ImportProgress) => void,
): Promise<ImportOutcome> {
  const result = await apiClients().school.POST("/admin/roster/import", {
    params: {
      query: {
        ...(opts.dryRun ? { dry_run: "1" as const } : {}),
        ...(opts.skipInvalid ? { skip_invalid: "1" as const } : {}),
        ...(opts.adminsFromRoster === true ? { admins_from_roster: "1" as const } : {}),
        ...(opts.force === true ? { force: "1" as const } : {}),
        lang: opts.lang,
        file_name: file.name,
        letters: "pdf",
      },
    },
    body: file,
    bodySerializer: (body: Blob) => body,
    headers: { "content-type": "text/csv" },
    parseAs: "stream",
  });
  const stream = unwrap(result);
  if (stream === null || stream === undefined) throw new ApiError(result.response.status, "M_UNKNOWN", null);
  const reader = (stream as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const splitter = new LineSplitter();
  let outcome: ImportOutcome | null = null;
  const take = (lines: string[]): void => {
    for (const line of lines) {
      const parsed = parseImportLine(line);
      if (parsed === null) continue;
      if (parsed.kind === "progress") onProgress(parsed.progress);
      else outcome = parsed;
    }
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    take(splitter.push(decoder.decode(value, { stream: true })));
  }
  take(splitter.push(decoder.decode()));
  take(splitter.end());
  if (outcome === null) throw new ApiError(result.response.status, "M_UNKNOWN", null);
  return outcome;
}

/** The credential letters PDF of an import (`letters_url` of its report), fetched with the session. */
export async function lettersPdf(id: string): Promise<Blob> {
  return unwrap(await apiClients().school.GET("/admin/letters/{id}", { params: { path: { id } }, parseAs: "blob" }));
}
