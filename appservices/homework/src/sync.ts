// Reading a room's state into the projection: when the bot joins a room, and for reindex.
import type { AppserviceMatrix, HandlerContext, MatrixEvent, Queryable } from "@schulhof/core";
import { ASSIGNMENT, EXTENSION, FEEDBACK, RECEIPT, REFUSAL, SUBMISSION, SUBMISSION_ROOM } from "./domain/schema.ts";
import { guestRoom, onAssignment, onExtension, onFeedback, onRoomState, onSubmission, onSubmissionRoomMarker, type HomeworkEnv } from "./handlers.ts";

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
    else if (ev.type === ASSIGNMENT) await onAssignment(ev, silent(tx), env, { guest: (await guestRoom(tx, roomId, env)).guest });
    else if (ev.type === EXTENSION) await onExtension(ev, tx, env);
    else await onRoomState(ev, tx);
  }
}

/**
 * Replays a submission room's history (submissions and feedback) into the projection, oldest
 * first. The bot's receipts and refusals in the room are the decisions: a submission counts as the
 * receipt said (on time or late), a refused one not at all; only one without either is judged now.
 */
export async function syncRoomHistory(roomId: string, matrix: AppserviceMatrix, tx: Queryable, env: HomeworkEnv): Promise<void> {
  const events: MatrixEvent[] = [];
  let from: string | undefined;
  for (;;) {
    const page = (await matrix.bot.createMessagesRequest(roomId, from ?? null, 500, "f" as never)) as { chunk: MatrixEvent[]; end?: string };
    events.push(...page.chunk.map((e) => ({ ...e, room_id: roomId })));
    if (page.end === undefined || page.chunk.length === 0) break;
    from = page.end;
  }
  const receipts = new Map<string, boolean>();
  const refused = new Set<string>();
  for (const ev of events) {
    if (ev.sender !== env.botUserId) continue;
    const receipt = ev.content[RECEIPT] as { submission?: string; late?: boolean } | undefined;
    if (typeof receipt?.submission === "string") receipts.set(receipt.submission, receipt.late === true);
    const refusal = ev.content[REFUSAL] as { submission?: string } | undefined;
    if (typeof refusal?.submission === "string") refused.add(refusal.submission);
  }
  for (const ev of events) {
    if (ev.type === SUBMISSION && !refused.has(ev.event_id)) {
      const late = receipts.get(ev.event_id);
      await onSubmission(ev, silent(tx), env, late === undefined ? undefined : late ? "late" : "on_time");
    } else if (ev.type === FEEDBACK) await onFeedback(ev, silent(tx), env);
  }
}
