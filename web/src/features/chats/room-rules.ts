// Which rooms are chats: the markers the appservices put into feature rooms, and the one rule that hides those rooms.

/** The state markers that tell what a room is (docs/protocol.md; written by the school, homework, calendar and mail services). */
export const MARKERS = {
  /** Every room and space the school provisions, and the homework and personal-calendar rooms: `{kind, key, …}`. */
  room: "de.schulhof.room",
  /** A room that is also a calendar (course rooms and the Lehrerzimmer too; personal calendars). */
  calendar: "de.schulhof.calendar",
  /** An exam-planning room (Klausurplan) of a cohort. */
  examCohort: "de.schulhof.exam.cohort",
  /** A student's (or team's) private submission room, made by the homework bot. */
  submissionRoom: "de.schulhof.homework.submission_room",
  /** A mail conversation room, made by the mail bridge. */
  mailConversation: "de.schulhof.mail.conversation",
} as const;

/** `de.schulhof.room` kinds of rooms that other sections show: submissions (Aufgaben), exam plans (Klausuren), personal calendars. */
const FEATURE_KINDS: ReadonlySet<string> = new Set(["submissions", "exams", "personal-calendar"]);

/** `de.schulhof.room` kinds of the school's chats and spaces: they may carry a calendar and still are chats. */
const CHAT_KINDS: ReadonlySet<string> = new Set(["school", "yeargroup", "class", "classchat", "course", "teachers"]);

/** The content of a room's state event (`state_key` ""), or undefined when the room has none. */
export type StateLookup = (type: string) => Record<string, unknown> | undefined;

/** A state content that says something: empty content means the marker was removed. */
function present(content: Record<string, unknown> | undefined): content is Record<string, unknown> {
  return content !== undefined && Object.keys(content).length > 0;
}

/**
 * True for a room that belongs to another section and stays out of the chat list: a submission room or the space of
 * a course's submissions (Aufgaben), an exam-planning room (Klausuren), a mail conversation (Mail), a calendar room
 * that is not one of the school's chats, and a personal calendar room (Kalender). Course rooms and the Lehrerzimmer
 * carry a calendar marker too; they stay, because their `de.schulhof.room` kind says they are chats.
 * Works on the full state of joined rooms and on the stripped state of invites (what the homeserver shares).
 */
export function isFeatureRoom(stateOf: StateLookup): boolean {
  if (present(stateOf(MARKERS.submissionRoom))) return true;
  if (present(stateOf(MARKERS.mailConversation))) return true;
  if (present(stateOf(MARKERS.examCohort))) return true;
  const roomMarker = stateOf(MARKERS.room);
  const kind = present(roomMarker) && typeof roomMarker.kind === "string" ? roomMarker.kind : null;
  if (kind !== null && FEATURE_KINDS.has(kind)) return true;
  if (present(stateOf(MARKERS.calendar))) return kind === null || !CHAT_KINDS.has(kind);
  return false;
}
