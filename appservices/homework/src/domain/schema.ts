// Event contents of homework (Hausaufgaben) as zod schemas: the protocol's code (docs/homework.md is its text).
import { z } from "zod";

export const ASSIGNMENT = "de.schulhof.homework.assignment";
export const SUBMISSION = "de.schulhof.homework.submission";
export const FEEDBACK = "de.schulhof.homework.feedback";
export const EXTENSION = "de.schulhof.homework.extension";
export const SUBMISSION_ROOM = "de.schulhof.homework.submission_room";
/** Keys in the bot's notices: the receipt of a taken submission, and the refusal of one (each with a `code`). */
export const RECEIPT = "de.schulhof.homework.receipt";
export const REFUSAL = "de.schulhof.homework.refusal";
/** Key in the bot's readable notice of a feedback (`{feedback, assignment_id}`): what every client shows of a grade. */
export const FEEDBACK_NOTICE = "de.schulhof.homework.feedback_notice";
/** Key in the bot's readable notice of an extension (`{assignment_id, due, cutoff}`) in the student's submission room. */
export const EXTENSION_NOTICE = "de.schulhof.homework.extension_notice";

const MatrixUserId = z.string().regex(/^@[^:]+:.+$/, "must be a Matrix user id");
const Rfc3339 = z.iso.datetime({ offset: true });

/** A file in the media repository. */
export const AttachmentSchema = z.object({
  url: z.string().startsWith("mxc://"),
  name: z.string().min(1).max(255),
  size: z.number().int().min(0).max(1024 * 1024 * 1024),
  mimetype: z.string().max(255).default("application/octet-stream"),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

/** German grades in Sek I (`1`, `2+`, `3-`, … `6`) or points 0–15 in Sek II, or no grade. */
export const GradingSchema = z.enum(["grade", "points", "none"]);
export type Grading = z.infer<typeof GradingSchema>;

const DescriptionSchema = z.object({ body: z.string().max(20_000), html: z.string().max(60_000).optional() });
const KindsSchema = z.array(z.enum(["text", "file"])).min(1).max(2);
const TeamsSchema = z.array(z.array(MatrixUserId).min(1).max(50)).max(200);

/**
 * `de.schulhof.homework.assignment`, state in the course room, state_key = assignment id.
 * Written by teachers (power level 50). `status: closed` ends it early; drafts never reach the room.
 */
export const AssignmentSchema = z.object({
  title: z.string().trim().min(1).max(200),
  description: DescriptionSchema.default({ body: "" }),
  due: Rfc3339,
  cutoff: Rfc3339.nullable().default(null),
  timezone: z.string().default("Europe/Berlin"),
  attachments: z.array(AttachmentSchema).max(20).default([]),
  submission_kinds: KindsSchema.default(["text", "file"]),
  grading: GradingSchema.default("none"),
  status: z.enum(["published", "closed"]).default("published"),
  /** Team task: the teams a teacher formed; one member submits for the team. */
  teams: TeamsSchema.nullable().default(null),
  /** Hours before `due` when students without a submission are reminded (once). */
  reminder_hours: z.number().min(0).max(24 * 14).default(24),
  /** Counts edits; students are told when a published assignment changes. */
  version: z.number().int().min(1).default(1),
});
export type Assignment = z.infer<typeof AssignmentSchema>;

/**
 * A draft of an assignment as a teacher saves it through the API (`PUT …/drafts/{id}`): a title, and whatever of
 * the assignment's other fields is written so far. It stays in the appservice until published; publishing checks
 * it as an {@link AssignmentSchema}. Unknown fields are dropped.
 */
export const DraftSchema = z.object({
  title: z.string().trim().min(1).max(200),
  description: DescriptionSchema.optional(),
  due: Rfc3339.nullable().optional(),
  cutoff: Rfc3339.nullable().optional(),
  timezone: z.string().min(1).max(100).optional(),
  attachments: z.array(AttachmentSchema).max(20).optional(),
  submission_kinds: KindsSchema.optional(),
  grading: GradingSchema.optional(),
  teams: TeamsSchema.nullable().optional(),
  reminder_hours: z.number().min(0).max(24 * 14).optional(),
});
export type Draft = z.infer<typeof DraftSchema>;

/**
 * `de.schulhof.homework.submission`, a message in the student's (or team's) submission room. Sent
 * by the student (web client), or by `@hausaufgaben` for a student who used `!abgeben` in a plain
 * client; then `student` and `submitted_at` say whose and when (the command's timestamp).
 */
export const SubmissionSchema = z.object({
  assignment_id: z.string().min(1).max(100),
  text: z.string().max(100_000).default(""),
  files: z.array(AttachmentSchema).max(20).default([]),
  student: MatrixUserId.optional(),
  submitted_at: z.number().int().optional(),
  body: z.string().max(100_000).optional(),
});
export type Submission = z.infer<typeof SubmissionSchema>;

/** `de.schulhof.homework.feedback`, a message in the submission room, sent by a teacher (power level 50). */
export const FeedbackSchema = z.object({
  assignment_id: z.string().min(1).max(100),
  student: MatrixUserId,
  grade: z.string().regex(/^[1-6][+-]?$/).nullable().default(null),
  points: z.number().int().min(0).max(15).nullable().default(null),
  comment: z.string().max(20_000).default(""),
  body: z.string().max(30_000).optional(),
});
export type Feedback = z.infer<typeof FeedbackSchema>;

/** `de.schulhof.homework.extension`, state in one student's submission room, state_key = assignment id. */
export const ExtensionSchema = z.object({
  due: Rfc3339,
  cutoff: Rfc3339.nullable().default(null),
});
export type Extension = z.infer<typeof ExtensionSchema>;

/** `de.schulhof.homework.submission_room`, state in a submission room: whose room for which course. */
export const SubmissionRoomSchema = z.object({
  course_room: z.string().startsWith("!"),
  students: z.array(MatrixUserId).min(1),
  /** For a team room: the assignment it belongs to. */
  assignment_id: z.string().nullable().default(null),
});
export type SubmissionRoom = z.infer<typeof SubmissionRoomSchema>;
