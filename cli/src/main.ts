// The `schulhof` command line: init, up, host, roster import, reindex.
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createLogger, isSchulhofError, loadYamlConfig } from "@schulhof/core";
import { startVideoService, VideoServiceConfigSchema } from "@schulhof/video";
import { generateDistrict, generateFromFile, REPO_ROOT } from "@schulhof/homeserver-config";
import { startHost } from "./host.ts";
import { importViaApi, schoolApiUrl } from "./roster.ts";
import { initDemo, up } from "./up.ts";
import { OPS_COMMANDS, OPS_USAGE, runOps } from "./ops/main.ts";

const USAGE = `Schulhof – Schulserver auf Matrix

  schulhof init [--data DIR]                 Demo-Schuldatei anlegen (data/demo/school.yaml)
  schulhof up [--data DIR] [--no-demo]       Schule starten (Synapse, Appservices, LiveKit, Web)
  schulhof host [--data DIR] [--only NAME]   nur die Appservices starten
  schulhof roster import DATEI [--dry-run] [--skip-invalid] [--force] [--admins-from-roster] [--letters PDF] [--logins TSV]
                                             --force: bestätigt, dass mehr als 20 % der Schule deaktiviert werden
                                             --admins-from-roster: Admins, die in der Liste fehlen, auch deaktivieren
  schulhof district DATEI [--out DIR]        Bezirk: Konfiguration aller Schulen und des Videodienstes erzeugen
  schulhof video --config DATEI              zentralen Video-Token-Dienst des Bezirks starten (video/video-service.yaml)
  schulhof reindex [school]                  Datenbank eines Appservice aus den Räumen neu aufbauen
  schulhof bench provision                   siehe npm run bench:provision
${OPS_USAGE}`;

async function main(argv: string[]): Promise<void> {
  if (argv[0] !== undefined && OPS_COMMANDS.has(argv[0])) return runOps(argv);
  if (argv[0] === "person") return (await import("./person/main.ts")).runPerson(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: "string", default: join(REPO_ROOT, "data", "demo") },
      "dry-run": { type: "boolean", default: false },
      "skip-invalid": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      "admins-from-roster": { type: "boolean", default: false },
      letters: { type: "string" },
      logins: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      only: { type: "string", multiple: true },
      "no-demo": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const dataDir = resolve(values.data);
  const [cmd, sub, arg] = positionals;
  if (values.help || cmd === undefined) {
    process.stdout.write(USAGE);
    return;
  }
  switch (cmd) {
    case "init":
      process.stdout.write(initDemo(dataDir) ? `angelegt: ${join(dataDir, "school.yaml")}\n` : `existiert schon: ${join(dataDir, "school.yaml")}\n`);
      return;
    case "up":
      await up(dataDir, { demo: !values["no-demo"] });
      return;
    case "host": {
      const gen = generateFromFile(dataDir);
      const running = await startHost(gen, values.only === undefined ? {} : { only: values.only });
      const stop = (): void => {
        void Promise.all(running.map((r) => r.stop())).then(() => process.exit(0));
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      return;
    }
    case "roster": {
      if (sub !== "import" || arg === undefined) throw new Error("usage: schulhof roster import FILE");
      const gen = generateFromFile(dataDir);
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const report = await importViaApi(gen, readFileSync(arg), {
        dryRun: values["dry-run"],
        skipInvalid: values["skip-invalid"],
        force: values.force,
        adminsFromRoster: values["admins-from-roster"],
        fileName: basename(arg),
        lettersPath: values.letters ?? join(dataDir, "letters", `zugangsbriefe-${stamp}.pdf`),
        loginsPath: values.logins ?? null,
      });
      process.stdout.write(report.diffText + "\n");
      if (!report.dryRun) {
        process.stdout.write(`\nfertig in ${report.seconds.total.toFixed(1)} s; ${report.letters.length} Zugangsbriefe, ${report.failures.length} Fehler\n`);
        for (const f of report.failures.slice(0, 20)) process.stdout.write(`  ${f.what}: ${f.reason}\n`);
        if (report.failures.length > 0) process.exitCode = 1;
      }
      return;
    }
    case "district": {
      if (sub === undefined) throw new Error("usage: schulhof district DISTRICT.yaml [--out DIR]");
      const out = generateDistrict(sub, values.out);
      for (const [id, gen] of out.schools)
        process.stdout.write(`${id}: ${gen.school.homeserver.server_name} → ${gen.dataDir} (föderiert mit: ${gen.school.homeserver.federation_allowlist.join(", ") || "niemandem"})\n`);
      process.stdout.write(`Videodienst: ${out.videoServiceFile}, LiveKit: ${out.livekitFile}\n`);
      process.stdout.write("Synapse jeder Schule neu starten, damit die Föderationsliste gilt.\n");
      return;
    }
    case "video": {
      if (values.config === undefined) throw new Error("usage: schulhof video --config video/video-service.yaml");
      const svc = await startVideoService(loadYamlConfig(values.config, VideoServiceConfigSchema), createLogger("video"));
      const stop = (): void => void svc.stop().then(() => process.exit(0));
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      return;
    }
    case "reindex": {
      const gen = generateFromFile(dataDir);
      const target = sub ?? "school";
      const hw = gen.school.appservices.homework;
      const urls: Record<string, string> = {
        school: `${schoolApiUrl(gen)}/reindex`,
        homework: `http://${hw.bind}:${hw.port}/_schulhof/homework/v1/admin/reindex`,
        calendar: `http://${gen.school.appservices.calendar.bind}:${gen.school.appservices.calendar.port}/_schulhof/calendar/v1/admin/reindex`,
      };
      const url = urls[target];
      if (url === undefined) throw new Error(`unknown appservice ${target} (school, homework, calendar)`);
      const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${gen.secrets.admin_api_token}` } });
      process.stdout.write(`${await res.text()}\n`);
      if (!res.ok) process.exitCode = 1;
      return;
    }
    case "bench":
      process.stdout.write("npm run bench:provision\n");
      return;
    default:
      throw new Error(`unknown command ${cmd}\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const msg = isSchulhofError(e) ? e.message : e instanceof Error ? e.message : String(e);
  process.stderr.write(`schulhof: ${msg}\n`);
  process.exit(1);
});
