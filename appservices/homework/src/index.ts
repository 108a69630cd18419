// Public surface of @schulhof/homework.
export { homeworkAppservice, homeworkAccepts } from "./app.ts";
export { HomeworkConfigSchema, type HomeworkConfig } from "./config.ts";
export { reindexHomework } from "./reindex.ts";
export { API_PREFIX as HOMEWORK_API_PREFIX } from "./api/routes.ts";
export * from "./domain/schema.ts";
export { localToRfc3339, judgeSubmission, formatAtSchool, toMillis } from "./domain/deadlines.ts";
export { todoStatus, type TodoStatus } from "./domain/status.ts";
export { parseGrade } from "./domain/grades.ts";
export { exportHomeworkPerson, type HomeworkPersonExport } from "./export/person.ts";
