// Configuration of the calendar appservice (calendars and exam planning).
import { z } from "zod";
import { DEFAULT_PERIOD_TIMES, DEFAULT_PERIODS_PER_DAY, schoolPeriods, type PeriodTimes } from "./domain.ts";

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time HH:MM");

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
  /** The district's other schools: their `@kalender` may invite ours into their shared courses, and we invite theirs into ours. */
  districtServers: z.array(z.string()).default([]),
  adminApiToken: z.string().min(32),
  /** The exam-planning bot, masqueraded by this appservice (`@klausuren:…`). */
  examBotLocalpart: z.string().default("klausuren"),
  /**
   * Lesson periods per day: exams are planned, checked and shown in periods 1…periodsPerDay only.
   * Default: as many as `periodTimes` gives, else 8.
   */
  periodsPerDay: z.number().int().min(1).max(16).optional(),
  /** Local start and end (`HH:MM`) of each period, first period first; default 08:00–08:45, 08:50–09:35, … (10 known). */
  periodTimes: z
    .array(z.tuple([HHMM, HHMM]).refine(([s, e]) => s < e, "a period must end after it starts"))
    .min(1)
    .max(16)
    .refine((list) => list.every((p, i) => i === 0 || list[i - 1]![1] <= p[0]), "periods must follow each other without overlapping")
    .optional(),
  /** Background work (personal rooms, holidays, reminders), in ms. */
  tickMs: z.number().int().min(100).default(30_000),
  /** Feed bodies kept in memory for repeated polls. */
  feedCacheEntries: z.number().int().min(0).default(5_000),
}).superRefine((c, ctx) => {
  const known = c.periodTimes?.length ?? Object.keys(DEFAULT_PERIOD_TIMES).length;
  if (c.periodsPerDay !== undefined && c.periodsPerDay > known) {
    ctx.addIssue({ code: "custom", path: ["periodsPerDay"], message: `times are known for ${known} periods only: give periodTimes for each` });
  }
});
export type CalendarConfig = z.infer<typeof CalendarConfigSchema>;

/** The school's periods from a parsed configuration: `periodsPerDay` of the configured (or default) times. */
export function periodsOf(config: Pick<CalendarConfig, "periodsPerDay" | "periodTimes">): PeriodTimes {
  return schoolPeriods(config.periodsPerDay ?? config.periodTimes?.length ?? DEFAULT_PERIODS_PER_DAY, config.periodTimes);
}
