// A school of its own for the mail tests: Synapse (SQLite), the school and mail appservices as killable processes,
// a capturing relay, a small roster, and DNS records (SPF, DKIM, DMARC) for made-up outside domains.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, createPublicKey } from "node:crypto";
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ensureSystemAdmin, generateSchool, REPO_ROOT, runSynapse, SchoolFileSchema, type GeneratedSchool, type RunningSynapse } from "@schulhof/homeserver-config";
import { startDemoOutbox } from "@schulhof/cli";
import { issueSession } from "@schulhof/core";
import { testEnv } from "./env.ts";
import { databaseUrl, pgQuery } from "./pg.ts";
import { freePort, waitForHttp } from "./ports.ts";

export const OUTSIDE = "outside.test";
export const EVIL = "evil.test";
export const DKIM_SELECTOR = "s1";

/** A person of the stack's school, logged in, with raw client-server calls. */
export interface MailUser {
  userId: string;
  localpart: string;
  token: string;
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export interface MailStack {
  user(localpart: string): Promise<MailUser>;
  /**
   * The password of `localpart`'s letter, for a login through the web client. The first-login reminder is cleared
   * (as the client does once a person has chosen their own password), so the UI opens the app rather than the
   * password change.
   */
  password(localpart: string): Promise<string>;
  gen: GeneratedSchool;
  dataDir: string;
  domain: string;
  serverName: string;
  synapse: RunningSynapse;
  smtpPort: number;
  schoolPort: number;
  mailPort: number;
  /** The web client's port that the school's `.well-known` names (`webPort` of the options; 8080 without). */
  webPort: number;
  /** The outside domain's DKIM key, to sign mail the way its server would. */
  outsideKey: string;
  /** The school's DKIM record, to verify what the bridge sent. */
  schoolDkimRecord: string;
  dns: Record<string, Record<string, string[][]>>;
  relayDir: string;
  /** Mail the relay received, parsed enough to count. */
  relayed(): { file: string; raw: Buffer; messageId: string }[];
  mailProcess(): ChildProcess;
  killMail(): Promise<void>;
  startMail(): Promise<void>;
  killSynapse(): Promise<void>;
  startSynapse(): Promise<void>;
  stop(): Promise<void>;
}

const spkiBase64 = (pem: string): string => createPublicKey(pem).export({ type: "spki", format: "der" }).toString("base64");

function startHostProcess(dataDir: string, only: string): ChildProcess {
  // Logs go to <data>/<only>.log (kept with SCHULHOF_KEEP_TEST_DATA=1).
  const log = openSync(join(dataDir, `${only}.log`), "a");
  return spawn(join(REPO_ROOT, "node_modules", ".bin", "node"), [join(REPO_ROOT, "cli", "src", "main.ts"), "host", "--data", dataDir, "--only", only], {
    stdio: ["ignore", log, log],
    env: { ...process.env, SCHULHOF_LOG_LEVEL: process.env.SCHULHOF_MAIL_LOG ?? "warn", SCHULHOF_MAIL_TUNING: JSON.stringify({ tickMs: 200, backoffBaseMs: 200, directoryRefreshMs: 1000 }) },
  });
}

async function kill(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGKILL");
  await exited;
}

/** Options of the stack. */
export interface MailStackOptions {
  /**
   * The port the test's web server will serve the client on: the generated `.well-known` then names
   * `http://127.0.0.1:<webPort>` as the feature APIs' address, so the client finds the bridge there.
   */
  webPort?: number;
}

/** Starts the stack and imports `roster` (semicolon CSV as the school office exports it). */
export async function startMailStack(name: string, roster: string, policy: Record<string, unknown> = {}, opts: MailStackOptions = {}): Promise<MailStack> {
  const dataDir = mkdtempSync(join(tmpdir(), `schulhof-mail-${name}-`));
  const [hsPort, schoolPort, mailPort, smtpPort, relayPort, hwPort, calPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const dbName = `mail_${name}_${Date.now()}`;
  await pgQuery(databaseUrl(testEnv().pgUrl, "postgres"), null, `CREATE DATABASE ${dbName}`);
  const outside = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const dns: Record<string, Record<string, string[][]>> = {
    [OUTSIDE]: { TXT: [["v=spf1 ip4:127.0.0.0/8 -all"]] },
    [`${DKIM_SELECTOR}._domainkey.${OUTSIDE}`]: { TXT: [[`v=DKIM1; k=rsa; p=${spkiBase64(outside)}`]] },
    [`_dmarc.${OUTSIDE}`]: { TXT: [["v=DMARC1; p=reject"]] },
    [EVIL]: { TXT: [["v=spf1 -all"]] },
    [`_dmarc.${EVIL}`]: { TXT: [["v=DMARC1; p=reject"]] },
  };
  const domain = `${name}.schule.test`;
  const school = SchoolFileSchema.parse({
    school: { id: name, name: `Mailschule ${name}`, state: "NI", mail_domain: domain },
    homeserver: { server_name: domain, public_baseurl: `http://127.0.0.1:${hsPort}`, port: hsPort, database: { kind: "sqlite" } },
    appservices: { school: { port: schoolPort }, homework: { port: hwPort, enabled: false }, calendar: { port: calPort, enabled: false }, mail: { port: mailPort } },
    database: { kind: "postgres", url: databaseUrl(testEnv().pgUrl, dbName) },
    mail: { smtp_port: smtpPort, relay: { host: "127.0.0.1", port: relayPort }, policy, dns },
    ...(opts.webPort === undefined ? {} : { web: { bind: "127.0.0.1", port: opts.webPort } }),
  });
  writeFileSync(join(dataDir, "school.yaml"), stringify(school));
  const gen = generateSchool(school, dataDir);
  let synapse = await runSynapse(gen);
  await ensureSystemAdmin(gen, synapse.url);
  const relayDir = join(dataDir, "relay");
  const relay = await startDemoOutbox("127.0.0.1", relayPort, relayDir);
  const schoolHost = startHostProcess(dataDir, "school");
  await waitForHttp(`http://127.0.0.1:${schoolPort}/health`, 60_000, "school appservice");
  let mail: ChildProcess = startHostProcess(dataDir, "mail");
  await waitForHttp(`http://127.0.0.1:${mailPort}/health`, 60_000, "mail appservice");
  const res = await fetch(`http://127.0.0.1:${schoolPort}/_schulhof/school/v1/admin/roster/import`, {
    method: "POST",
    headers: { authorization: `Bearer ${gen.secrets.admin_api_token}`, "content-type": "text/csv" },
    body: roster,
  });
  const last = (await res.text()).trim().split("\n").at(-1) ?? "";
  if (!last.includes('"report"')) throw new Error(`roster import failed: ${last}`);
  const letters = (JSON.parse(last) as { report: { letters: { localpart: string; userId: string; password: string }[] } }).report.letters;
  const schoolKey = gen.secrets.mail_dkim_private_key;
  const letter = (localpart: string): { localpart: string; userId: string; password: string } => {
    const l = letters.find((x) => x.localpart === localpart);
    if (l === undefined) throw new Error(`no letter for ${localpart}`);
    return l;
  };
  return {
    gen,
    dataDir,
    domain,
    serverName: domain,
    async password(localpart: string): Promise<string> {
      const l = letter(localpart);
      // The school API's sessions share the school's session secret.
      const res = await fetch(`http://127.0.0.1:${schoolPort}/_schulhof/school/v1/me/password-changed`, {
        method: "POST",
        headers: { authorization: `Bearer ${issueSession(l.userId, gen.secrets.session_secret).token}` },
      });
      if (!res.ok) throw new Error(`clearing the first-login reminder of ${localpart}: ${res.status} ${await res.text()}`);
      return l.password;
    },
    async user(localpart: string): Promise<MailUser> {
      const l = letter(localpart);
      const r = await fetch(`${synapse.url}/_matrix/client/v3/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password: l.password }),
      });
      const token = ((await r.json()) as { access_token?: string }).access_token;
      if (token === undefined) throw new Error(`login ${localpart}: ${r.status}`);
      const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
        for (let attempt = 0; ; attempt++) {
          const res = await fetch(`${synapse.url}/_matrix/client/v3${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          const text = await res.text();
          // A real client waits out the homeserver's rate limit (people are rate-limited, bots are not).
          if (res.status === 429 && attempt < 10) {
            const wait = (JSON.parse(text) as { retry_after_ms?: number }).retry_after_ms ?? 1000;
            await new Promise((r) => setTimeout(r, wait + 50));
            continue;
          }
          if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
          return JSON.parse(text) as T;
        }
      };
      return { userId: l.userId, localpart, token, call };
    },
    get synapse() {
      return synapse;
    },
    smtpPort,
    schoolPort,
    mailPort,
    webPort: school.web.port,
    outsideKey: outside,
    schoolDkimRecord: `v=DKIM1; k=rsa; p=${spkiBase64(schoolKey)}`,
    dns,
    relayDir,
    relayed() {
      if (!existsSync(relayDir)) return [];
      const files = readdirSync(relayDir).sort();
      return files.map((file) => {
        const raw = readFileSync(join(relayDir, file));
        const m = /^message-id:\s*(<[^>]+>)/im.exec(raw.toString("latin1"));
        return { file, raw, messageId: (m?.[1] ?? "").toLowerCase() };
      });
    },
    mailProcess: () => mail,
    killMail: () => kill(mail),
    async startMail() {
      mail = startHostProcess(dataDir, "mail");
      await waitForHttp(`http://127.0.0.1:${mailPort}/health`, 60_000, "mail appservice");
    },
    async killSynapse() {
      await kill(synapse.process);
    },
    async startSynapse() {
      synapse = await runSynapse(gen);
    },
    async stop() {
      await kill(mail);
      await kill(schoolHost);
      await synapse.stop();
      await relay.close();
      if (process.env.SCHULHOF_KEEP_TEST_DATA === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
