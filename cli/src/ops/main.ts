// The operations commands of `schulhof`: backup, restore (and install, status, upgrade where present). main.ts hands
// them their arguments before its own option parsing.
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureSystemAdmin, generateFromFile, REPO_ROOT } from "@schulhof/homeserver-config";
import { backupSchool, restoreInPlace, restoreSchool } from "./backup.ts";
import { pokeAppserviceScheduler } from "./poke.ts";
import { upgrade } from "./upgrade.ts";
import { opsError } from "./config.ts";
import { install } from "./install.ts";
import { schoolStatus, statusText } from "./status.ts";

export const OPS_USAGE = `  schulhof backup [--data DIR] [--repo REPO] [--password-file F]
                                             Datenbanken, Medien, Mail-Warteschlangen, secrets.json und Konfiguration sichern (restic)
  schulhof restore --repo REPO --password-file F [--data DIR] [--snapshot ID] [--school ID] [--db-host H] [--db-port P] [--pg-admin URL]
                                             Schule aus einem Backup in einen leeren Ordner und frische Datenbanken zurückspielen
  schulhof install [--data DIR] [--dry-run] [--root DIR] [--pg-admin URL] [--local-certs]
                                             Server einrichten (Debian 12, root): Pakete, Datenbanken, systemd, Caddy (TLS), DNS, Firewall
  schulhof status [--data DIR] [--json]      Prozesse, Zertifikate, Warteschlangen, letztes Backup, Speicherplatz (Code 1: etwas braucht Aufmerksamkeit)
  schulhof upgrade [--data DIR] [--to REF] [--dry-run]
                                             neuere Version: Dienste anhalten, Backup, Code, Migrationen, Prüfung; bei Fehler zurück
  schulhof restore --in-place --snapshot ID [--data DIR] [--pg-admin URL]
                                             Schule auf diesem Server auf ein Backup zurücksetzen (alter Stand bleibt daneben liegen)
  schulhof ensure-admin [--data DIR]         wartet auf Synapse und legt das Dienstkonto @schulhof-system an (vor dem Start der Appservices)
`;

export const OPS_COMMANDS = new Set(["backup", "restore", "install", "ensure-admin", "status", "upgrade"]);

export async function runOps(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: "string", default: join(REPO_ROOT, "data", "demo") },
      repo: { type: "string" },
      "password-file": { type: "string" },
      "env-file": { type: "string" },
      snapshot: { type: "string" },
      "db-host": { type: "string" },
      "db-port": { type: "string" },
      "pg-admin": { type: "string" },
      "dry-run": { type: "boolean", default: false },
      root: { type: "string" },
      "local-certs": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      "https-port": { type: "string" },
      to: { type: "string" },
      school: { type: "string" },
      "in-place": { type: "boolean", default: false },
    },
  });
  const dataDir = resolve(values.data);
  const cmd = positionals[0];
  switch (cmd) {
    case "backup":
      await backupSchool(dataDir, {
        ...(values.repo === undefined ? {} : { repository: values.repo }),
        ...(values["password-file"] === undefined ? {} : { passwordFile: values["password-file"] }),
      });
      return;
    case "restore": {
      if (values["in-place"]) {
        if (values.snapshot === undefined) throw opsError("SCHULHOF_RESTORE_USAGE", "schulhof restore --in-place braucht --snapshot", "schulhof restore --in-place needs --snapshot");
        await restoreInPlace(dataDir, { snapshot: values.snapshot, ...(values["pg-admin"] === undefined ? {} : { pgAdminUrl: values["pg-admin"] }) });
        return;
      }
      if (values.repo === undefined || values["password-file"] === undefined)
        throw opsError("SCHULHOF_RESTORE_USAGE", "schulhof restore braucht --repo und --password-file", "schulhof restore needs --repo and --password-file");
      const port = values["db-port"] === undefined ? undefined : Number(values["db-port"]);
      if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
        throw opsError("SCHULHOF_RESTORE_USAGE", `--db-port: keine Portnummer: ${values["db-port"]}`, `--db-port: not a port number: ${values["db-port"]}`);
      await restoreSchool(dataDir, {
        repository: values.repo,
        passwordFile: values["password-file"],
        ...(values.snapshot === undefined ? {} : { snapshot: values.snapshot }),
        ...(values.school === undefined ? {} : { schoolId: values.school }),
        ...(values["db-host"] === undefined ? {} : { dbHost: values["db-host"] }),
        ...(port === undefined ? {} : { dbPort: port }),
        ...(values["pg-admin"] === undefined ? {} : { pgAdminUrl: values["pg-admin"] }),
        ...(values["env-file"] === undefined ? {} : { envFile: values["env-file"] }),
      });
      return;
    }
    case "ensure-admin": {
      // The appservices' unit runs this first: they need the server-admin account's token, made once Synapse answers.
      const gen = generateFromFile(dataDir);
      const hs = gen.school.homeserver;
      const url = `http://${hs.bind === "0.0.0.0" ? "127.0.0.1" : hs.bind}:${gen.workers === null ? hs.port : gen.workers.mainPort}`;
      const deadline = Date.now() + 180_000;
      for (;;) {
        const up = await fetch(`${url}/_matrix/client/versions`).then((r) => r.ok, () => false);
        if (up) break;
        if (Date.now() > deadline) throw opsError("SCHULHOF_SYNAPSE_DOWN", `Synapse antwortet nicht unter ${url}`, `Synapse does not answer at ${url}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      const token = await ensureSystemAdmin(gen, url);
      // Resumes delivery of what Synapse kept for appservices that were down (see poke.ts).
      await pokeAppserviceScheduler(gen, url, token);
      return;
    }
    case "status": {
      const lines = await schoolStatus(dataDir, values["https-port"] === undefined ? {} : { httpsPort: Number(values["https-port"]) });
      process.stdout.write(values.json ? JSON.stringify(lines, null, 2) + "\n" : statusText(lines));
      if (lines.some((l) => !l.ok)) process.exitCode = 1;
      return;
    }
    case "upgrade":
      await upgrade({
        dataDir,
        dryRun: values["dry-run"],
        ...(values.to === undefined ? {} : { to: values.to }),
        ...(values["pg-admin"] === undefined ? {} : { pgAdminUrl: values["pg-admin"] }),
      });
      return;
    case "install":
      await install({
        dataDir,
        dryRun: values["dry-run"],
        localCerts: values["local-certs"],
        ...(values.root === undefined ? {} : { root: resolve(values.root) }),
        ...(values["pg-admin"] === undefined ? {} : { pgAdminUrl: values["pg-admin"] }),
      });
      return;
    default:
      throw new Error(`unknown command ${cmd ?? ""}`);
  }
}
