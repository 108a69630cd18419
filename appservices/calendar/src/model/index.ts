// The calendar model: event content and its validation, expansion into occurrences, iCalendar export and
// import, German public holidays and one-line texts. Everything here is pure (no I/O).
export * from "./content.ts";
export * from "./expand.ts";
export * from "./format.ts";
export * from "./holidays.ts";
export * from "./ics-export.ts";
export * from "./ics-import.ts";
export * from "./reason.ts";
export {
  type LocalForm, type LocalParts, LOCAL_TIME_RE, floatingToInstant, formOf, formatFloating, instantToFloating,
  localToFloating, parseLocal,
} from "./local.ts";
export { FREQUENCIES, type Frequency, type ParsedRule, type RuleUntil, parseRule } from "./rule.ts";
