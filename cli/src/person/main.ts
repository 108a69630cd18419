// `schulhof person …`: the data-protection commands (Auskunft now; Löschung to follow, see docs/privacy.md).
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateFromFile, REPO_ROOT } from "@schulhof/homeserver-config";
import { exportPerson } from "./export.ts";
import { PersonError } from "./synapse.ts";

export const PERSON_USAGE = `  schulhof person export @name:server DATEI.zip [--data DIR]
                                             Auskunft (Art. 15 DSGVO): alle Daten einer Person als Archiv (index.html, data.json, Dateien, E-Mails)
`;

export async function runPerson(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { data: { type: "string", default: join(REPO_ROOT, "data", "demo") }, help: { type: "boolean", short: "h", default: false } },
  });
  const [sub, userId, file] = positionals;
  if (values.help || sub === undefined) {
    process.stdout.write(PERSON_USAGE);
    return;
  }
  if (sub !== "export") throw new PersonError(`unbekannter Befehl „person ${sub}“\n${PERSON_USAGE}`, `unknown command "person ${sub}"`);
  if (file === undefined) throw new PersonError(`Aufruf: schulhof person export @name:server DATEI.zip`, `usage: schulhof person export @name:server FILE.zip`);
  const gen = generateFromFile(resolve(values.data));
  const r = await exportPerson(gen, userId, resolve(file));
  process.stdout.write(
    `Auskunft für ${userId ?? ""} in ${r.file} (${(r.bytes / 1024).toFixed(0)} KiB, ${r.seconds.toFixed(1)} s): ${r.counts.rooms} Räume, ${r.counts.messages} Nachrichten, ${r.counts.media} Dateien, ` +
      `${r.counts.submissions} Abgaben, ${r.counts.feedback} Rückmeldungen, ${r.counts.calendar_entries} Termine, ${r.counts.mails_received} + ${r.counts.mails_sent} E-Mails\n`,
  );
}
