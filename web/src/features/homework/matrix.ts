// The homework section's Matrix side: course rooms and roles, assignments from room state, the own submission room,
// uploads with progress, authenticated downloads, and sending submissions and feedback (docs/homework.md).
import { ConnectionError, KnownMembership, MatrixError, RoomEvent, type MatrixClient, type MatrixEvent, type Room } from "matrix-js-sdk";
import { userMessage } from "../../lib/errors.ts";
import { t } from "../../lib/i18n/index.svelte.ts";
import {
  ASSIGNMENT_EVENT,
  byDue,
  COURSE_EVENT,
  FEEDBACK_EVENT,
  isMxc,
  parseAssignment,
  RECEIPT_KEY,
  REFUSAL_KEY,
  SUBMISSION_EVENT,
  SUBMISSION_ROOM_EVENT,
  TEACHER_POWER,
  type Assignment,
  type FileRef,
} from "./model.ts";

/** A person's role in a course room: teacher (power 50 and up), student, or none (not a joined member). */
export type CourseRole = "teacher" | "student" | null;

/** A course the signed-in user belongs to. The name is untrusted text. */
export interface CourseInfo {
  roomId: string;
  name: string;
  role: "teacher" | "student";
}

/** True when the room is a course room (has `de.schulhof.course` state). */
export function isCourseRoom(room: Room): boolean {
  return room.currentState.getStateEvents(COURSE_EVENT, "") !== null;
}

/** The course's name from its `de.schulhof.course` state, else the room name. */
export function courseNameOf(room: Room): string {
  const name = room.currentState.getStateEvents(COURSE_EVENT, "")?.getContent<{ name?: unknown }>().name;
  return typeof name === "string" && name.trim() !== "" ? name : room.name;
}

/** The user's role in a course room, from membership and power levels as the client knows them. */
export function roleIn(room: Room | null, userId: string): CourseRole {
  if (room === null || room.getMyMembership() !== KnownMembership.Join || !isCourseRoom(room)) return null;
  const power = room.getMember(userId)?.powerLevel ?? room.currentState.getStateEvents("m.room.power_levels", "")?.getContent<{ users_default?: number }>().users_default ?? 0;
  return power >= TEACHER_POWER ? "teacher" : "student";
}

/** The courses the user has joined, by name. */
export function myCourses(client: MatrixClient): CourseInfo[] {
  const me = client.getSafeUserId();
  const out: CourseInfo[] = [];
  for (const room of client.getRooms()) {
    const role = roleIn(room, me);
    if (role !== null) out.push({ roomId: room.roomId, name: courseNameOf(room), role });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The assignments of a course room (published and closed), by due date. */
export function assignmentsOf(room: Room): Assignment[] {
  return room.currentState
    .getStateEvents(ASSIGNMENT_EVENT)
    .map((e) => parseAssignment(e.getStateKey() ?? "", e.getContent()))
    .filter((a): a is Assignment => a !== null && a.id !== "")
    .sort(byDue);
}

/** One assignment of a course room, or null when the room has none by that id. */
export function assignmentIn(room: Room | null, id: string): Assignment | null {
  const event = room?.currentState.getStateEvents(ASSIGNMENT_EVENT, id) ?? null;
  return event === null ? null : parseAssignment(id, event.getContent());
}

/**
 * The user's joined submission room for a course (for a team task: the team's room of that assignment), marked by the
 * homework bot with `de.schulhof.homework.submission_room`; null while there is none.
 */
export function submissionRoomFor(client: MatrixClient, course: string, assignmentId: string, bot: string): Room | null {
  const me = client.getSafeUserId();
  let personal: Room | null = null;
  for (const room of client.getRooms()) {
    if (room.getMyMembership() !== KnownMembership.Join) continue;
    const marker = room.currentState.getStateEvents(SUBMISSION_ROOM_EVENT, "");
    if (marker === null || marker.getSender() !== bot) continue;
    const c = marker.getContent<{ course_room?: unknown; students?: unknown; assignment_id?: unknown }>();
    if (c.course_room !== course || !Array.isArray(c.students) || !c.students.includes(me)) continue;
    if (c.assignment_id === assignmentId) return room;
    if (c.assignment_id === null || c.assignment_id === undefined) personal = room;
  }
  return personal;
}

/** Rooms the homework bot invited the user to (submission rooms and their spaces), not yet joined. */
export function botInvites(client: MatrixClient, bot: string): Room[] {
  const me = client.getSafeUserId();
  return client.getRooms().filter((room) => room.getMyMembership() === KnownMembership.Invite && room.getMember(me)?.events.member?.getSender() === bot);
}

/** Media repository limits and refusals, and the homeserver's other refusals, in the user's language. */
export function matrixErrorText(e: unknown): string {
  if (e instanceof MatrixError) {
    if (e.errcode === "M_TOO_LARGE" || e.httpStatus === 413) return t("hw.error.too_large");
    if (e.errcode === "M_FORBIDDEN" || e.httpStatus === 403) return t("hw.error.forbidden");
    if (e.errcode === "M_LIMIT_EXCEEDED") return t("error.rate_limited");
    if (e.httpStatus !== undefined && e.httpStatus >= 500) return t("error.server_unreachable");
    return t("error.unknown");
  }
  if (e instanceof ConnectionError) return t("error.server_unreachable");
  return userMessage(e);
}

/**
 * Uploads a file to the homeserver's media repository; `onProgress` hears bytes sent. Rejects with the SDK's error
 * (see {@link matrixErrorText}); `signal` aborts.
 */
export async function uploadFile(client: MatrixClient, file: File, onProgress: (loaded: number, total: number) => void, signal?: AbortSignal): Promise<FileRef> {
  const mimetype = file.type === "" ? "application/octet-stream" : file.type;
  const abortController = new AbortController();
  signal?.addEventListener("abort", () => abortController.abort(), { once: true });
  const { content_uri } = await client.uploadContent(file, {
    name: file.name,
    type: mimetype,
    includeFilename: true,
    abortController,
    progressHandler: ({ loaded, total }) => onProgress(loaded, total),
  });
  return { url: content_uri, name: file.name, size: file.size, mimetype };
}

/** Fetches a file of the media repository (authenticated media) and hands it to the browser as a download. */
export async function downloadFile(client: MatrixClient, file: FileRef): Promise<void> {
  if (!isMxc(file.url)) throw new Error("not an mxc URL");
  const url = client.mxcUrlToHttp(file.url, undefined, undefined, undefined, false, true, true);
  if (url === null) throw new Error("no download URL");
  const response = await fetch(url, { headers: { authorization: `Bearer ${client.getAccessToken() ?? ""}` } });
  if (!response.ok) throw new MatrixError({ errcode: response.status === 404 ? "M_NOT_FOUND" : "M_UNKNOWN" }, response.status);
  const blob = await response.blob();
  const objectUrl = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = objectUrl;
  a.download = file.name;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(objectUrl), 60_000);
}

/** Sends a submission (`de.schulhof.homework.submission`) into the user's submission room; answers its event id. */
export async function sendSubmission(client: MatrixClient, roomId: string, assignment: Pick<Assignment, "id" | "title">, text: string, files: FileRef[]): Promise<string> {
  const names = files.map((f) => f.name).join(", ");
  const body = [t("hw.fallback.submission", { title: assignment.title }), text, names === "" ? "" : t("hw.fallback.files", { names })].filter((x) => x !== "").join("\n\n");
  const content = { assignment_id: assignment.id, text, files, body };
  const { event_id } = await client.sendEvent(roomId, SUBMISSION_EVENT as never, content as never);
  return event_id;
}

/** What became of a submission: the bot's receipt (with lateness), its refusal (its own words), or no answer yet. */
export type Verdict = { kind: "received"; late: boolean } | { kind: "refused"; text: string } | { kind: "pending" };

/** Reads the bot's receipt or refusal of `eventId` from one timeline event; null when it is neither. */
function verdictOf(event: MatrixEvent, eventId: string, bot: string): Verdict | null {
  if (event.getSender() !== bot) return null;
  const c = event.getContent<Record<string, unknown>>();
  const receipt = c[RECEIPT_KEY] as { submission?: unknown; late?: unknown } | undefined;
  if (receipt?.submission === eventId) return { kind: "received", late: receipt.late === true };
  const refusal = c[REFUSAL_KEY] as { submission?: unknown } | undefined;
  if (refusal?.submission === eventId) return { kind: "refused", text: typeof c.body === "string" ? c.body : t("hw.submit.refused") };
  return null;
}

/** Waits for the bot's answer to a submission in its room; answers `pending` after `timeoutMs`. */
export function waitForVerdict(client: MatrixClient, roomId: string, eventId: string, bot: string, timeoutMs = 45_000): Promise<Verdict> {
  const known = client
    .getRoom(roomId)
    ?.getLiveTimeline()
    .getEvents()
    .map((e) => verdictOf(e, eventId, bot))
    .find((v) => v !== null);
  if (known !== undefined && known !== null) return Promise.resolve(known);
  return new Promise((resolve) => {
    const onTimeline = (event: MatrixEvent, room: Room | undefined): void => {
      if (room?.roomId !== roomId) return;
      const v = verdictOf(event, eventId, bot);
      if (v !== null) finish(v);
    };
    const timer = setTimeout(() => finish({ kind: "pending" }), timeoutMs);
    const finish = (v: Verdict): void => {
      clearTimeout(timer);
      client.off(RoomEvent.Timeline, onTimeline);
      resolve(v);
    };
    client.on(RoomEvent.Timeline, onTimeline);
  });
}

/** Marks an assignment as started, with the bot's command in the submission room (`!begonnen <id>`). */
export async function markStarted(client: MatrixClient, roomId: string, assignmentId: string): Promise<void> {
  await client.sendTextMessage(roomId, `!begonnen ${assignmentId}`);
}

/** Sends a teacher's feedback (`de.schulhof.homework.feedback`) into the student's submission room, joining it first if invited. */
export async function sendFeedback(
  client: MatrixClient,
  roomId: string,
  f: { assignment: Pick<Assignment, "id" | "title">; student: string; grade: string | null; points: number | null; comment: string },
): Promise<void> {
  if (client.getRoom(roomId)?.getMyMembership() !== KnownMembership.Join) await client.joinRoom(roomId);
  const mark = f.grade ?? (f.points === null ? "" : t("hw.points_value", { points: f.points }));
  const body = [t("hw.fallback.feedback", { title: f.assignment.title }), mark, f.comment].filter((x) => x !== "").join("\n");
  const content = { assignment_id: f.assignment.id, student: f.student, grade: f.grade, points: f.points, comment: f.comment, body };
  await client.sendEvent(roomId, FEEDBACK_EVENT as never, content as never);
}
