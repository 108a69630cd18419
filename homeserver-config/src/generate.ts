// Writes every generated file of one school from its school file: Synapse config, registrations, well-known.
import { createPublicKey } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { stringify } from "yaml";
import { loadYamlConfig } from "@schulhof/core";
import { builtinAppservices, registrationFor, type AppserviceSpec } from "./appservices.ts";
import { SchoolFileSchema, type SchoolFile } from "./schema.ts";
import { loadOrCreateSecrets, type Secrets } from "./secrets.ts";
import { homeserverYaml, logConfig, type SynapsePaths } from "./synapse.ts";
import { workerLayout, workerYaml, type WorkerLayout } from "./workers.ts";
import { wellKnownClient, wellKnownServer } from "./wellknown.ts";

/** What generation produced, for the processes that start next. */
export interface GeneratedSchool {
  school: SchoolFile;
  secrets: Secrets;
  dataDir: string;
  synapse: SynapsePaths;
  appservices: AppserviceSpec[];
  secretsFile: string;
  wellKnownDir: string;
  /** Synapse's workers and their ports; null: one Synapse process. */
  workers: WorkerLayout | null;
}

/** Reads `<dataDir>/school.yaml` (errors name the key and file) and generates into `dataDir`. */
export function generateFromFile(dataDir: string, extra: AppserviceSpec[] = []): GeneratedSchool {
  const file = join(dataDir, "school.yaml");
  return generateSchool(loadYamlConfig(file, SchoolFileSchema), dataDir, extra);
}

/**
 * Generates a school's config into `dataDir`: `synapse/homeserver.yaml`, `synapse/log.config`,
 * `synapse/appservices/<id>.yaml`, `well-known/matrix/{client,server}`; secrets are created once in
 * `secrets.json` and reused. `extra` adds appservices (tests use it for fixtures).
 */
export function generateSchool(schoolIn: SchoolFile, dataDirIn: string, extra: AppserviceSpec[] = []): GeneratedSchool {
  const dataDir = resolve(dataDirIn);
  const school = withResolvedPaths(schoolIn, dataDir);
  const dir = join(dataDir, "synapse");
  const regDir = join(dir, "appservices");
  const wellKnownDir = join(dataDir, "well-known");
  mkdirSync(regDir, { recursive: true });
  mkdirSync(join(wellKnownDir, "matrix"), { recursive: true });
  const specs = [...builtinAppservices(school.appservices), ...extra];
  const secretsFile = join(dataDir, "secrets.json");
  const secrets = loadOrCreateSecrets(secretsFile, specs.map((s) => s.id));

  const registrations: string[] = [];
  for (const spec of specs) {
    const path = join(regDir, `${spec.id}.yaml`);
    writeFileSync(path, header("appservice registration") + stringify(registrationFor(spec, school.homeserver.server_name, secrets)), {
      mode: 0o600,
    });
    registrations.push(path);
  }
  const paths: SynapsePaths = {
    dir,
    homeserverYaml: join(dir, "homeserver.yaml"),
    logConfig: join(dir, "log.config"),
    registrations,
  };
  writeFileSync(paths.logConfig, header("Synapse log config") + stringify(logConfig(dir)));
  writeFileSync(paths.homeserverYaml, header("Synapse config") + stringify(homeserverYaml(school, secrets, paths)), { mode: 0o600 });
  const workers = school.homeserver.workers === undefined ? null : workerLayout(school.homeserver.workers, dir);
  removeStaleWorkerFiles(join(dir, "workers"), workers);
  if (workers !== null) {
    mkdirSync(workers.dir, { recursive: true });
    for (const w of workers.workers) {
      writeFileSync(w.logConfig, header("Synapse worker log config") + stringify(logConfig(workers.dir, `${w.name}.log`)));
      writeFileSync(w.configFile, header("Synapse worker config") + stringify(workerYaml(w)));
    }
    // The router takes the school's port and passes requests on to the processes.
    const router = { bind: school.homeserver.bind, port: school.homeserver.port, mainPort: workers.mainPort, workers: workers.workers };
    writeFileSync(join(workers.dir, "router.json"), JSON.stringify(router, null, 2) + "\n");
  }
  const hostsFile = join(dir, "hosts.json");
  const hosts = school.homeserver.federation?.hosts ?? {};
  if (Object.keys(hosts).length > 0) writeFileSync(hostsFile, JSON.stringify(hosts, null, 2) + "\n");
  else rmSync(hostsFile, { force: true });
  writeFileSync(join(wellKnownDir, "matrix", "client"), JSON.stringify(wellKnownClient(school), null, 2) + "\n");
  writeFileSync(join(wellKnownDir, "matrix", "server"), JSON.stringify(wellKnownServer(school), null, 2) + "\n");
  // The DNS records a school publishes for its mail (docs/mail.md): the DKIM key is made once, with the secrets.
  mkdirSync(join(dataDir, "mail"), { recursive: true });
  const dkim = createPublicKey(secrets.mail_dkim_private_key).export({ type: "spki", format: "der" }).toString("base64");
  const domain = school.school.mail_domain;
  writeFileSync(
    join(dataDir, "mail", "dns-records.txt"),
    [
      `; DNS records for ${domain} (publish them at your DNS provider; see docs/mail.md)`,
      `${domain}. MX 10 ${school.mail.hostname ?? `mx.${domain}`}.`,
      `${domain}. TXT "v=spf1 mx -all"`,
      `${school.mail.dkim_selector}._domainkey.${domain}. TXT "v=DKIM1; k=rsa; p=${dkim}"`,
      `_dmarc.${domain}. TXT "v=DMARC1; p=quarantine; rua=mailto:postmaster@${domain}"`,
      "",
    ].join("\n"),
  );
  return { school, secrets, dataDir, synapse: paths, appservices: specs, secretsFile, wellKnownDir, workers };
}

/**
 * Removes the config files of workers the school no longer has (all of them when it has none). Logs stay: a running
 * Synapse keeps writing them, and regeneration happens while it runs (`schulhof host` regenerates at start).
 */
function removeStaleWorkerFiles(workersDir: string, layout: WorkerLayout | null): void {
  if (!existsSync(workersDir)) return;
  const keep = new Set(layout === null ? [] : [...layout.workers.flatMap((w) => [basename(w.configFile), basename(w.logConfig)]), "router.json"]);
  for (const f of readdirSync(workersDir)) {
    if ((f.endsWith(".yaml") || f.endsWith(".log.config") || f === "router.json") && !keep.has(f)) rmSync(join(workersDir, f), { force: true });
  }
}

/** The school with its federation files (certificate, key, CAs) resolved against the data folder. */
function withResolvedPaths(school: SchoolFile, dataDir: string): SchoolFile {
  const fed = school.homeserver.federation;
  if (fed === undefined) return school;
  const at = (p: string): string => (isAbsolute(p) ? p : join(dataDir, p));
  return {
    ...school,
    homeserver: { ...school.homeserver, federation: { ...fed, tls_cert_file: at(fed.tls_cert_file), tls_key_file: at(fed.tls_key_file), ca_files: fed.ca_files.map(at) } },
  };
}

function header(what: string): string {
  return `# ${what}, generated by schulhof from school.yaml. Do not edit: change school.yaml and regenerate.\n`;
}
