// The operations commands of `schulhof`: backup, restore (and install, status, upgrade where present). main.ts hands
// them their arguments before its own option parsing.
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "@schulhof/homeserver-config";
import { backupSchool, restoreSchool } from "./backup.ts";
import { opsError } from "./config.ts";

export const OPS_USAGE = `  schulhof backup [--data DIR] [--repo REPO] [--password-file F]
                                             Datenbanken, Medien, Mail-Warteschlangen, secrets.json und Konfiguration sichern (restic)
  schulhof restore --repo REPO --password-file F [--data DIR] [--snapshot ID] [--db-host H] [--db-port P] [--pg-admin URL]
                                             Schule aus einem Backup in einen leeren Ordner und frische Datenbanken zurückspielen
`;

export const OPS_COMMANDS = new Set(["backup", "restore"]);

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
      if (values.repo === undefined || values["password-file"] === undefined)
        throw opsError("SCHULHOF_RESTORE_USAGE", "schulhof restore braucht --repo und --password-file", "schulhof restore needs --repo and --password-file");
      const port = values["db-port"] === undefined ? undefined : Number(values["db-port"]);
      if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
        throw opsError("SCHULHOF_RESTORE_USAGE", `--db-port: keine Portnummer: ${values["db-port"]}`, `--db-port: not a port number: ${values["db-port"]}`);
      await restoreSchool(dataDir, {
        repository: values.repo,
        passwordFile: values["password-file"],
        ...(values.snapshot === undefined ? {} : { snapshot: values.snapshot }),
        ...(values["db-host"] === undefined ? {} : { dbHost: values["db-host"] }),
        ...(port === undefined ? {} : { dbPort: port }),
        ...(values["pg-admin"] === undefined ? {} : { pgAdminUrl: values["pg-admin"] }),
        ...(values["env-file"] === undefined ? {} : { envFile: values["env-file"] }),
      });
      return;
    }
    default:
      throw new Error(`unknown command ${cmd ?? ""}`);
  }
}
