// Benchmark: 10,000 mails (mixed sizes, 10 % with a 1 MB attachment) over 20 parallel SMTP connections into a school,
// measuring acceptance rate, the time from the end of DATA to the message in Matrix, and the bridge's memory.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import pg from "pg";
import { stringify } from "yaml";
import { ensureSystemAdmin, generateSchool, REPO_ROOT, runSynapse, SchoolFileSchema } from "@schulhof/homeserver-config";
import { freePort, startPostgres, waitForHttp } from "@schulhof/test";
import { cpuSeconds, peakRssMiB, printTable } from "./proc.ts";
import { percentile } from "./stack.ts";

const MESSAGES = Number(process.env.BENCH_MAIL_MESSAGES ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_MAIL_CONNECTIONS ?? 20);
const THREADS = 200;
const NAMES = ["Becker", "Schmidt", "Fischer", "Weber", "Meyer", "Wagner", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann", "Braun", "Hofmann", "Krüger", "Hartmann", "Lange"];
const TEACHERS = NAMES.length;
const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

const pgServer = await startPostgres();
const dataDir = mkdtempSync(join(tmpdir(), "schulhof-bench-mail-"));
const children: ChildProcess[] = [];
let exit = 0;
try {
  const synapseDb = new URL(await pgServer.createDatabase("synapse"));
  const appsDb = await pgServer.createDatabase("appservices");
  const [hsPort, schoolPort, mailPort, smtpPort, relayPort, hw, cal] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const domain = "bench-mail.schule.test";
  const school = SchoolFileSchema.parse({
    school: { id: "benchmail", name: "Mail-Benchmark-Schule", state: "NI", mail_domain: domain },
    homeserver: {
      server_name: domain,
      public_baseurl: `http://127.0.0.1:${hsPort}`,
      port: hsPort,
      database: { kind: "postgres", host: "127.0.0.1", port: Number(synapseDb.port), user: "postgres", database: "synapse" },
      max_upload_size_mb: 50,
    },
    appservices: { school: { port: schoolPort }, homework: { port: hw, enabled: false }, calendar: { port: cal, enabled: false }, mail: { port: mailPort } },
    database: { kind: "postgres", url: appsDb },
    mail: { smtp_port: smtpPort, relay: { host: "127.0.0.1", port: relayPort }, dns: {}, policy: {} },
  });
  writeFileSync(join(dataDir, "school.yaml"), stringify(school));
  const gen = generateSchool(school, dataDir);
  const synapse = await runSynapse(gen);
  await ensureSystemAdmin(gen, synapse.url);
  const host = (only: string): ChildProcess => {
    const c = spawn(join(REPO_ROOT, "node_modules", ".bin", "node"), [join(REPO_ROOT, "cli", "src", "main.ts"), "host", "--data", dataDir, "--only", only], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, SCHULHOF_LOG_LEVEL: "warn", SCHULHOF_MAIL_TUNING: JSON.stringify({ tickMs: 100 }) },
    });
    children.push(c);
    return c;
  };
  host("school");
  await waitForHttp(`http://127.0.0.1:${schoolPort}/health`, 60_000, "school appservice");
  const mail = host("mail");
  await waitForHttp(`http://127.0.0.1:${mailPort}/health`, 60_000, "mail appservice");
  const roster = ["Rolle;Vorname;Nachname;Klasse;Kurse", ...NAMES.map((n) => `Lehrer;Anna;${n};;`)].join("\n");
  const imp = await fetch(`http://127.0.0.1:${schoolPort}/_schulhof/school/v1/admin/roster/import`, { method: "POST", headers: { authorization: `Bearer ${gen.secrets.admin_api_token}` }, body: roster });
  if (!(await imp.text()).includes('"report"')) throw new Error("roster import failed");
  await new Promise((r) => setTimeout(r, 1500));

  // Senders: 200 outside threads, each to one of the teachers; every mail after the first replies in its thread.
  const attachment = Buffer.alloc(1024 * 1024, 0x61);
  const roots = new Map<number, string>();
  const transports = Array.from({ length: CONNECTIONS }, () =>
    nodemailer.createTransport({ host: "127.0.0.1", port: smtpPort, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity }),
  );
  let next = 0;
  let accepted = 0;
  let refused = 0;
  const t0 = performance.now();
  say(`sending ${MESSAGES} mails over ${CONNECTIONS} connections`);
  // The first mail of each thread goes first, so that replies find their room.
  const order = [...Array.from({ length: Math.min(THREADS, MESSAGES) }, (_, i) => i), ...Array.from({ length: Math.max(0, MESSAGES - THREADS) }, (_, i) => THREADS + i)];
  await Promise.all(
    transports.map(async (t) => {
      for (;;) {
        const i = next++;
        const n = order[i];
        if (n === undefined) return;
        const thread = n % THREADS;
        const root = roots.get(thread);
        if (n >= THREADS && root === undefined) await new Promise((r) => setTimeout(r, 50));
        const size = [200, 2_000, 20_000][n % 3] ?? 200;
        try {
          const info = await t.sendMail({
            from: `Absender ${thread} <absender${thread}@outside.test>`,
            to: `anna.${(NAMES[thread % TEACHERS] ?? "").toLowerCase().replace("ü", "ue")}@${domain}`,
            subject: n < THREADS ? `Thema ${thread}` : `Re: Thema ${thread}`,
            text: `Nachricht ${n}\n${"x".repeat(size)}`,
            ...(roots.get(thread) === undefined ? {} : { inReplyTo: roots.get(thread), references: roots.get(thread) }),
            ...(n % 10 === 9 ? { attachments: [{ filename: `anhang-${n}.bin`, content: attachment }] } : {}),
          });
          if (n < THREADS) roots.set(thread, info.messageId);
          accepted++;
          if (accepted % 1000 === 0) say(`${accepted} accepted`);
        } catch (e) {
          refused++;
          if (refused < 5) say(`refused: ${String((e as Error).message)}`);
        }
      }
    }),
  );
  const sendS = (performance.now() - t0) / 1000;
  for (const t of transports) t.close();
  say(`accepted ${accepted} in ${sendS.toFixed(1)} s; waiting for Matrix`);

  const db = new pg.Client({ connectionString: appsDb });
  await db.connect();
  await db.query("SET search_path TO mail");
  const deadline = Date.now() + 60 * 60_000;
  for (;;) {
    const r = await db.query<{ queued: string }>(`SELECT count(*) AS queued FROM inbound WHERE state = 'queued'`);
    const o = await db.query<{ pending: string }>(`SELECT count(*) AS pending FROM intake_outbox WHERE sent_at IS NULL`);
    if (Number(r.rows[0]?.queued) === 0 && Number(o.rows[0]?.pending) === 0) break;
    if (Date.now() > deadline) throw new Error("not delivered within an hour");
    await new Promise((res) => setTimeout(res, 2000));
    say(`queued ${r.rows[0]?.queued}, outbox ${o.rows[0]?.pending}`);
  }
  const totalS = (performance.now() - t0) / 1000;
  // End of DATA (the row's received_at, written before 250) → the message event accepted by Synapse (its outbox row sent).
  const lat = await db.query<{ ms: string }>(`
    SELECT EXTRACT(EPOCH FROM (min(o.sent_at) - i.received_at)) * 1000 AS ms
    FROM inbound i JOIN intake_outbox o ON o.cause LIKE 'inbound:' || i.id || ':%' AND o.action->>'kind' = 'message'
    GROUP BY i.id, i.received_at`);
  const lost = await db.query<{ n: string }>(`SELECT count(*) AS n FROM inbound WHERE state <> 'delivered'`);
  const stored = await db.query<{ n: string }>(`SELECT count(*) AS n FROM inbound`);
  await db.end();
  const ms = lat.rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
  const result = {
    messages: MESSAGES,
    connections: CONNECTIONS,
    accepted,
    refused,
    stored: Number(stored.rows[0]?.n),
    undelivered: Number(lost.rows[0]?.n),
    accept_s: Math.round(sendS * 10) / 10,
    accepted_per_s: Math.round((accepted / sendS) * 10) / 10,
    to_matrix_p50_ms: Math.round(percentile(ms, 50)),
    to_matrix_p95_ms: Math.round(percentile(ms, 95)),
    to_matrix_max_ms: Math.round(ms.at(-1) ?? 0),
    all_in_matrix_s: Math.round(totalS),
    bridge_peak_rss_mib: peakRssMiB(mail.pid),
    bridge_cpu_s: cpuSeconds(mail.pid),
    synapse_cpu_s: cpuSeconds(synapse.process.pid),
  };
  printTable(`Mail-Benchmark: ${MESSAGES} Mails über ${CONNECTIONS} SMTP-Verbindungen (10 % mit 1 MB Anhang), ${THREADS} Gespräche`, [
    ["accepted / refused", `${accepted} / ${refused} (stored ${result.stored}, undelivered ${result.undelivered})`],
    ["acceptance", `${result.accepted_per_s} mails/s (${result.accept_s} s)`],
    ["end of DATA → in Matrix p50 / p95 / max", `${result.to_matrix_p50_ms} / ${result.to_matrix_p95_ms} / ${result.to_matrix_max_ms} ms`],
    ["all in Matrix after", `${result.all_in_matrix_s} s`],
    ["bridge peak memory / CPU", `${result.bridge_peak_rss_mib} MiB / ${result.bridge_cpu_s} s`],
    ["Synapse CPU", `${result.synapse_cpu_s} s`],
    ["targets", `≥ 100 mails/s accepted: ${result.accepted_per_s >= 100 ? "met" : "MISSED"}; p95 < 1 s to Matrix: ${result.to_matrix_p95_ms < 1000 ? "met" : "MISSED"}`],
  ]);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await synapse.stop();
} catch (e) {
  say(`failed: ${String((e as Error).stack ?? e)}`);
  exit = 1;
} finally {
  for (const c of children) c.kill("SIGTERM");
  pgServer.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exit);
