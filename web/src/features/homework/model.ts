// The homework protocol as the web client reads and writes it (docs/homework.md): event types, parsing, grades, forms.
import type { components } from "../../lib/api/generated/homework.ts";
import { instantOf, SCHOOL_ZONE, wallClockToRfc3339 } from "./time.ts";

/** What a draft holds (`PUT …/drafts/{id}`), as the homework API documents it. */
export type DraftContent = components["schemas"]["DraftContent"];

export const ASSIGNMENT_EVENT = "de.schulhof.homework.assignment";
export const SUBMISSION_EVENT = "de.schulhof.homework.submission";
export const FEEDBACK_EVENT = "de.schulhof.homework.feedback";
export const SUBMISSION_ROOM_EVENT = "de.schulhof.homework.submission_room";
export const COURSE_EVENT = "de.schulhof.course";
/** Keys of the bot's notices: the receipt of a submission, and the refusal of one; each carries a `code`. */
export const RECEIPT_KEY = "de.schulhof.homework.receipt";
export const REFUSAL_KEY = "de.schulhof.homework.refusal";
/** Power level from which a course member is a teacher. */
export const TEACHER_POWER = 50;

export type Grading = "grade" | "points" | "none";
export type SubmissionKind = "text" | "file";
/** A student's state of one assignment, as `GET /todo` answers it. */
export type TodoStatus = "new" | "started" | "submitted" | "overdue" | "past";

/** A file in the homeserver's media repository. Name and type are untrusted text. */
export interface FileRef {
  url: string;
  name: string;
  size: number;
  mimetype: string;
}

/** An assignment as its state event in the course room says. Title and description are untrusted. */
export interface Assignment {
  id: string;
  title: string;
  descriptionBody: string;
  /** Formatted description, untrusted HTML: only through `sanitizeHtml`. */
  descriptionHtml: string | null;
  due: string;
  cutoff: string | null;
  timezone: string;
  attachments: FileRef[];
  kinds: SubmissionKind[];
  grading: Grading;
  status: "published" | "closed";
  teams: string[][] | null;
}

const record = (value: unknown): Record<string, unknown> => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** `mxc://server/id`, nothing else (no paths, no query). */
export function isMxc(url: string): boolean {
  return /^mxc:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9_-]+$/.test(url);
}

/** A file reference from event content; null when it is not one. */
export function parseFileRef(value: unknown): FileRef | null {
  const v = record(value);
  const url = text(v.url);
  if (!isMxc(url)) return null;
  const size = typeof v.size === "number" && Number.isFinite(v.size) && v.size >= 0 ? v.size : 0;
  return { url, name: text(v.name) || url.slice(url.lastIndexOf("/") + 1), size, mimetype: text(v.mimetype) || "application/octet-stream" };
}

/** File references of a list, dropping what is none. */
export function parseFileRefs(value: unknown): FileRef[] {
  return Array.isArray(value) ? value.map(parseFileRef).filter((f): f is FileRef => f !== null) : [];
}

/** An assignment from the content of its state event; null for a deleted (empty) or unusable one. */
export function parseAssignment(id: string, content: unknown): Assignment | null {
  const c = record(content);
  const title = text(c.title).trim();
  const due = text(c.due);
  if (title === "" || Number.isNaN(instantOf(due))) return null;
  const cutoff = text(c.cutoff);
  const description = record(c.description);
  const kinds = Array.isArray(c.submission_kinds) ? c.submission_kinds.filter((k): k is SubmissionKind => k === "text" || k === "file") : [];
  const grading = c.grading === "grade" || c.grading === "points" ? c.grading : "none";
  const teams = Array.isArray(c.teams) ? c.teams.filter(Array.isArray).map((team: unknown[]) => team.filter((m): m is string => typeof m === "string")) : null;
  return {
    id,
    title,
    descriptionBody: text(description.body),
    descriptionHtml: typeof description.html === "string" && description.html !== "" ? description.html : null,
    due,
    cutoff: cutoff === "" || Number.isNaN(instantOf(cutoff)) ? null : cutoff,
    timezone: text(c.timezone) || SCHOOL_ZONE,
    attachments: parseFileRefs(c.attachments),
    kinds: kinds.length === 0 ? ["text", "file"] : kinds,
    grading,
    status: c.status === "closed" ? "closed" : "published",
    teams,
  };
}

/** Assignments by due date, then title. */
export function byDue<T extends { due: string; title: string }>(a: T, b: T): number {
  return instantOf(a.due) - instantOf(b.due) || a.title.localeCompare(b.title);
}

/** Still to do (new, started, overdue) or done (submitted, past). */
export function isOpen(status: TodoStatus): boolean {
  return status === "new" || status === "started" || status === "overdue";
}

/**
 * The to-do list in two parts: open work by due date (soonest first), and done or past work with the latest first.
 */
export function splitTodo<T extends { due: string; title: string; status: TodoStatus }>(items: readonly T[]): { open: T[]; done: T[] } {
  const open = items.filter((i) => isOpen(i.status)).sort(byDue);
  const done = items.filter((i) => !isOpen(i.status)).sort((a, b) => byDue(b, a));
  return { open, done };
}

/** The grades a teacher can give (1 to 6 with tendencies; neither 1+ nor 6-, as the homework service accepts). */
export const GRADE_OPTIONS: readonly string[] = ["1", "1-", "2+", "2", "2-", "3+", "3", "3-", "4+", "4", "4-", "5+", "5", "5-", "6"];
/** Points in the Oberstufe, 15 (best) down to 0. */
export const POINT_OPTIONS: readonly number[] = Array.from({ length: 16 }, (_, i) => 15 - i);

/** A grade as chosen in the form (`"2+"` or `"11"`, "" for none) → the feedback's `grade` and `points`; null when it does not fit. */
export function gradeFromInput(input: string, grading: Grading): { grade: string | null; points: number | null } | null {
  const v = input.trim();
  if (grading === "none" || v === "") return { grade: null, points: null };
  if (grading === "grade") return GRADE_OPTIONS.includes(v) ? { grade: v, points: null } : null;
  if (!/^\d{1,2}$/.test(v)) return null;
  const n = Number(v);
  return n >= 0 && n <= 15 ? { grade: null, points: n } : null;
}

/** A wall-clock time of the form (`datetime-local`), or "" for none. */
export type WallClock = string;

/** What the teacher typed into the assignment form. */
export interface AssignmentForm {
  title: string;
  description: string;
  due: WallClock;
  cutoff: WallClock;
  grading: Grading;
  kinds: SubmissionKind[];
  attachments: FileRef[];
}

/** Fields of the form that can be wrong, and why. */
export type FormErrors = Partial<Record<"title" | "due" | "cutoff" | "kinds", "required" | "too_long" | "invalid" | "nonexistent" | "past" | "before_due">>;

/** The longest title the homework service accepts. */
export const TITLE_MAX = 200;
/** The longest description the homework service accepts. */
export const DESCRIPTION_MAX = 20_000;

/**
 * Checks the form and builds the assignment content for a draft (`PUT …/drafts/{id}`) and its publication. For a
 * draft only a title is needed; to publish, the due date must lie ahead and the cut-off (if any) not before it.
 */
export function assignmentContent(form: AssignmentForm, opts: { publish: boolean; now: number; zone?: string }): { content: DraftContent } | { errors: FormErrors } {
  const zone = opts.zone ?? SCHOOL_ZONE;
  const errors: FormErrors = {};
  const title = form.title.trim();
  if (title === "") errors.title = "required";
  else if (title.length > TITLE_MAX) errors.title = "too_long";
  let due: string | null = null;
  if (form.due.trim() === "") {
    if (opts.publish) errors.due = "required";
  } else {
    const r = wallClockToRfc3339(form.due, zone);
    if (typeof r !== "string") errors.due = r.error;
    else if (opts.publish && instantOf(r) <= opts.now) errors.due = "past";
    else due = r;
  }
  let cutoff: string | null = null;
  if (form.cutoff.trim() !== "") {
    const r = wallClockToRfc3339(form.cutoff, zone);
    if (typeof r !== "string") errors.cutoff = r.error;
    else if (due !== null && instantOf(r) < instantOf(due)) errors.cutoff = "before_due";
    else cutoff = r;
  }
  if (form.kinds.length === 0) errors.kinds = "required";
  if (Object.keys(errors).length > 0) return { errors };
  const content: DraftContent = {
    title,
    description: { body: form.description.slice(0, DESCRIPTION_MAX) },
    cutoff,
    timezone: zone,
    attachments: form.attachments,
    submission_kinds: form.kinds,
    grading: form.grading,
  };
  if (due !== null) content.due = due;
  return { content };
}

/** The form's fields from a saved draft's content (what `assignmentContent` wrote; other clients may have left out fields). */
export function formOfDraft(content: DraftContent, toWallClock: (rfc3339: string) => string): AssignmentForm {
  const kinds = content.submission_kinds ?? [];
  return {
    title: content.title,
    description: content.description?.body ?? "",
    due: typeof content.due === "string" && content.due !== "" ? toWallClock(content.due) : "",
    cutoff: typeof content.cutoff === "string" && content.cutoff !== "" ? toWallClock(content.cutoff) : "",
    grading: content.grading ?? "none",
    kinds: kinds.length === 0 ? ["text", "file"] : [...kinds],
    attachments: parseFileRefs(content.attachments),
  };
}

/** A fresh id for a draft: `d` and 12 hex digits. */
export function newDraftId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `d${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Why the bot refused a submission (`de.schulhof.homework.refusal.code`, docs/homework.md). */
export type RefusalCode = "invalid" | "unknown_assignment" | "closed" | "kind_not_allowed" | "too_late";
const REFUSAL_CODES: readonly string[] = ["invalid", "unknown_assignment", "closed", "kind_not_allowed", "too_late"] satisfies RefusalCode[];
const isRefusalCode = (value: unknown): value is RefusalCode => typeof value === "string" && REFUSAL_CODES.includes(value);

/**
 * What became of a submission: the bot's receipt (on time or late), its refusal (a known `code`, or null for one this
 * client does not know, then `text` is the bot's own words), or no answer yet.
 */
export type Verdict = { kind: "received"; late: boolean } | { kind: "refused"; code: RefusalCode | null; text: string } | { kind: "pending" };

/** The bot's verdict on submission `eventId` from a notice's content; null when the notice is about something else. */
export function verdictIn(content: Record<string, unknown>, eventId: string): Verdict | null {
  const receipt = record(content[RECEIPT_KEY]);
  if (receipt.submission === eventId) return { kind: "received", late: receipt.code === "late" || receipt.late === true };
  const refusal = record(content[REFUSAL_KEY]);
  if (refusal.submission !== eventId) return null;
  return { kind: "refused", code: isRefusalCode(refusal.code) ? refusal.code : null, text: text(content.body) };
}

/** A file size for people: `512 B`, `12 KB`, `3,4 MB`. */
export function formatSize(bytes: number, locale: "de" | "en"): string {
  const nf = (n: number, digits: number): string => new Intl.NumberFormat(locale === "de" ? "de-DE" : "en-GB", { maximumFractionDigits: digits }).format(n);
  if (bytes < 1024) return `${nf(bytes, 0)} B`;
  if (bytes < 1024 * 1024) return `${nf(bytes / 1024, 0)} KB`;
  return `${nf(bytes / (1024 * 1024), 1)} MB`;
}
