// `schulhof up`: generates the config, starts Synapse, the appservice host, LiveKit and the web server; Ctrl-C stops all.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { stringify } from "yaml";
import { ensureSystemAdmin, generateFromFile, runSynapse, stopProcess, type ProcessEvent, type RunningSynapse } from "@schulhof/homeserver-config";
import type { RunningAppservice } from "@schulhof/core";
import { startWebServer } from "@schulhof/web";
import { DEMO_ROSTER, demoSchoolFile } from "./demo/school.ts";
import { homeserverUrlOf, startHost, webApisOf } from "./host.ts";
import { startLivekit } from "./processes.ts";
import { importViaApi } from "./roster.ts";
import { startDemoOutbox } from "./demo/outbox.ts";
import { devConfig, startVideoService, VideoServiceConfigSchema, type RunningVideoService } from "@schulhof/video";
import { createLogger } from "@schulhof/core";

/** Writes a demo `school.yaml` into `dataDir` unless one exists. Answers whether it wrote one. */
export function initDemo(dataDir: string): boolean {
  const file = join(dataDir, "school.yaml");
  if (existsSync(file)) return false;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, "# Schulhof school file (demo). Edit, then run schulhof up again.\n" + stringify(demoSchoolFile()));
  return true;
}

/** What `schulhof up` tells the admin when a Synapse process crashed and is started again (or is not, after too many crashes). */
export function synapseEventText(e: ProcessEvent): string {
  const proc = e.name === "main" ? "Synapse" : `Synapse-Prozess ${e.name}`;
  switch (e.kind) {
    case "exited":
      return `  ${proc} ist unerwartet beendet (${e.signal ?? `Code ${e.code}`}); Neustart in ${Math.round(e.restartInMs / 1000)} s.`;
    case "restarted":
      return `  ${proc} läuft wieder (PID ${e.pid}).`;
    case "gave-up":
      return `  ${proc} ist ${e.exits}-mal in ${Math.round(e.windowMs / 60_000)} Minuten abgestürzt und bleibt aus: siehe ${e.logFile}, dann schulhof up neu starten.`;
  }
}

/** Runs the school until SIGINT/SIGTERM. */
export async function up(dataDir: string, opts: { demo: boolean }): Promise<void> {
  if (opts.demo) initDemo(dataDir);
  const gen = generateFromFile(dataDir);
  const say = (s: string): void => void process.stdout.write(s + "\n");
  say(`Schulhof: starte ${gen.school.school.name} …`);

  let synapse: RunningSynapse | null = null;
  let host: RunningAppservice[] = [];
  let web: Server | null = null;
  let outbox: { close(): Promise<void> } | null = null;
  // The demo school runs its own LiveKit and token service (in a district they are central: docs/video.md).
  const lkUrl = new URL(gen.school.video.livekit_url.replace(/^ws/, "http"));
  const lkConfig = join(gen.dataDir, "livekit.yaml");
  writeFileSync(
    lkConfig,
    devConfig({ port: Number(lkUrl.port || 7880), rtcUdpPortRange: [50100, 50200], bind: "127.0.0.1", keys: { [gen.secrets.livekit_api_key]: gen.secrets.livekit_api_secret } }),
    { mode: 0o600 },
  );
  const livekit = startLivekit(join(gen.dataDir, "livekit.log"), lkConfig);
  let video: RunningVideoService | null = null;
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say("\nSchulhof: halte an …");
    await new Promise<void>((r) => (web === null ? r() : web.close(() => r())));
    web?.closeAllConnections();
    await video?.stop().catch(() => undefined);
    for (const h of host) await h.stop().catch(() => undefined);
    await outbox?.close();
    await stopProcess(livekit);
    await synapse?.stop();
  };
  const onSignal = (): void => {
    void stopAll().then(() => process.exit(0));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    // A crashed Synapse process (a worker, main, Redis, the router) is started again; the school notices a short gap, not an outage.
    synapse = await runSynapse(gen, { restart: { onEvent: (e) => say(synapseEventText(e)) } });
    say(`  Synapse         ${synapse.url}`);
    await ensureSystemAdmin(gen, homeserverUrlOf(gen));
    if (gen.school.mail.demo_outbox) {
      outbox = await startDemoOutbox(gen.school.mail.relay.host, gen.school.mail.relay.port, join(gen.dataDir, "mail", "outbox"));
      say(`  Demo-Postausgang smtp://${gen.school.mail.relay.host}:${gen.school.mail.relay.port} → ${join(gen.dataDir, "mail", "outbox")}`);
    }
    host = await startHost(gen);
    for (const h of host) say(`  Appservice ${h.name.padEnd(5)} http://127.0.0.1:${h.port}`);
    const tokenUrl = new URL(gen.school.video.token_service_url);
    video = await startVideoService(
      VideoServiceConfigSchema.parse({
        bind: tokenUrl.hostname,
        port: Number(tokenUrl.port || 8070),
        livekit: { url: gen.school.video.livekit_url, apiUrl: lkUrl.origin, apiKey: gen.secrets.livekit_api_key, apiSecret: gen.secrets.livekit_api_secret },
        schools: {
          [gen.school.homeserver.server_name]: {
            homeserverUrl: homeserverUrlOf(gen),
            schoolApiUrl: `http://${gen.school.appservices.school.bind}:${gen.school.appservices.school.port}`,
            secret: gen.secrets.video_secret,
          },
        },
        sessionSecret: gen.secrets.session_secret,
      }),
      createLogger("video"),
    );
    say(`  Video-Token-Dienst ${gen.school.video.token_service_url}`);
    web = await startWebServer({ bind: gen.school.web.bind, port: gen.school.web.port, wellKnownDir: gen.wellKnownDir, apis: webApisOf(gen) });
    say(livekit === null ? "  LiveKit         nicht installiert (livekit-server fehlt)" : "  LiveKit         ws://127.0.0.1:7880 (dev)");

    const logins = join(gen.dataDir, "logins.tsv");
    if (opts.demo && !existsSync(logins)) {
      say("Schulhof: lege die Demo-Schule an …");
      const report = await importViaApi(gen, Buffer.from(DEMO_ROSTER, "utf8"), {
        dryRun: false,
        skipInvalid: false,
        fileName: "demo-roster.csv",
        lettersPath: join(gen.dataDir, "letters", "zugangsbriefe-demo.pdf"),
        loginsPath: logins,
      });
      if (report.failures.length > 0) say(`  ${report.failures.length} Schritte fehlgeschlagen; schulhof up versucht sie beim nächsten Start erneut.`);
    }
    const webUrl = `http://${gen.school.web.bind}:${gen.school.web.port}`;
    say("");
    say(`Schulhof läuft: ${webUrl}`);
    say(`Matrix-Server für Element & Co.: ${gen.school.homeserver.public_baseurl}`);
    if (existsSync(logins)) {
      say(`Demo-Zugänge (${logins}):`);
      for (const line of readFileSync(logins, "utf8").trim().split("\n")) say(`  ${line.split("\t").join("  ")}`);
    }
    if (gen.school.appservices.mail.enabled) {
      say(`E-Mail: SMTP ${gen.school.mail.smtp_bind}:${gen.school.mail.smtp_port} nimmt Mails an @${gen.school.school.mail_domain} an, z. B.:`);
      // A teacher as the example: outside mail to students is off unless the school allows it.
      const teacher = existsSync(logins) ? readFileSync(logins, "utf8").split("\n").find((l) => l.startsWith("teacher\t"))?.split("\t")[1] : undefined;
      const to = teacher === undefined ? `vorname.nachname@${gen.school.school.mail_domain}` : `${teacher.slice(1).split(":")[0]}@${gen.school.school.mail_domain}`;
      say(`  swaks --server ${gen.school.mail.smtp_bind} --port ${gen.school.mail.smtp_port} --from oma@example.org --to ${to} --header "Subject: Hallo"`);
      if (gen.school.mail.demo_outbox) say(`  Gesendete Mails landen in ${join(gen.dataDir, "mail", "outbox")}`);
    }
    say("Beenden mit Strg-C.");
  } catch (e) {
    await stopAll();
    throw e;
  }
}
