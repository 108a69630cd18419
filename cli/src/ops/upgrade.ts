// `schulhof upgrade`: a newer Schulhof (and the Synapse it pins) on a school's server. The services stop, a backup is
// made (tagged `upgrade`, kept by retention like any other), the code moves on (git), scripts/bootstrap.sh installs what
// it pins, the configuration is generated again, the services start (Synapse and every appservice migrate their
// databases at start) and the school is checked. When any of that fails, the way back runs by itself: the old code,
// and the backup restored in place (the failed state is kept aside, nothing deleted).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateFromFile } from "@schulhof/homeserver-config";
import { backupSchool, restoreInPlace } from "./backup.ts";
import { loadOpsSchool, opsError } from "./config.ts";
import { serverPaths } from "./production.ts";
import { must, run } from "./run.ts";

export interface UpgradeOptions {
  dataDir: string;
  /** A git ref (tag, commit) to move to; default: the branch's upstream (`git pull --ff-only`). */
  to?: string;
  dryRun?: boolean;
  pgAdminUrl?: string;
  /** How long the check waits for Synapse (its migrations) and the appservices. */
  checkTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Waits until Synapse and every enabled appservice answer; throws naming what does not. */
async function checkSchool(dataDir: string, timeoutMs: number): Promise<void> {
  const gen = generateFromFile(dataDir);
  const hs = gen.school.homeserver;
  const urls = [`http://${hs.bind === "0.0.0.0" ? "127.0.0.1" : hs.bind}:${gen.workers === null ? hs.port : gen.workers.mainPort}/_matrix/client/versions`];
  for (const id of ["school", "homework", "calendar", "mail"] as const) {
    const a = gen.school.appservices[id];
    if (a.enabled) urls.push(`http://${a.bind === "0.0.0.0" ? "127.0.0.1" : a.bind}:${a.port}/health`);
  }
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    for (;;) {
      if (await fetch(url, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false)) break;
      if (Date.now() > deadline) throw opsError("SCHULHOF_UPGRADE_CHECK", `nach dem Upgrade antwortet ${url} nicht`, `after the upgrade ${url} does not answer`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

export async function upgrade(opts: UpgradeOptions): Promise<{ from: string; to: string; snapshot: string | null; rolledBack: boolean }> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + "\n"));
  const dataDir = resolve(opts.dataDir);
  const ops = loadOpsSchool(dataDir);
  const p = serverPaths(ops);
  const git = (args: string[]): Promise<string> => must({ de: `git ${args.join(" ")}`, en: `git ${args.join(" ")}` }, "git", ["-C", p.installDir, ...args]).then((r) => r.stdout.trim());
  const from = await git(["rev-parse", "HEAD"]);
  const target = opts.to ?? "@{upstream}";
  const hasSystemd = existsSync("/run/systemd/system");
  const plan = [
    `Dienste anhalten: systemctl stop schulhof.target (Stop the services)`,
    `Backup vor dem Upgrade: schulhof backup, Tag upgrade (Backup first)`,
    `Code: git -C ${p.installDir} ${opts.to === undefined ? "pull --ff-only" : `checkout --detach ${opts.to}`}  (von ${from.slice(0, 12)})`,
    `Festgelegte Versionen installieren: bash ${join(p.installDir, "scripts", "bootstrap.sh")} (Synapse, npm-Pakete, Web-App)`,
    "Konfiguration neu erzeugen (Generating the configuration)",
    "Dienste starten: systemctl start schulhof.target; Synapse und die Appservices migrieren ihre Datenbanken beim Start",
    "Prüfen: Synapse und jeder Appservice antworten (Checking the school)",
    `Bei einem Fehler zurück: git checkout ${from.slice(0, 12)}, bootstrap, das Backup an Ort und Stelle zurückspielen (alter Stand bleibt daneben liegen)`,
  ];
  log(`${opts.dryRun === true ? "Probelauf: " : ""}Upgrade von ${ops.school.school.name} auf ${target}`);
  plan.forEach((l, i) => log(`[${i + 1}/${plan.length}] ${l}`));
  if (opts.dryRun === true) {
    log("Probelauf: nichts geändert. (Dry run: nothing changed.)");
    return { from, to: target, snapshot: null, rolledBack: false };
  }
  if (process.getuid?.() !== 0) throw opsError("SCHULHOF_UPGRADE_ROOT", "schulhof upgrade muss als root laufen (sudo)", "schulhof upgrade must run as root (sudo)");
  if (!hasSystemd) throw opsError("SCHULHOF_UPGRADE_SYSTEMD", "schulhof upgrade braucht systemd als PID 1, um die Dienste anzuhalten und zu starten", "schulhof upgrade needs systemd as PID 1 to stop and start the services");
  const dirty = (await git(["status", "--porcelain", "--untracked-files=no"])).split("\n").filter((l) => l !== "");
  if (dirty.length > 0)
    throw opsError("SCHULHOF_UPGRADE_DIRTY", `${p.installDir} hat geänderte Dateien (${dirty.slice(0, 5).join(", ")}): erst sichern oder zurücksetzen`, `${p.installDir} has changed files: commit or reset them first`);
  const systemctl = (args: string[]): Promise<unknown> => must({ de: `systemctl ${args.join(" ")}`, en: `systemctl ${args.join(" ")}` }, "systemctl", args);
  const bootstrap = (): Promise<unknown> => must({ de: "scripts/bootstrap.sh", en: "scripts/bootstrap.sh" }, "bash", [join(p.installDir, "scripts", "bootstrap.sh")], { cwd: p.installDir });
  const timeout = opts.checkTimeoutMs ?? 600_000;

  await systemctl(["stop", "schulhof.target"]);
  const backup = await backupSchool(dataDir, { tags: ["upgrade", `from-${from.slice(0, 12)}`], noForget: true, log });
  try {
    if (opts.to === undefined) {
      await git(["pull", "--ff-only"]);
    } else {
      if ((await run("git", ["-C", p.installDir, "remote"])).stdout.trim() !== "") await git(["fetch", "--tags"]);
      await git(["checkout", "--detach", opts.to]);
    }
    await bootstrap();
    generateFromFile(dataDir);
    await systemctl(["start", "schulhof.target"]);
    await checkSchool(dataDir, timeout);
    const to = await git(["rev-parse", "HEAD"]);
    log(`Upgrade fertig: ${from.slice(0, 12)} → ${to.slice(0, 12)}; Backup davor: ${backup.snapshotId.slice(0, 8)}`);
    return { from, to, snapshot: backup.snapshotId, rolledBack: false };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    log(`Upgrade fehlgeschlagen: ${why}`);
    log(`Zurück auf ${from.slice(0, 12)} und das Backup ${backup.snapshotId.slice(0, 8)} …`);
    await run("systemctl", ["stop", "schulhof.target"]);
    await git(["checkout", "--detach", from]);
    await bootstrap();
    const back = await restoreInPlace(dataDir, { snapshot: backup.snapshotId, log, ...(opts.pgAdminUrl === undefined ? {} : { pgAdminUrl: opts.pgAdminUrl }) });
    await systemctl(["start", "schulhof.target"]);
    await checkSchool(dataDir, timeout);
    throw opsError(
      "SCHULHOF_UPGRADE_ROLLED_BACK",
      `Upgrade fehlgeschlagen und zurückgenommen: die Schule läuft wieder mit ${from.slice(0, 12)} und dem Stand vor dem Upgrade. Der fehlgeschlagene Stand liegt in ${back.asideDir} und den Datenbanken ${back.asideDatabases.join(", ")}. Ursache: ${why}`,
      `Upgrade failed and was rolled back to ${from.slice(0, 12)}; the failed state is kept in ${back.asideDir}. Cause: ${why}`,
    );
  }
}
