// Configuration of the school appservice (beyond the runtime's): the school and the admin credentials.
import { z } from "zod";

export const SchoolAppserviceConfigSchema = z.object({
  schoolName: z.string().min(1),
  /** Bundesland code (NI, NW, BY, …), time zone and mail domain, as in the school file. */
  schoolState: z.string().length(2),
  timezone: z.string().default("Europe/Berlin"),
  mailDomain: z.string().min(1),
  serverName: z.string().min(1),
  homeserverUrl: z.url(),
  language: z.enum(["de", "en"]).default("de"),
  /** Access token of the server-admin service account (user admin API). */
  systemAdminToken: z.string().min(10),
  /** Bearer token for the admin HTTP API (CLI); school admins in the web client sign in with OpenID instead. */
  adminApiToken: z.string().min(32),
  /** Signs web-client sessions (shared by the school's appservices); null: no web API. */
  sessionSecret: z.string().min(32).nullable().default(null),
  /** Where people sign in (printed on the letters). */
  loginUrl: z.string().nullable().default(null),
  /** Bots of feature appservices that join every course room at power 50 (e.g. `@hausaufgaben:…`). */
  courseBots: z.array(z.string().regex(/^@[^:]+:.+$/)).default([]),
  /** The calendar bot (`@kalender:…`): joins every calendar room. */
  calendarBot: z.string().regex(/^@[^:]+:.+$/).nullable().default(null),
  /** The exam-planning bot (`@klausuren:…`): joins exam-planning rooms, course rooms and cohort spaces. */
  examBot: z.string().regex(/^@[^:]+:.+$/).nullable().default(null),
  /** The secret the district's video token service uses to ask this school about room members (null: no video). */
  videoSecret: z.string().min(32).nullable().default(null),
  /** The district's video token service, which carries out teachers' `!video` moderation commands. */
  videoServiceUrl: z.url().nullable().default(null),
  /** The district's other schools (server names); the directory room invites their `@schule` bots. */
  districtServers: z.array(z.string()).default([]),
  /** Whether this school's teachers are listed in the district's other schools' user directories. */
  shareDirectory: z.boolean().default(false),
  /** A roster import that would deactivate more than this share of the school's active people needs a confirmation (force). */
  maxDeactivateShare: z.number().min(0).max(1).default(0.2),
  /** Parallel requests during provisioning. */
  concurrency: z.number().int().min(1).max(64).default(12),
  userConcurrency: z.number().int().min(1).max(32).default(6),
});

export type SchoolAppserviceConfig = z.infer<typeof SchoolAppserviceConfigSchema>;
