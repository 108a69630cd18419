// The calendar appservice: calendars as rooms, iCalendar feeds, reminders and exam planning.
export { calendarAppservice, calendarAccepts } from "./app.ts";
export { CalendarConfigSchema, type CalendarConfig } from "./config.ts";
export { API_PREFIX as CALENDAR_API_PREFIX } from "./api/routes.ts";
export { CALENDAR_MIGRATIONS } from "./store/migrations.ts";
export * as model from "./model/index.ts";
export * as examRules from "./exams/index.ts";
// For the benchmark and tools that work on the projection directly.
export { feedHandler, renderFeed } from "./feeds/serve.ts";
export { createFeed } from "./store/feeds.ts";
export { saveEvent } from "./store/events.ts";
export { saveMember, setRoomField, savePowerLevels } from "./store/rooms.ts";
export { saveExam, type ExamContent } from "./store/exams.ts";
export { cohortSituation, planned } from "./planning/context.ts";
export { DEFAULT_PERIOD_TIMES, type CalendarEnv } from "./domain.ts";
export { exportCalendarPerson, type CalendarPersonExport } from "./export/person.ts";
