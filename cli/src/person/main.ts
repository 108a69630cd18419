// `schulhof person …`: the data-protection commands (Auskunft now; Löschung to follow, see docs/privacy.md).
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateFromFile, REPO_ROOT } from "@schulhof/homeserver-config";
import { erasePerson } from "./erase.ts";
import { exportPerson } from "./export.ts";
import { PersonError } from "./synapse.ts";

export const PERSON_USAGE = `  schulhof person export @name:server DATEI.zip [--data DIR]
                                             Auskunft (Art. 15 DSGVO): alle Daten einer Person als Archiv (index.html, data.json, Dateien, E-Mails)
  schulhof person erase @name:server --yes [--keep-years N] [--data DIR]
                                             Löschung (Art. 17 DSGVO): Nachrichten redigieren, Dateien und private Räume löschen,
                                             Appservice-Daten löschen, Konto deaktivieren; Notennachweis getrennt bis 31.7. + N Jahre (5)
`;

export async function runPerson(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: "string", default: join(REPO_ROOT, "data", "demo") },
      yes: { type: "boolean", default: false },
      "keep-years": { type: "string", default: "5" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [sub, userId, file] = positionals;
  if (values.help || sub === undefined) {
    process.stdout.write(PERSON_USAGE);
    return;
  }
  if (sub === "erase") {
    if (!values.yes) throw new PersonError(`Löschen ist endgültig: mit --yes bestätigen (schulhof person erase ${userId ?? "@name:server"} --yes)`, `erasure is final: confirm with --yes`);
    const years = Number(values["keep-years"]);
    if (!Number.isInteger(years) || years < 0) throw new PersonError(`--keep-years: ganze Zahl ≥ 0 erwartet, nicht „${values["keep-years"]}“`, `--keep-years: expected a whole number >= 0`);
    const r = await erasePerson(generateFromFile(resolve(values.data)), userId, { keepYears: years });
    process.stdout.write(
      `gelöscht: ${r.userId} in ${r.seconds.toFixed(1)} s: Nachrichten in ${r.redacted} Räumen redigiert${r.redactionFailures > 0 ? ` (${r.redactionFailures} Fehler: ${JSON.stringify(r.failedRedactions)})` : ""}, ${r.purgedRooms.length} private Räume gelöscht, ${r.deletedMedia} Dateien, ` +
        `${Object.values(r.deletedRows).reduce((a, b) => a + b, 0)} Zeilen in den Appservices; Konto deaktiviert\n` +
        (r.keptRecord === null ? "" : `aufbewahrt (Notennachweis) bis ${r.keptUntil ?? ""}: ${r.keptRecord}\n`),
    );
    if (r.redactionFailures > 0) process.exitCode = 1;
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
