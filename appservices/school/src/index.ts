// Public surface of @schulhof/school: the school appservice, roster import and provisioning.
export { schoolAppservice, schoolAccepts } from "./app.ts";
export { SchoolAppserviceConfigSchema, type SchoolAppserviceConfig } from "./config.ts";
export { importRoster, type ImportReport, type ImportOptions, type ImportDeps } from "./provision/import.ts";
export { reindexSchool, type ReindexResult } from "./provision/reindex.ts";
export { planSchool, type RoomSpec, type PlanPerson } from "./provision/plan.ts";
export type { Progress } from "./provision/apply.ts";
export { SCHOOL_MIGRATIONS } from "./store/migrations.ts";
export * from "./roster/index.ts";
export { exportSchoolPerson, type SchoolPersonExport } from "./export/person.ts";
