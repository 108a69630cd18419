// Benchmark: the last minute before a deadline: 1,000 students in 30 courses submit text plus a 200 KB file within one minute.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { cpuSeconds, peakRssMiB, printTable } from "./proc.ts";
import { matrixCall, percentile, startBenchStack } from "./stack.ts";

const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 1000);
const COURSES = Number(process.env.BENCH_COURSES ?? 30);
const RUSH_MS = 60_000;
const FILE_BYTES = 200 * 1024;
const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (;;) {
        const i = next++;
        const item = items[i];
        if (item === undefined) return;
        await fn(item, i);
      }
    }),
  );
}

const stack = await startBenchStack("homework");
const hs = stack.synapse.url;
const server = stack.gen.school.homeserver.server_name;
const bot = `@hausaufgaben:${server}`;
let exit = 0;
try {
  const call = (token: string, method: string, path: string, body?: unknown, raw?: Buffer): Promise<Record<string, unknown>> => matrixCall(hs, token, method, path, body, raw);
  // People: created without a password (no hashing), signed in through the admin API.
  say(`creating ${STUDENTS} students and ${COURSES} teachers …`);
  const mk = async (localpart: string): Promise<{ id: string; token: string }> => {
    const id = `@${localpart}:${server}`;
    await call(stack.adminToken, "PUT", `/_synapse/admin/v2/users/${encodeURIComponent(id)}`, { displayname: localpart });
    await call(stack.adminToken, "POST", `/_synapse/admin/v1/users/${encodeURIComponent(id)}/override_ratelimit`, { messages_per_second: 0, burst_count: 0 });
    const { access_token } = (await call(stack.adminToken, "POST", `/_synapse/admin/v1/users/${encodeURIComponent(id)}/login`, {})) as { access_token: string };
    return { id, token: access_token };
  };
  const students: { id: string; token: string }[] = new Array(STUDENTS);
  const teachers: { id: string; token: string }[] = new Array(COURSES);
  await pool([...Array(COURSES).keys()], 8, async (i) => void (teachers[i] = await mk(`lehrkraft${i}`)));
  await pool([...Array(STUDENTS).keys()], 8, async (i) => void (students[i] = await mk(`schueler${i}`)));

  say(`creating ${COURSES} course rooms and joining students …`);
  const courses: string[] = [];
  await pool([...Array(COURSES).keys()], 4, async (c) => {
    const t = teachers[c];
    if (t === undefined) return;
    const { room_id } = (await call(t.token, "POST", "/_matrix/client/v3/createRoom", {
      name: `Kurs ${c}`,
      initial_state: [{ type: "de.schulhof.course", state_key: "", content: { name: `Kurs ${c}` } }],
      power_level_content_override: { users: { [bot]: 50 }, state_default: 50 },
      invite: [bot],
    })) as { room_id: string };
    courses[c] = room_id;
  });
  const courseOf = (s: number): number => s % COURSES;
  await pool([...Array(STUDENTS).keys()], 8, async (s) => {
    const room = courses[courseOf(s)] ?? "";
    const t = teachers[courseOf(s)];
    const st = students[s];
    if (t === undefined || st === undefined) return;
    await call(t.token, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/invite`, { user_id: st.id });
    await call(st.token, "POST", `/_matrix/client/v3/join/${encodeURIComponent(room)}`, {});
  });

  const db = new pg.Client({ connectionString: stack.appsDbUrl, options: "-c search_path=homework" });
  await db.connect();
  const count = async (sql: string): Promise<number> => Number((await db.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
  const waitFor = async (what: string, sql: string, n: number, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const have = await count(sql);
      if (have >= n) return;
      if (Date.now() > deadline) throw new Error(`${what}: ${have}/${n} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  await waitFor("course members seen by the bot", "SELECT count(*) AS n FROM course_members WHERE power < 50 AND joined", STUDENTS, 300_000);

  say("publishing one assignment per course; the bot makes a submission room per student …");
  // Due in three days: reminders (24 h before) are not part of the last minute before the deadline.
  const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
  await pool(courses, 4, async (room, c) => {
    const t = teachers[c];
    if (t === undefined) return;
    await call(t.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state/de.schulhof.homework.assignment/a-bench-${c}`, { title: `Aufgabe ${c}`, due, submission_kinds: ["text", "file"] });
  });
  const tRooms = performance.now();
  await waitFor("submission rooms", "SELECT count(*) AS n FROM submission_rooms", STUDENTS, 1_800_000);
  const roomSeconds = (performance.now() - tRooms) / 1000;
  const rooms = new Map((await db.query<{ room_id: string; s: string }>("SELECT room_id, students ->> 0 AS s FROM submission_rooms")).rows.map((r) => [r.s, r.room_id]));
  await pool([...Array(STUDENTS).keys()], 8, async (s) => {
    const st = students[s];
    if (st === undefined) return;
    await call(st.token, "POST", `/_matrix/client/v3/join/${encodeURIComponent(rooms.get(st.id) ?? "")}`, {});
  });
  say("uploading the files …");
  const files: string[] = new Array(STUDENTS);
  await pool([...Array(STUDENTS).keys()], 8, async (s) => {
    const st = students[s];
    if (st === undefined) return;
    const { content_uri } = (await call(st.token, "POST", "/_matrix/media/v3/upload?filename=loesung.pdf", undefined, randomBytes(FILE_BYTES))) as { content_uri: string };
    files[s] = content_uri;
  });

  say(`the rush: ${STUDENTS} submissions within ${RUSH_MS / 1000} s …`);
  const hostCpu0 = cpuSeconds(stack.host.pid) ?? 0;
  const synCpu0 = cpuSeconds(stack.synapse.process.pid) ?? 0;
  const sentAt = new Map<string, number>();
  const wall0 = Date.now();
  const offsets = [...Array(STUDENTS).keys()].map(() => Math.random() * RUSH_MS).sort((a, b) => a - b);
  let sendErrors = 0;
  await Promise.all(
    offsets.map(async (offset, s) => {
      await new Promise((r) => setTimeout(r, offset));
      const st = students[s];
      if (st === undefined) return;
      const started = Date.now();
      try {
        const { event_id } = (await call(st.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(rooms.get(st.id) ?? "")}/send/de.schulhof.homework.submission/b${s}`, {
          assignment_id: `a-bench-${courseOf(s)}`,
          text: `Lösung von Schüler ${s}`,
          files: [{ url: files[s], name: "loesung.pdf", size: FILE_BYTES, mimetype: "application/pdf" }],
          body: "Abgabe",
        })) as { event_id: string };
        sentAt.set(event_id, started);
      } catch {
        sendErrors++;
      }
    }),
  );
  const sendSpan = (Date.now() - wall0) / 1000;
  await waitFor("receipts", "SELECT count(*) AS n FROM intake_outbox WHERE sent_at IS NOT NULL AND action -> 'content' ? 'de.schulhof.homework.receipt'", sentAt.size, 600_000);
  const receipts = (
    await db.query<{ sub: string; sent: Date }>(
      "SELECT action -> 'content' -> 'de.schulhof.homework.receipt' ->> 'submission' AS sub, sent_at AS sent FROM intake_outbox WHERE action -> 'content' ? 'de.schulhof.homework.receipt' AND sent_at IS NOT NULL",
    )
  ).rows;
  const latencies = receipts.filter((r) => sentAt.has(r.sub)).map((r) => r.sent.getTime() - (sentAt.get(r.sub) ?? 0)).sort((a, b) => a - b);
  const receiptCounts = new Map<string, number>();
  for (const r of receipts) receiptCounts.set(r.sub, (receiptCounts.get(r.sub) ?? 0) + 1);
  const stored = await count("SELECT count(*) AS n FROM submissions WHERE assignment_id LIKE 'a-bench-%'");
  const distinctStored = await count("SELECT count(DISTINCT (student, assignment_id)) AS n FROM submissions WHERE assignment_id LIKE 'a-bench-%'");
  const lost = STUDENTS - distinctStored;
  const duplicated = stored - distinctStored + [...receiptCounts.values()].filter((n) => n > 1).length;
  // Where the time goes: homeserver → appservice (event time to intake), handling, and sending the receipt.
  const stages = (
    await db.query<{ to_as: string; handling: string; receipt: string }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.received_at) * 1000 - (i.event ->> 'origin_server_ts')::bigint) AS to_as,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.handled_at - i.received_at) * 1000) AS handling,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.sent_at - o.created_at) * 1000) AS receipt
       FROM intake_inbox i JOIN intake_outbox o ON o.cause = i.event_id
       WHERE i.event ->> 'type' = 'de.schulhof.homework.submission'`,
    )
  ).rows[0];
  const hostCpu = (cpuSeconds(stack.host.pid) ?? 0) - hostCpu0;
  const synCpu = (cpuSeconds(stack.synapse.process.pid) ?? 0) - synCpu0;
  const total = (Date.now() - wall0) / 1000;
  await db.end();
  const figures = {
    students: STUDENTS,
    courses: COURSES,
    file_kib: FILE_BYTES / 1024,
    submission_rooms_s: Math.round(roomSeconds * 10) / 10,
    submissions_per_s: Math.round((sentAt.size / sendSpan) * 10) / 10,
    p50_ms: percentile(latencies, 50),
    p95_ms: percentile(latencies, 95),
    p99_ms: percentile(latencies, 99),
    max_ms: latencies.at(-1) ?? 0,
    median_homeserver_to_appservice_ms: Math.round(Number(stages?.to_as ?? 0)),
    median_handling_ms: Math.round(Number(stages?.handling ?? 0)),
    median_receipt_send_ms: Math.round(Number(stages?.receipt ?? 0)),
    send_errors: sendErrors,
    lost,
    duplicated,
    appservice_cpu_s: Math.round(hostCpu * 10) / 10,
    appservice_cpu_share: Math.round((hostCpu / total) * 100) / 100,
    synapse_cpu_s: Math.round(synCpu * 10) / 10,
    appservice_peak_rss_mib: peakRssMiB(stack.host.pid),
    synapse_peak_rss_mib: peakRssMiB(stack.synapse.process.pid),
  };
  printTable("Homework deadline rush (real Synapse on PostgreSQL, school + homework appservices in one host process)", [
    ["students, courses", `${STUDENTS} in ${COURSES} courses, one assignment each`],
    ["submission rooms made by the bot", `${STUDENTS} in ${figures.submission_rooms_s} s`],
    ["submissions (text + 200 KiB file)", `${sentAt.size} sent in ${sendSpan.toFixed(1)} s (${figures.submissions_per_s}/s), ${sendErrors} send errors`],
    ["send → bot's confirmation", `p50 ${figures.p50_ms} ms, p95 ${figures.p95_ms} ms, p99 ${figures.p99_ms} ms, max ${figures.max_ms} ms`],
    ["where the time goes (medians)", `homeserver → appservice ${figures.median_homeserver_to_appservice_ms} ms, handling ${figures.median_handling_ms} ms, sending the receipt ${figures.median_receipt_send_ms} ms`],
    ["lost / duplicated", `${lost} / ${duplicated}`],
    ["CPU during the rush", `appservice host ${figures.appservice_cpu_s} s, Synapse ${figures.synapse_cpu_s} s`],
    ["peak memory", `appservice host ${figures.appservice_peak_rss_mib} MiB, Synapse ${figures.synapse_peak_rss_mib} MiB`],
  ]);
  process.stdout.write(JSON.stringify(figures) + "\n");
} catch (e) {
  say((e as Error).stack ?? String(e));
  exit = 1;
} finally {
  await stack.stop();
}
process.exit(exit);
