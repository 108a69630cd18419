// The public roster import API: parse, validate, diff, user names, cohorts and credential letters.

export type { ParsedRoster, Role, RosterPerson, RosterRowError } from "./types.ts";
export { RosterImportRefusedError, RosterInvalidError, formatRowError } from "./errors.ts";
export { parseRoster } from "./parse.ts";
export type { ParseRosterOptions } from "./parse.ts";
export { normalizeClassName, splitCourses } from "./fields.ts";
export { cohortOf, courseCohort } from "./cohort.ts";
export type { Cohort, ExamCohort } from "./cohort.ts";
export { initialPassword, localpartFor } from "./usernames.ts";
export { ambiguousRows, diffRoster, diffRosterSkipping, displayNameOf, formatDiff, personKey } from "./diff.ts";
export { DEFAULT_MAX_DEACTIVATE_SHARE, guardImport, refuseUnconfirmed } from "./safety.ts";
export type { ImportGuard, ImportGuardOptions } from "./safety.ts";
export type { CurrentPerson, PersonChange, PersonState, RosterDiff } from "./diff.ts";
export { sortForLetters, writeCredentialLetters } from "../letters/letters.ts";
export type { LetterOptions, LetterPerson, LetterSchool } from "../letters/letters.ts";
