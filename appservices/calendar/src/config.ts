// Configuration of the calendar appservice (calendars and exam planning).
import { z } from "zod";

export const CalendarConfigSchema = z.object({
  serverName: z.string().min(1),
  language: z.enum(["de", "en"]).default("de"),
  /** The school's time zone: events without one, reminders, "today". */
  timezone: z.string().default("Europe/Berlin"),
  /** Bundesland code (NI, NW, BY, …): public holidays and the default exam rules. */
  state: z.string().length(2),
  /** The school's form (gymnasium, oberschule, …) for exam rules that differ by form. */
  schoolForm: z.string().optional(),
  /** Base URL under which feeds are reachable from phones (the school's public address). */
  publicBaseUrl: z.url(),
  /** Secret for the web client's session tokens and for encrypting stored feed tokens (≥ 32 characters). */
  sessionSecret: z.string().min(32),
  /** Servers whose users' OpenID tokens are accepted: server name → base URL. */
  trustedHomeservers: z.record(z.string(), z.url()),
  adminApiToken: z.string().min(32),
  /** The exam-planning bot, masqueraded by this appservice (`@klausuren:…`). */
  examBotLocalpart: z.string().default("klausuren"),
  /** Lesson periods per day (for the planning view). */
  periodsPerDay: z.number().int().min(1).max(16).default(8),
  /** Background work (personal rooms, holidays, reminders), in ms. */
  tickMs: z.number().int().min(100).default(30_000),
  /** Feed bodies kept in memory for repeated polls. */
  feedCacheEntries: z.number().int().min(0).default(5_000),
});
export type CalendarConfig = z.infer<typeof CalendarConfigSchema>;
