// `schulhof roster import`: sends a roster to the running school appservice, shows progress, writes the letters.
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import cliProgress from "cli-progress";
import type { GeneratedSchool } from "@schulhof/homeserver-config";
import { writeCredentialLetters, type ImportReport, type LetterPerson, type Progress } from "@schulhof/school";

const PHASES: Record<Progress["phase"], string> = {
  users: "Konten",
  rooms: "Räume",
  memberships: "Mitgliedschaften",
  power: "Rechte",
  removals: "Austritte",
};

/** Where the school appservice's admin API listens. */
export function schoolApiUrl(gen: GeneratedSchool): string {
  const s = gen.school.appservices.school;
  return `http://${s.bind}:${s.port}/_schulhof/school/v1/admin`;
}

export interface ImportCliOptions {
  dryRun: boolean;
  skipInvalid: boolean;
  /** Confirms an import that deactivates more than the allowed share of the school (`--force`). */
  force?: boolean;
  /** Deactivates admins the file does not list (`--admins-from-roster`); the last active admin always stays. */
  adminsFromRoster?: boolean;
  fileName: string;
  lettersPath: string | null;
  loginsPath: string | null;
  quiet?: boolean;
}

/**
 * Runs an import through the admin API. Progress bars go to stderr; the diff (dry run) or the
 * summary to stdout. Throws with the server's text (every bad row) when the roster is invalid.
 */
export async function importViaApi(gen: GeneratedSchool, csv: Buffer, opts: ImportCliOptions): Promise<ImportReport> {
  const q = new URLSearchParams({ file_name: opts.fileName, ...(opts.dryRun ? { dry_run: "1" } : {}), ...(opts.skipInvalid ? { skip_invalid: "1" } : {}),
    ...(opts.force === true ? { force: "1" } : {}),
    ...(opts.adminsFromRoster === true ? { admins_from_roster: "1" } : {}),
  });
  let res: Response;
  try {
    res = await fetch(`${schoolApiUrl(gen)}/roster/import?${q}`, {
      method: "POST",
      headers: { authorization: `Bearer ${gen.secrets.admin_api_token}`, "content-type": "text/csv" },
      body: csv,
    });
  } catch {
    throw new Error("Der Schulhof läuft nicht (schulhof up) / Schulhof is not running (schulhof up)");
  }
  if (!res.ok || res.body === null) throw new Error(`import refused: HTTP ${res.status} ${await res.text()}`);
  const bars = opts.quiet === true ? null : new cliProgress.MultiBar(
          // Without a terminal (logs, CI) the bars are printed as lines every few seconds.
          { format: " {phase} [{bar}] {value}/{total}", hideCursor: true, clearOnComplete: false, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5000 },
          cliProgress.Presets.shades_classic,
        );
  const phaseBars = new Map<string, cliProgress.SingleBar>();
  let report: ImportReport | null = null;
  let failure: string | null = null;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() === "") continue;
      const msg = JSON.parse(line) as { progress?: Progress; report?: ImportReport; error?: { error: string } };
      if (msg.progress !== undefined && bars !== null) {
        const p = msg.progress;
        let bar = phaseBars.get(p.phase);
        if (bar === undefined) {
          bar = bars.create(p.total, 0, { phase: PHASES[p.phase].padEnd(16) });
          phaseBars.set(p.phase, bar);
        }
        bar.setTotal(p.total);
        bar.update(p.done);
      }
      if (msg.report !== undefined) report = msg.report;
      if (msg.error !== undefined) failure = msg.error.error;
    }
  }
  bars?.stop();
  if (failure !== null) throw new Error(failure);
  if (report === null) throw new Error("import ended without a report (see the appservice log)");
  if (report.letters.length > 0) {
    if (opts.lettersPath !== null) await writeLetters(gen, report.letters, opts.lettersPath);
    if (opts.loginsPath !== null) writeLogins(opts.loginsPath, report.letters);
  }
  return report;
}

async function writeLetters(gen: GeneratedSchool, letters: LetterPerson[], path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(path, { mode: 0o600 });
  await writeCredentialLetters(letters, { name: gen.school.school.name, loginUrl: gen.school.homeserver.public_baseurl, homeserver: gen.school.homeserver.server_name }, out);
}

/** `logins.tsv`: role, Matrix user id, password; one line per person (demo only: real schools use the letters). */
export function writeLogins(path: string, letters: LetterPerson[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const order = { admin: 0, teacher: 1, student: 2 } as const;
  const rows = [...letters].sort((a, b) => order[a.role] - order[b.role] || a.userId.localeCompare(b.userId));
  writeFileSync(path, rows.map((l) => `${l.role}\t${l.userId}\t${l.password}`).join("\n") + "\n", { mode: 0o600 });
}
