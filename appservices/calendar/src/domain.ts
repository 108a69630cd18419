// Event types of the calendar appservice and its environment.
import { hostedElsewhere } from "@schulhof/core";

export const CALENDAR = "de.schulhof.calendar";
export const CAL_EVENT = "de.schulhof.calendar.event";
export const EXAM = "de.schulhof.exam";
export const EXAM_RULES = "de.schulhof.exam.rules";
export const EXAM_COHORT = "de.schulhof.exam.cohort";

/** State the projection needs. */
export const STATE_TYPES = new Set([
  "m.room.create",
  "m.room.power_levels",
  "m.room.member",
  "m.room.name",
  "m.space.parent",
  "de.schulhof.room",
  "de.schulhof.school",
  "de.schulhof.course",
  CALENDAR,
  CAL_EVENT,
  EXAM,
  EXAM_RULES,
  EXAM_COHORT,
]);

/** Times of the lesson periods (Stunden), local time: period n → [start, end], numbered 1…n without gaps. */
export type PeriodTimes = Record<number, [string, string]>;

/** Periods per day when the configuration does not say. */
export const DEFAULT_PERIODS_PER_DAY = 8;

export const DEFAULT_PERIOD_TIMES: PeriodTimes = {
  1: ["08:00", "08:45"],
  2: ["08:50", "09:35"],
  3: ["09:55", "10:40"],
  4: ["10:45", "11:30"],
  5: ["11:50", "12:35"],
  6: ["12:40", "13:25"],
  7: ["13:45", "14:30"],
  8: ["14:35", "15:20"],
  9: ["15:25", "16:10"],
  10: ["16:15", "17:00"],
};

/**
 * The school's periods: the first `count` of `times` (the configured times, else {@link DEFAULT_PERIOD_TIMES}).
 * Called once at start-up; throws a RangeError when fewer times than periods are known.
 */
export function schoolPeriods(count: number, times: readonly (readonly [string, string])[] | undefined = undefined): PeriodTimes {
  const known: [string, string][] = times === undefined ? Object.values(DEFAULT_PERIOD_TIMES) : times.map(([s, e]) => [s, e]);
  if (!Number.isInteger(count) || count < 1 || count > known.length) throw new RangeError(`periodsPerDay ${count}: times are known for periods 1 to ${known.length}`);
  const out: PeriodTimes = {};
  for (let n = 1; n <= count; n++) out[n] = known[n - 1]!;
  return out;
}

/** How many periods a day has. */
export function periodCount(times: PeriodTimes): number {
  return Object.keys(times).length;
}

/** The periods as the API answers them: number, local start and end (`HH:MM`). */
export function periodList(times: PeriodTimes): { number: number; start: string; end: string }[] {
  return Object.entries(times)
    .map(([n, [start, end]]) => ({ number: Number(n), start, end }))
    .sort((a, b) => a.number - b.number);
}

/** What handlers, commands and the API share. */
export interface CalendarEnv {
  botUserId: string;
  examBotUserId: string;
  lang: "de" | "en";
  timezone: string;
  state: string;
  schoolForm?: string | undefined;
  /** The school's lesson periods (`periodsPerDay` of them): the planner offers, checks and places exams in these only. */
  periodTimes: PeriodTimes;
  publicBaseUrl: string;
  sessionSecret: string;
  /** This school's server; rooms created elsewhere (a district school's shared course) are only read. */
  serverName?: string | undefined;
}

/** A room hosted by another school of the district (a shared course): this appservice reads it, never announces, corrects or answers there. */
export function isGuestRoom(room: { creators: readonly string[] } | null, env: Pick<CalendarEnv, "serverName">): boolean {
  return env.serverName !== undefined && room !== null && hostedElsewhere(room.creators, env.serverName);
}

/** The bots of this appservice. */
export function isOurBot(env: CalendarEnv, userId: string): boolean {
  return userId === env.botUserId || userId === env.examBotUserId;
}
