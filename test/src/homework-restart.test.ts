// A deadline while the homework appservice is down (SIGKILL): nothing is lost, nothing doubled, and lateness follows each event's own time.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { killCounter, startCounter } from "./harness/counter.ts";
import { testEnv } from "./harness/env.ts";
import { pgQuery } from "./harness/pg.ts";
import { joinInvite, replyFrom } from "./harness/rooms.ts";
import { eventually, newUser, type TestUser } from "./harness/users.ts";

const HW = "de.schulhof.homework";

const q = <T>(sql: string, params: unknown[] = []): Promise<T[]> => pgQuery<T>(testEnv().homeworkRestart.dbUrl, null, sql, params);

describe("homework across a restart at the deadline", { concurrency: false }, () => {
  let fixture: ChildProcess;
  let teacher: TestUser;
  const students: TestUser[] = [];
  const rooms = new Map<string, string>();
  let course: string;
  const bot = (): string => testEnv().homeworkRestart.botUserId;

  before(async () => {
    fixture = await startCounter("homework-main.ts");
    teacher = await newUser("lehrer-neustart", { unthrottled: true });
    for (let i = 0; i < 3; i++) students.push(await newUser(`neustart${i}`, { unthrottled: true }));
    course = (
      await teacher.client.createRoom({
        name: "Physik 8q",
        initial_state: [{ type: "de.schulhof.course", state_key: "", content: { name: "Physik 8q" } }],
        power_level_content_override: { users: { [bot()]: 50 }, state_default: 50 },
      })
    ).room_id;
    for (const u of [...students.map((s) => s.userId), bot()]) await teacher.client.invite(course, u);
    for (const s of students) await s.client.joinRoom(course);
    await eventually("bot joined", async () => (bot() in (await teacher.client.getJoinedRoomMembers(course)).joined ? true : undefined));
  });
  after(async () => {
    await killCounter(fixture);
  });

  it("records every submission once, judged by when it was sent, though handled after a restart past the due date", async () => {
    const due = Date.now() + 20_000;
    await teacher.client.sendStateEvent(course, `${HW}.assignment` as never, { title: "Pendel", due: new Date(due).toISOString(), cutoff: new Date(due + 600_000).toISOString() } as never, "a-restart");
    for (const s of students) rooms.set(s.userId, await joinInvite(s, "Abgaben Physik 8q:"));
    // The appservice dies before the deadline and comes back after it; students keep submitting.
    await killCounter(fixture);
    const waitUntil = (t: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
    const sent: { id: string; before: boolean; student: string }[] = [];
    await waitUntil(due - 4000);
    for (const s of students) sent.push({ id: (await s.client.sendEvent(rooms.get(s.userId) ?? "", `${HW}.submission` as never, { assignment_id: "a-restart", text: "vorher" } as never)).event_id, before: true, student: s.userId });
    await waitUntil(due + 2000);
    for (const s of students) sent.push({ id: (await s.client.sendEvent(rooms.get(s.userId) ?? "", `${HW}.submission` as never, { assignment_id: "a-restart", text: "nachher" } as never)).event_id, before: false, student: s.userId });
    await waitUntil(due + 4000);
    fixture = await startCounter("homework-main.ts");

    const rows = await eventually(
      "all submissions handled",
      async () => {
        const r = await q<{ event_id: string; late: boolean }>("SELECT event_id, late FROM submissions WHERE assignment_id = 'a-restart'");
        return r.length >= sent.length ? r : undefined;
      },
      90_000,
      500,
    );
    assert.equal(rows.length, sent.length, "each once");
    const late = new Map(rows.map((r) => [r.event_id, r.late]));
    for (const s of sent) assert.equal(late.get(s.id), !s.before, `${s.id} sent ${s.before ? "before" : "after"} the due date`);
    for (const s of sent) {
      const student = students.find((x) => x.userId === s.student);
      if (student === undefined) continue;
      const receipt = await replyFrom(bot(), student, rooms.get(s.student) ?? "", s.id);
      assert.match(receipt.body, s.before ? /erhalten\.$/ : /erhalten \(verspätet\)\.$/);
    }
    const receipts = await q<{ n: string }>("SELECT count(*) AS n FROM intake_outbox WHERE action -> 'content' ? 'de.schulhof.homework.receipt'");
    assert.equal(Number(receipts[0]?.n), sent.length, "one receipt per submission");
  });
});
