// Reading a room's state into the projection: when the bot joins a room, and for reindex.
import type { AppserviceMatrix, HandlerContext, MatrixEvent, Queryable } from "@schulhof/core";
import { ASSIGNMENT, EXTENSION, FEEDBACK, SUBMISSION, SUBMISSION_ROOM } from "./domain/schema.ts";
import { onAssignment, onExtension, onFeedback, onRoomState, onSubmission, onSubmissionRoomMarker, type HomeworkEnv } from "./handlers.ts";

/** A handler context that writes the projection but sends nothing (sync and reindex must not announce again). */
export function silent(tx: Queryable): HandlerContext {
  return { tx, enqueue: async () => undefined };
}

/** Projects a room's current state: course marker, power levels, members, assignments, submission-room marker, extensions. */
export async function syncRoomState(roomId: string, matrix: AppserviceMatrix, tx: Queryable, env: HomeworkEnv): Promise<void> {
  const state = (await matrix.bot.roomState(roomId)) as unknown as MatrixEvent[];
  const order = ["m.room.create", "de.schulhof.course", "m.room.power_levels", SUBMISSION_ROOM, "m.room.member", ASSIGNMENT, EXTENSION];
  const sorted = [...state].filter((e) => order.includes(e.type)).sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  for (const raw of sorted) {
    const ev = { ...raw, room_id: roomId };
    if (ev.type === SUBMISSION_ROOM) await onSubmissionRoomMarker(ev, tx, env);
    else if (ev.type === ASSIGNMENT) await onAssignment(ev, silent(tx), env);
    else if (ev.type === EXTENSION) await onExtension(ev, tx, env);
    else await onRoomState(ev, tx);
  }
}

/** Replays a submission room's history (submissions and feedback) into the projection, oldest first. */
export async function syncRoomHistory(roomId: string, matrix: AppserviceMatrix, tx: Queryable, env: HomeworkEnv): Promise<void> {
  let from: string | undefined;
  for (;;) {
    const page = (await matrix.bot.createMessagesRequest(roomId, from ?? null, 500, "f" as never)) as { chunk: MatrixEvent[]; end?: string };
    for (const raw of page.chunk) {
      const ev = { ...raw, room_id: roomId };
      if (ev.type === SUBMISSION) await onSubmission(ev, silent(tx), env);
      else if (ev.type === FEEDBACK) await onFeedback(ev, silent(tx), env);
    }
    if (page.end === undefined || page.chunk.length === 0) return;
    from = page.end;
  }
}
