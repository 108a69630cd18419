// The homework section's Matrix side: course rooms and roles, assignments from room state, the submission room the
// homework API names, uploads with progress, authenticated downloads, and sending submissions and feedback (docs/homework.md).
import { ConnectionError, KnownMembership, MatrixError, RoomEvent, type MatrixClient, type MatrixEvent, type Room } from "matrix-js-sdk";
import { userMessage } from "../../lib/errors.ts";
import { t } from "../../lib/i18n/index.svelte.ts";
import { ASSIGNMENT_EVENT, COURSE_EVENT, FEEDBACK_EVENT, isMxc, parseAssignment, SUBMISSION_EVENT, SUBMISSION_ROOM_EVENT, TEACHER_POWER, verdictIn, type Assignment, type FileRef, type Verdict } from "./model.ts";

/** A person's role in a course room: teacher (power 50 and up), student, or none (not a joined member). */
export type CourseRole = "teacher" | "student" | null;

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

/** One assignment of a course room, or null when the room has none by that id. */
export function assignmentIn(room: Room | null, id: string): Assignment | null {
  const event = room?.currentState.getStateEvents(ASSIGNMENT_EVENT, id) ?? null;
  return event === null ? null : parseAssignment(id, event.getContent());
}

/** The submission room the homework API named (`TodoItem.submission_room`), once the user has joined it; else null. */
export function joinedRoom(client: MatrixClient, roomId: string | null): Room | null {
  const room = roomId === null ? null : client.getRoom(roomId);
  return room !== null && room.getMyMembership() === KnownMembership.Join ? room : null;
}

/**
 * Accepts the invitation to the submission room the homework API named, and no other room: the client never joins a
 * room because of who invited it. Answers false while there is no invitation to that room (yet).
 */
export async function acceptSubmissionRoom(client: MatrixClient, roomId: string): Promise<boolean> {
  if (client.getRoom(roomId)?.getMyMembership() !== KnownMembership.Invite) return false;
  await client.joinRoom(roomId);
  return true;
}

/** The homework bot as a submission room knows it: the sender of the room's marker, which only the bot may write. */
export function homeworkBotIn(room: Room): string | null {
  return room.currentState.getStateEvents(SUBMISSION_ROOM_EVENT, "")?.getSender() ?? null;
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

/** Reads the bot's receipt or refusal of `eventId` from one timeline event; null when it is neither. */
function verdictOf(event: MatrixEvent, eventId: string, bot: string): Verdict | null {
  return event.getSender() === bot ? verdictIn(event.getContent<Record<string, unknown>>(), eventId) : null;
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
