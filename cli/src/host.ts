// The appservice host: runs the school's appservices in one Node process, one port each (or one alone, to scale out).
import { join, resolve } from "node:path";
import { ConfigError, startAppservice, type DbConfig, type Logger, type RunningAppservice, type RuntimeConfig } from "@schulhof/core";
import { webPublicUrl, type GeneratedSchool } from "@schulhof/homeserver-config";
import { SchoolAppserviceConfigSchema, schoolAppservice, type SchoolAppserviceConfig } from "@schulhof/school";
import { HomeworkConfigSchema, homeworkAppservice } from "@schulhof/homework";
import { CalendarConfigSchema, calendarAppservice } from "@schulhof/calendar";
import { MailBridgeConfigSchema, mailAppservice, policy as mailPolicy } from "@schulhof/mail";
import { readFileSync } from "node:fs";

/** The database of one appservice: its own PGlite folder, or its own schema in the shared PostgreSQL. */
export function dbFor(gen: GeneratedSchool, appservice: string): DbConfig {
  const db = gen.school.database;
  if (db.kind === "pglite") return { kind: "pglite", path: db.path === null ? null : join(resolve(gen.dataDir, db.path), appservice) };
  return { kind: "postgres", url: db.url, schema: db.schema === undefined ? appservice : `${db.schema}_${appservice}`, poolSize: db.pool_size };
}

/** The homeserver URL the appservices use (loopback). */
export function homeserverUrlOf(gen: GeneratedSchool): string {
  return `http://${gen.school.homeserver.bind}:${gen.school.homeserver.port}`;
}

/** The feature APIs the web server forwards: `/_schulhof/<appservice>` → the enabled appservice's port. */
export function webApisOf(gen: GeneratedSchool): Record<string, string> {
  const apis: Record<string, string> = {};
  for (const id of ["school", "homework", "calendar", "mail"] as const) {
    const a = gen.school.appservices[id];
    if (a.enabled) apis[`/_schulhof/${id}`] = `http://${a.bind}:${a.port}`;
  }
  return apis;
}

/** The school appservice's own config, from the school file and the secrets (`startHost` starts it with this). */
export function schoolAppserviceConfigOf(gen: GeneratedSchool): SchoolAppserviceConfig {
  return SchoolAppserviceConfigSchema.parse({
    schoolName: gen.school.school.name,
    schoolState: gen.school.school.state,
    timezone: gen.school.school.timezone,
    mailDomain: gen.school.school.mail_domain,
    serverName: gen.school.homeserver.server_name,
    homeserverUrl: homeserverUrlOf(gen),
    language: gen.school.school.language,
    systemAdminToken: gen.secrets.system_admin_token,
    adminApiToken: gen.secrets.admin_api_token,
    videoSecret: gen.secrets.video_secret,
    videoServiceUrl: gen.school.video.token_service_url,
    districtServers: gen.school.homeserver.federation_allowlist,
    shareDirectory: gen.school.district.share_directory,
    maxDeactivateShare: gen.school.roster.max_deactivate_share,
    sessionSecret: gen.secrets.session_secret,
    loginUrl: webPublicUrl(gen.school),
    courseBots: gen.appservices.filter((a) => a.id === "homework").map((a) => `@${a.botLocalpart}:${gen.school.homeserver.server_name}`),
    ...(gen.appservices.some((a) => a.id === "calendar")
      ? { calendarBot: `@kalender:${gen.school.homeserver.server_name}`, examBot: `@klausuren:${gen.school.homeserver.server_name}` }
      : {}),
  });
}

/** Starts the enabled appservices (or only those named). Needs the system admin token in the secrets. */
export async function startHost(gen: GeneratedSchool, opts: { only?: string[]; log?: Logger; mailTuning?: Record<string, unknown> } = {}): Promise<RunningAppservice[]> {
  const running: RunningAppservice[] = [];
  const hsUrl = homeserverUrlOf(gen);
  const wanted = (id: string): boolean => opts.only === undefined || opts.only.includes(id);
  /** Where and as whom appservice `id` runs: its registration's bot and tokens, its port, its database. */
  const runtimeFor = (id: "school" | "homework" | "calendar" | "mail"): RuntimeConfig => {
    const t = gen.secrets.appservices[id];
    const spec = gen.appservices.find((a) => a.id === id);
    if (t === undefined || spec === undefined) throw new Error(`no registration or tokens for appservice ${id} in ${gen.secretsFile}`);
    const listen = gen.school.appservices[id];
    return {
      identity: { homeserverUrl: hsUrl, serverName: gen.school.homeserver.server_name, asToken: t.as_token, botLocalpart: spec.botLocalpart },
      registrationId: id,
      hsToken: t.hs_token,
      bind: listen.bind,
      port: listen.port,
      db: dbFor(gen, id),
    };
  };
  try {
    const school = gen.school.appservices.school;
    if (school.enabled && wanted("school")) {
      running.push(
        await startAppservice(
          schoolAppservice,
          runtimeFor("school"),
          schoolAppserviceConfigOf(gen),
          opts.log === undefined ? {} : { log: opts.log },
        ),
      );
    }
    const homework = gen.school.appservices.homework;
    if (homework.enabled && wanted("homework")) {
      running.push(
        await startAppservice(
          homeworkAppservice,
          runtimeFor("homework"),
          HomeworkConfigSchema.parse({
            serverName: gen.school.homeserver.server_name,
            language: gen.school.school.language,
            timezone: gen.school.school.timezone,
            sessionSecret: gen.secrets.session_secret,
            adminApiToken: gen.secrets.admin_api_token,
            trustedHomeservers: { [gen.school.homeserver.server_name]: hsUrl },
            districtServers: gen.school.homeserver.federation_allowlist,
          }),
          opts.log === undefined ? {} : { log: opts.log },
        ),
      );
    }
    const calendar = gen.school.appservices.calendar;
    if (calendar.enabled && wanted("calendar")) {
      running.push(
        await startAppservice(
          calendarAppservice,
          runtimeFor("calendar"),
          CalendarConfigSchema.parse({
            serverName: gen.school.homeserver.server_name,
            language: gen.school.school.language,
            timezone: gen.school.school.timezone,
            state: gen.school.school.state,
            ...(gen.school.school.school_form === undefined ? {} : { schoolForm: gen.school.school.school_form }),
            publicBaseUrl: gen.school.calendar.feed_base_url ?? `http://${calendar.bind}:${calendar.port}`,
            sessionSecret: gen.secrets.session_secret,
            adminApiToken: gen.secrets.admin_api_token,
            trustedHomeservers: { [gen.school.homeserver.server_name]: hsUrl },
            districtServers: gen.school.homeserver.federation_allowlist,
          }),
          opts.log === undefined ? {} : { log: opts.log },
        ),
      );
    }
    const mail = gen.school.appservices.mail;
    if (mail.enabled && wanted("mail")) {
      const m = gen.school.mail;
      const file = join(gen.dataDir, "school.yaml");
      const policy = mailPolicy.MailPolicySchema.safeParse(m.policy);
      if (!policy.success) {
        const issue = policy.error.issues[0];
        throw new ConfigError(file, `mail.policy.${issue?.path.join(".") ?? ""}`, issue?.message ?? "invalid");
      }
      const pem = (p: string | undefined): string | null => (p === undefined ? null : readFileSync(resolve(gen.dataDir, p), "utf8"));
      const key = pem(m.tls_key_file);
      const cert = pem(m.tls_cert_file);
      const school = gen.school.appservices.school;
      running.push(
        await startAppservice(
          mailAppservice,
          runtimeFor("mail"),
          MailBridgeConfigSchema.parse({
            serverName: gen.school.homeserver.server_name,
            mailDomain: gen.school.school.mail_domain,
            language: gen.school.school.language,
            directoryUrl: `http://${school.bind}:${school.port}/_schulhof/school/v1/admin/directory`,
            adminApiToken: gen.secrets.admin_api_token,
            sessionSecret: gen.secrets.session_secret,
            trustedHomeservers: { [gen.school.homeserver.server_name]: hsUrl },
            smtp: { bind: m.smtp_bind, port: m.smtp_port, hostname: m.hostname ?? `mx.${gen.school.school.mail_domain}`, tls: key !== null && cert !== null ? { key, cert } : null },
            relay: { host: m.relay.host, port: m.relay.port, secure: m.relay.secure, requireTls: m.relay.require_tls, user: m.relay.user, password: m.relay.password },
            dkim: { selector: m.dkim_selector, privateKey: gen.secrets.mail_dkim_private_key },
            verpSecret: gen.secrets.mail_verp_secret,
            policy: policy.data,
            dns: m.dns ?? null,
            // Tests and benchmarks shorten the intervals (a JSON object, e.g. {"tickMs":200}).
            ...(opts.mailTuning ?? (process.env.SCHULHOF_MAIL_TUNING === undefined ? {} : (JSON.parse(process.env.SCHULHOF_MAIL_TUNING) as Record<string, unknown>))),
          }),
          opts.log === undefined ? {} : { log: opts.log },
        ),
      );
    }
  } catch (e) {
    for (const r of running) await r.stop();
    throw e;
  }
  return running;
}
