// The appservice host: runs the school's appservices in one Node process, one port each (or one alone, to scale out).
import { join, resolve } from "node:path";
import { startAppservice, type DbConfig, type Logger, type RunningAppservice } from "@schulhof/core";
import type { GeneratedSchool } from "@schulhof/homeserver-config";
import { SchoolAppserviceConfigSchema, schoolAppservice } from "@schulhof/school";
import { HomeworkConfigSchema, homeworkAppservice } from "@schulhof/homework";
import { CalendarConfigSchema, calendarAppservice } from "@schulhof/calendar";

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

/** Starts the enabled appservices (or only those named). Needs the system admin token in the secrets. */
export async function startHost(gen: GeneratedSchool, opts: { only?: string[]; log?: Logger } = {}): Promise<RunningAppservice[]> {
  const running: RunningAppservice[] = [];
  const hsUrl = homeserverUrlOf(gen);
  const wanted = (id: string): boolean => opts.only === undefined || opts.only.includes(id);
  const tokens = (id: string): { as_token: string; hs_token: string } => {
    const t = gen.secrets.appservices[id];
    if (t === undefined) throw new Error(`no tokens for appservice ${id} in ${gen.secretsFile}`);
    return t;
  };
  try {
    const school = gen.school.appservices.school;
    if (school.enabled && wanted("school")) {
      const t = tokens("school");
      const spec = gen.appservices.find((a) => a.id === "school");
      running.push(
        await startAppservice(
          schoolAppservice,
          {
            identity: { homeserverUrl: hsUrl, serverName: gen.school.homeserver.server_name, asToken: t.as_token, botLocalpart: spec?.botLocalpart ?? "schule" },
            registrationId: "school",
            hsToken: t.hs_token,
            bind: school.bind,
            port: school.port,
            db: dbFor(gen, "school"),
          },
          SchoolAppserviceConfigSchema.parse({
            schoolName: gen.school.school.name,
            schoolState: gen.school.school.state,
            timezone: gen.school.school.timezone,
            mailDomain: gen.school.school.mail_domain,
            serverName: gen.school.homeserver.server_name,
            homeserverUrl: hsUrl,
            language: gen.school.school.language,
            systemAdminToken: gen.secrets.system_admin_token,
            adminApiToken: gen.secrets.admin_api_token,
            courseBots: gen.appservices.filter((a) => a.id === "homework").map((a) => `@${a.botLocalpart}:${gen.school.homeserver.server_name}`),
            ...(gen.appservices.some((a) => a.id === "calendar")
              ? { calendarBot: `@kalender:${gen.school.homeserver.server_name}`, examBot: `@klausuren:${gen.school.homeserver.server_name}` }
              : {}),
          }),
          opts.log === undefined ? {} : { log: opts.log },
        ),
      );
    }
    const homework = gen.school.appservices.homework;
    if (homework.enabled && wanted("homework")) {
      const t = tokens("homework");
      running.push(
        await startAppservice(
          homeworkAppservice,
          {
            identity: { homeserverUrl: hsUrl, serverName: gen.school.homeserver.server_name, asToken: t.as_token, botLocalpart: "hausaufgaben" },
            registrationId: "homework",
            hsToken: t.hs_token,
            bind: homework.bind,
            port: homework.port,
            db: dbFor(gen, "homework"),
          },
          HomeworkConfigSchema.parse({
            serverName: gen.school.homeserver.server_name,
            language: gen.school.school.language,
            timezone: gen.school.school.timezone,
            sessionSecret: gen.secrets.session_secret,
            adminApiToken: gen.secrets.admin_api_token,
            trustedHomeservers: { [gen.school.homeserver.server_name]: hsUrl },
          }),
          opts.log === undefined ? {} : { log: opts.log },
        ),
      );
    }
    const calendar = gen.school.appservices.calendar;
    if (calendar.enabled && wanted("calendar")) {
      const t = tokens("calendar");
      running.push(
        await startAppservice(
          calendarAppservice,
          {
            identity: { homeserverUrl: hsUrl, serverName: gen.school.homeserver.server_name, asToken: t.as_token, botLocalpart: "kalender" },
            registrationId: "calendar",
            hsToken: t.hs_token,
            bind: calendar.bind,
            port: calendar.port,
            db: dbFor(gen, "calendar"),
          },
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
