// `schulhof person erase @user:server` (Löschung, DSGVO Art. 17): redacts the person's events, deletes their media and
// the media of their private rooms, purges their private rooms (submission rooms, mail conversations, own calendar),
// deletes their rows from the appservices' databases and mail queues, keeps the grade record apart (a file with a
// retention date), and deactivates the account with erase. What stays and why: docs/privacy.md.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { openDb, type Db, type Queryable } from "@schulhof/core";
import type { GeneratedSchool } from "@schulhof/homeserver-config";
import { dbFor, homeserverUrlOf } from "../host.ts";
import { eventsBy } from "./export.ts";
import { adminApi, checkUserId, PersonError, type AdminApi } from "./synapse.ts";

const enc = encodeURIComponent;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface EraseOptions {
  synapseUrl?: string;
  /** Years after the end of the current school year (31 July) that the grade record is kept; default 5 (docs/privacy.md). */
  keepYears?: number;
  now?: Date;
}

export interface EraseResult {
  userId: string;
  seconds: number;
  redacted: number;
  redactionFailures: number;
  /** Synapse's reasons by event id, for the redactions that failed. */
  failedRedactions: Record<string, string>;
  purgedRooms: string[];
  deletedMedia: number;
  deletedRows: Record<string, number>;
  keptRecord: string | null;
  keptUntil: string | null;
}

/** The 31 July that ends the school year `now` falls in, plus `years`. */
export function keptUntil(now: Date, years: number): string {
  const y = now.getUTCMonth() >= 7 ? now.getUTCFullYear() + 1 : now.getUTCFullYear();
  return `${y + years}-07-31`;
}

async function withDb<T>(gen: GeneratedSchool, id: "school" | "homework" | "calendar" | "mail", fn: (db: Db) => Promise<T>): Promise<T | null> {
  if (!gen.school.appservices[id].enabled) return null;
  const config = dbFor(gen, id);
  const db = await openDb(config.kind === "postgres" ? { ...config, poolSize: 2 } : config).catch((e: unknown) => {
    throw new PersonError(`Datenbank des Appservice ${id} nicht erreichbar (school.yaml: database): ${String(e)}`, `database of appservice ${id} unreachable`);
  });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 300_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new PersonError(`Zeitüberschreitung: ${what}`, `timed out: ${what}`);
    await sleep(250);
  }
}

/** Deletes every local media of a room (uploads of anyone: mail attachments by puppets, files in a submission room). */
async function deleteRoomMedia(api: AdminApi, serverName: string, roomId: string): Promise<number> {
  const media = await api.json<{ local: string[] }>("GET", `/_synapse/admin/v1/room/${enc(roomId)}/media`, undefined, true);
  let n = 0;
  for (const mxc of media?.local ?? []) {
    const id = mxc.slice(`mxc://${serverName}/`.length);
    const r = await api.json<{ total: number }>("DELETE", `/_synapse/admin/v1/media/${enc(serverName)}/${enc(id)}`, undefined, true);
    n += r?.total ?? 0;
  }
  return n;
}

/** Redacts the events in `failed` (event id → Synapse's reason) as the school appservice's bot; answers what still failed. */
async function redactAsSchoolBot(gen: GeneratedSchool, baseUrl: string, api: AdminApi, userId: string, rooms: string[], failed: Record<string, string>): Promise<Record<string, string>> {
  const school = gen.appservices.find((a) => a.id === "school");
  const asToken = gen.secrets.appservices.school?.as_token;
  if (school === undefined || asToken === undefined) return failed;
  const bot = `@${school.botLocalpart}:${gen.school.homeserver.server_name}`;
  const roomOf = new Map<string, string>();
  for (const roomId of rooms) for (const e of await eventsBy(api, roomId, userId)) if (e.event_id in failed) roomOf.set(e.event_id, roomId);
  const still: Record<string, string> = {};
  for (const [eventId, reason] of Object.entries(failed)) {
    const roomId = roomOf.get(eventId);
    if (roomId === undefined) {
      still[eventId] = reason;
      continue;
    }
    const res = await fetch(`${baseUrl}/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(eventId)}/erase-${enc(eventId)}?user_id=${enc(bot)}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${asToken}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "Löschung nach Art. 17 DSGVO / erasure" }),
    });
    if (!res.ok) still[eventId] = `${reason}; ${bot}: ${res.status} ${(await res.text()).slice(0, 200)}`;
  }
  return still;
}

/** Deletes the rows of one statement list in one transaction; answers the counts by label. */
async function deleteAll(db: Db, statements: [string, string, unknown[]][]): Promise<Record<string, number>> {
  return db.transaction(async (tx: Queryable) => {
    const counts: Record<string, number> = {};
    for (const [label, sql, params] of statements) counts[label] = (await tx.query(`WITH d AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM d`, params)).rows.map((r) => Number((r as { n: number }).n))[0] ?? 0;
    return counts;
  });
}

/** Intake rows of an appservice (its copies of events and the bots' queued actions) by the person or in their private rooms. */
const intakeStatements = (prefix: string, userId: string, rooms: string[]): [string, string, unknown[]][] => [
  [`${prefix}.intake_inbox`, `DELETE FROM intake_inbox WHERE event->>'sender' = $1 OR room_id = ANY($2::text[]) OR event->>'state_key' = $1`, [userId, rooms]],
  [`${prefix}.intake_outbox`, `DELETE FROM intake_outbox WHERE room_id = ANY($1::text[]) OR action::text LIKE '%' || $2 || '%'`, [rooms, userId]],
];

export async function erasePerson(gen: GeneratedSchool, userIdArg: string | undefined, opts: EraseOptions = {}): Promise<EraseResult> {
  const t0 = performance.now();
  const serverName = gen.school.homeserver.server_name;
  const userId = checkUserId(userIdArg, serverName);
  const token = gen.secrets.system_admin_token;
  if (token === undefined || token === "") throw new PersonError(`${gen.secretsFile}: system_admin_token fehlt`, `${gen.secretsFile}: system_admin_token missing`);
  const api = adminApi(opts.synapseUrl ?? homeserverUrlOf(gen), token);
  const account = await api.json<{ deactivated?: boolean }>("GET", `/_synapse/admin/v2/users/${enc(userId)}`, undefined, true);
  if (account === null) throw new PersonError(`Unbekannte Person ${userId}: Synapse kennt dieses Konto nicht`, `unknown user ${userId}: Synapse has no such account`, "SCHULHOF_PERSON_UNKNOWN");

  // 1. Which rooms are the person's own: a submission room of theirs alone, their mail conversations, their calendar.
  const privateRooms = new Set<string>();
  const grades = await withDb(gen, "homework", async (db) => {
    for (const r of (await db.query<{ room_id: string }>(`SELECT room_id FROM submission_rooms WHERE students = jsonb_build_array($1::text)`, [userId])).rows) privateRooms.add(r.room_id);
    return (await db.query<{ course: string | null; assignment: string | null; assignment_id: string; grade: string | null; points: number | null; sender: string; origin_ts: string }>(
      `SELECT c.name AS course, a.content->>'title' AS assignment, f.assignment_id, f.grade, f.points, f.sender, f.origin_ts
         FROM feedback f LEFT JOIN course_rooms c ON c.room_id = f.course_room LEFT JOIN assignments a ON a.course_room = f.course_room AND a.id = f.assignment_id
        WHERE f.student = $1 AND (f.grade IS NOT NULL OR f.points IS NOT NULL) ORDER BY f.origin_ts`, [userId])).rows;
  });
  await withDb(gen, "mail", async (db) => {
    for (const r of (await db.query<{ room_id: string }>(`SELECT room_id FROM conversations WHERE local_user = $1`, [userId])).rows) privateRooms.add(r.room_id);
  });
  await withDb(gen, "calendar", async (db) => {
    for (const r of (await db.query<{ room_id: string | null }>(`SELECT room_id FROM personal WHERE user_id = $1`, [userId])).rows) if (r.room_id !== null) privateRooms.add(r.room_id);
  });
  const person = await withDb(gen, "school", async (db) => (await db.query<{ first_name: string; last_name: string; class_name: string | null }>(`SELECT first_name, last_name, class_name FROM people WHERE user_id = $1`, [userId])).rows[0]);

  // 2. The grade record the school must keep (a file apart, with its date; no submission, no comment).
  const now = opts.now ?? new Date();
  let keptRecord: string | null = null;
  let until_: string | null = null;
  if (grades !== null && grades.length > 0) {
    until_ = keptUntil(now, opts.keepYears ?? 5);
    const dir = join(gen.dataDir, "privacy", "kept");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    keptRecord = join(dir, `grades-${createHash("sha256").update(userId).digest("hex").slice(0, 16)}.json`);
    writeFileSync(keptRecord, JSON.stringify({
      kind: "grade-record", user_id: userId, name: person === undefined || person === null ? null : `${person.first_name} ${person.last_name}`, class_name: person?.class_name ?? null,
      erased_at: now.toISOString(), keep_until: until_,
      why: "Notennachweis nach Aufbewahrungsvorschrift des Landes (docs/privacy.md); danach zu löschen / grade record kept by the Land's retention rule, then deleted",
      grades: grades.map((g) => ({ course: g.course, assignment: g.assignment ?? g.assignment_id, grade: g.grade, points: g.points, by: g.sender, date: new Date(Number(g.origin_ts)).toISOString().slice(0, 10) })),
    }, null, 2), { mode: 0o600 });
  }

  // 3. Synapse: redact every event of the person in every room they were ever in, as the person (while still a member:
  //    the admin account is in none of these rooms, so a redaction in its name is refused with 403).
  const memberships = (await api.json<{ memberships: Record<string, string> }>("GET", `/_synapse/admin/v1/users/${enc(userId)}/memberships`))?.memberships ?? {};
  const rooms = Object.keys(memberships).filter((r) => !privateRooms.has(r));
  let redacted = 0;
  let redactionFailures = 0;
  let failedRedactions: Record<string, string> = {};
  if (rooms.length > 0) {
    const started = await api.json<{ redact_id: string }>("POST", `/_synapse/admin/v1/user/${enc(userId)}/redact`, { rooms, reason: "Löschung nach Art. 17 DSGVO / erasure", use_admin: false });
    const done = await until("Synapse redigiert die Nachrichten", async () => {
      const s = await api.json<{ status: string; failed_redactions?: Record<string, string>; error?: string }>("GET", `/_synapse/admin/v1/user/redact_status/${enc(started?.redact_id ?? "")}`);
      return s !== null && (s.status === "complete" || s.status === "failed") ? s : undefined;
    });
    if (done.status === "failed") throw new PersonError(`Synapse konnte die Nachrichten nicht redigieren: ${done.error ?? ""}`, `Synapse failed to redact: ${done.error ?? ""}`);
    // Where the room allows redactions only from power 50 (class and course rooms), the person cannot redact their own
    // events: the school's bot, which provisioning made the rooms' admin, redacts what is left.
    const failed = done.failed_redactions ?? {};
    if (Object.keys(failed).length > 0) failedRedactions = await redactAsSchoolBot(gen, opts.synapseUrl ?? homeserverUrlOf(gen), api, userId, rooms, failed);
    redactionFailures = Object.keys(failedRedactions).length;
    redacted = rooms.length;
  }

  // 4. Media: everything the person uploaded, and every local media of their private rooms; then purge those rooms.
  let deletedMedia = 0;
  for (const roomId of privateRooms) deletedMedia += await deleteRoomMedia(api, serverName, roomId);
  for (;;) {
    const r = await api.json<{ total: number }>("DELETE", `/_synapse/admin/v1/users/${enc(userId)}/media?limit=500`);
    deletedMedia += r?.total ?? 0;
    if ((r?.total ?? 0) === 0) break;
  }
  const purgedRooms: string[] = [];
  for (const roomId of privateRooms) {
    const del = await api.json<{ delete_id: string }>("DELETE", `/_synapse/admin/v2/rooms/${enc(roomId)}`, { purge: true, block: false, force_purge: true }, true);
    if (del === null) continue;
    await until(`Synapse löscht Raum ${roomId}`, async () => {
      const s = await api.json<{ status: string; error?: string }>("GET", `/_synapse/admin/v2/rooms/delete_status/${enc(del.delete_id)}`);
      if (s?.status === "failed") throw new PersonError(`Synapse konnte Raum ${roomId} nicht löschen: ${s.error ?? ""}`, `Synapse failed to purge room ${roomId}`);
      return s?.status === "complete" ? true : undefined;
    });
    purgedRooms.push(roomId);
  }

  // 5. The appservices' rows (each in one transaction).
  const roomList = [...privateRooms];
  const deletedRows: Record<string, number> = {};
  const merge = (r: Record<string, number> | null): void => void Object.assign(deletedRows, r ?? {});
  merge(await withDb(gen, "homework", (db) => deleteAll(db, [
    ["homework.submissions", `DELETE FROM submissions WHERE student = $1 OR room_id = ANY($2::text[])`, [userId, roomList]],
    ["homework.feedback", `DELETE FROM feedback WHERE student = $1 OR room_id = ANY($2::text[])`, [userId, roomList]],
    ["homework.extensions", `DELETE FROM extensions WHERE student = $1`, [userId]],
    ["homework.started", `DELETE FROM started WHERE student = $1`, [userId]],
    ["homework.reminders_sent", `DELETE FROM reminders_sent WHERE student = $1`, [userId]],
    ["homework.room_jobs", `DELETE FROM room_jobs WHERE student = $1`, [userId]],
    ["homework.submission_rooms", `DELETE FROM submission_rooms WHERE room_id = ANY($1::text[])`, [roomList]],
    ["homework.course_members", `DELETE FROM course_members WHERE user_id = $1`, [userId]],
    ["homework.drafts", `DELETE FROM drafts WHERE author = $1`, [userId]],
    ...intakeStatements("homework", userId, roomList),
  ])));
  merge(await withDb(gen, "calendar", (db) => deleteAll(db, [
    ["calendar.events", `DELETE FROM events WHERE room_id = ANY($1::text[])`, [roomList]],
    ["calendar.reminders_sent", `DELETE FROM reminders_sent WHERE room_id = ANY($1::text[])`, [roomList]],
    ["calendar.members", `DELETE FROM members WHERE user_id = $1 OR room_id = ANY($2::text[])`, [userId, roomList]],
    ["calendar.rooms", `DELETE FROM rooms WHERE room_id = ANY($1::text[])`, [roomList]],
    ["calendar.feeds", `DELETE FROM feeds WHERE user_id = $1`, [userId]],
    ["calendar.personal", `DELETE FROM personal WHERE user_id = $1`, [userId]],
    ...intakeStatements("calendar", userId, roomList),
  ])));
  merge(await withDb(gen, "mail", (db) => deleteAll(db, [
    // A mail delivered to others too stays for them (only this person's delivery goes); one delivered to them alone goes.
    ["mail.uploads", `DELETE FROM uploads WHERE inbound_id IN (SELECT inbound_id FROM deliveries WHERE local_user = $1 EXCEPT SELECT inbound_id FROM deliveries WHERE local_user <> $1)`, [userId]],
    ["mail.inbound", `DELETE FROM inbound WHERE id IN (SELECT inbound_id FROM deliveries WHERE local_user = $1 EXCEPT SELECT inbound_id FROM deliveries WHERE local_user <> $1)`, [userId]],
    ["mail.deliveries", `DELETE FROM deliveries WHERE local_user = $1`, [userId]],
    ["mail.outbound", `DELETE FROM outbound WHERE sender_user = $1 OR room_id = ANY($2::text[])`, [userId, roomList]],
    ["mail.thread_keys", `DELETE FROM thread_keys WHERE local_user = $1`, [userId]],
    ["mail.delivered_ids", `DELETE FROM delivered_ids WHERE local_user = $1`, [userId]],
    ["mail.room_puppets", `DELETE FROM room_puppets WHERE room_id = ANY($1::text[])`, [roomList]],
    ["mail.conversations", `DELETE FROM conversations WHERE local_user = $1`, [userId]],
    ["mail.rate", `DELETE FROM rate WHERE user_id = $1`, [userId]],
    ...intakeStatements("mail", userId, roomList),
  ])));
  merge(await withDb(gen, "school", (db) => deleteAll(db, [
    ["school.memberships", `DELETE FROM memberships WHERE user_id = $1`, [userId]],
    ["school.initial_passwords", `DELETE FROM initial_passwords WHERE user_id = $1`, [userId]],
    ["school.people", `DELETE FROM people WHERE user_id = $1`, [userId]],
    ...intakeStatements("school", userId, roomList),
  ])));

  // 6. The account: deactivated with erase (profile, display name and avatar go; the name stays taken).
  await api.json("POST", `/_synapse/admin/v1/deactivate/${enc(userId)}`, { erase: true });

  const result: EraseResult = { userId, seconds: (performance.now() - t0) / 1000, redacted, redactionFailures, failedRedactions, purgedRooms, deletedMedia, deletedRows, keptRecord, keptUntil: until_ };
  // The log of erasures: who and when, counts only, never content.
  mkdirSync(join(gen.dataDir, "privacy"), { recursive: true, mode: 0o700 });
  appendFileSync(join(gen.dataDir, "privacy", "erase-log.jsonl"), JSON.stringify({ at: now.toISOString(), user_id: userId, rooms_redacted: redacted, rooms_purged: purgedRooms.length, media: deletedMedia, rows: deletedRows, kept_until: until_ }) + "\n", { mode: 0o600 });
  return result;
}
