// `schulhof person export @user:server FILE` (Auskunft, DSGVO Art. 15): everything the school holds about one person,
// as one zip with index.html (for the person) and data.json (for machines), plus their files and mails.
// Synapse's part comes from its admin API (account, devices, sessions, memberships, the person's own events, the
// media they uploaded); each appservice answers its part from its own database (`export/person.ts` in its package).
import { writeFileSync } from "node:fs";
import { zipSync, strToU8 } from "fflate";
import { openDb, type Db } from "@schulhof/core";
import type { GeneratedSchool } from "@schulhof/homeserver-config";
import { exportSchoolPerson } from "@schulhof/school";
import { exportHomeworkPerson } from "@schulhof/homework";
import { exportCalendarPerson } from "@schulhof/calendar";
import { exportMailPerson } from "@schulhof/mail";
import { dbFor, homeserverUrlOf } from "../host.ts";
import { renderIndex } from "./html.ts";
import { adminApi, checkUserId, mapLimit, PersonError, type AdminApi } from "./synapse.ts";

export interface ExportedMessage {
  room_id: string;
  room_name: string;
  event_id: string;
  type: string;
  state_key?: string;
  sent_at: string;
  content: Record<string, unknown>;
  redacted: boolean;
}

export interface ExportedMedia {
  mxc: string;
  media_id: string;
  upload_name: string | null;
  media_type: string;
  media_length: number;
  created_at: string;
  /** Path inside the archive, or null when the media repository no longer had the bytes. */
  file: string | null;
  quarantined: boolean;
}

export interface PersonExport {
  format: "schulhof-person-export/1";
  generated_at: string;
  school: { id: string; name: string; server_name: string };
  user_id: string;
  account: Record<string, unknown>;
  devices: unknown[];
  /** Where and when the account was used (Synapse's client IPs and user agents). */
  sessions: unknown;
  pushers: unknown[];
  rooms: { room_id: string; name: string; membership: string; kind: string | null; is_direct_or_private: boolean; joined_members: number | null }[];
  messages: ExportedMessage[];
  media: ExportedMedia[];
  school_roster: Awaited<ReturnType<typeof exportSchoolPerson>> | null;
  homework: Awaited<ReturnType<typeof exportHomeworkPerson>> | null;
  calendar: Awaited<ReturnType<typeof exportCalendarPerson>> | null;
  mail: {
    conversations: Awaited<ReturnType<typeof exportMailPerson>>["conversations"];
    received: (Omit<Awaited<ReturnType<typeof exportMailPerson>>["received"][number], "raw"> & { file: string })[];
    sent: (Omit<Awaited<ReturnType<typeof exportMailPerson>>["sent"][number], "raw"> & { file: string })[];
  } | null;
  admin_actions: { logged: boolean; note: string };
  not_included: string[];
  timings_ms: Record<string, number>;
}

interface RawEvent { event_id: string; type: string; sender: string; origin_server_ts: number; state_key?: string; content: Record<string, unknown>; unsigned?: { redacted_because?: unknown } }

const enc = encodeURIComponent;

/** The messages (every event type) `userId` sent in `roomId`, oldest first, through the admin API's room messages. */
export async function eventsBy(api: AdminApi, roomId: string, userId: string): Promise<RawEvent[]> {
  const filter = enc(JSON.stringify({ senders: [userId], lazy_load_members: false }));
  const out: RawEvent[] = [];
  let from: string | undefined;
  for (;;) {
    const page = await api.json<{ chunk: RawEvent[]; end?: string }>("GET", `/_synapse/admin/v1/rooms/${enc(roomId)}/messages?dir=b&limit=1000&filter=${filter}${from === undefined ? "" : `&from=${enc(from)}`}`);
    if (page === null) break;
    out.push(...page.chunk.filter((e) => e.sender === userId));
    if (page.end === undefined || page.chunk.length === 0 || page.end === from) break;
    from = page.end;
  }
  return out.reverse();
}

async function withDb<T>(gen: GeneratedSchool, id: "school" | "homework" | "calendar" | "mail", fn: (db: Db) => Promise<T>): Promise<T | null> {
  if (!gen.school.appservices[id].enabled) return null;
  const config = dbFor(gen, id);
  let db: Db;
  try {
    db = await openDb(config.kind === "postgres" ? { ...config, poolSize: 2 } : config);
  } catch (e) {
    throw new PersonError(`Datenbank des Appservice ${id} nicht erreichbar (school.yaml: database): ${String(e)}`, `database of appservice ${id} unreachable`);
  }
  try {
    return await fn(db);
  } catch (e) {
    throw new PersonError(`Lesen der Daten im Appservice ${id} fehlgeschlagen: ${e instanceof Error ? e.message : String(e)}`, `reading appservice ${id}'s data failed`);
  } finally {
    await db.close();
  }
}

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);

export interface ExportResult {
  file: string;
  bytes: number;
  seconds: number;
  counts: { rooms: number; messages: number; media: number; submissions: number; feedback: number; calendar_entries: number; mails_received: number; mails_sent: number };
}

/** Gathers the person's data and writes the archive to `file`. */
export async function exportPerson(gen: GeneratedSchool, userIdArg: string | undefined, file: string, opts: { synapseUrl?: string } = {}): Promise<ExportResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number): void => void (timings[name] = Math.round(performance.now() - since));
  const serverName = gen.school.homeserver.server_name;
  const userId = checkUserId(userIdArg, serverName);
  const token = gen.secrets.system_admin_token;
  if (token === undefined || token === "")
    throw new PersonError(`${gen.secretsFile}: system_admin_token fehlt (einmal „schulhof up“ starten)`, `${gen.secretsFile}: system_admin_token missing`);
  const api = adminApi(opts.synapseUrl ?? homeserverUrlOf(gen), token);

  let t = performance.now();
  const account = await api.json<Record<string, unknown>>("GET", `/_synapse/admin/v2/users/${enc(userId)}`, undefined, true);
  if (account === null)
    throw new PersonError(`Unbekannte Person ${userId}: Synapse kennt dieses Konto nicht`, `unknown user ${userId}: Synapse has no such account`, "SCHULHOF_PERSON_UNKNOWN");
  delete account.password_hash;
  const [devices, whois, pushers, memberships] = await Promise.all([
    api.json<{ devices: unknown[] }>("GET", `/_synapse/admin/v2/users/${enc(userId)}/devices`),
    api.json<unknown>("GET", `/_synapse/admin/v1/whois/${enc(userId)}`),
    api.json<{ pushers: unknown[] }>("GET", `/_synapse/admin/v1/users/${enc(userId)}/pushers`),
    api.json<{ memberships: Record<string, string> }>("GET", `/_synapse/admin/v1/users/${enc(userId)}/memberships`),
  ]);
  lap("account", t);

  t = performance.now();
  const roomIds = Object.keys(memberships?.memberships ?? {}).sort();
  const rooms = await mapLimit(roomIds, 6, async (roomId) => {
    const info = await api.json<{ name?: string | null; canonical_alias?: string | null; joined_members?: number; join_rules?: string | null; room_type?: string | null }>("GET", `/_synapse/admin/v1/rooms/${enc(roomId)}`, undefined, true);
    const events = await eventsBy(api, roomId, userId);
    return {
      room: {
        room_id: roomId,
        name: info?.name ?? info?.canonical_alias ?? "",
        membership: memberships?.memberships[roomId] ?? "",
        kind: info?.room_type ?? null,
        is_direct_or_private: info?.join_rules !== "public",
        joined_members: info?.joined_members ?? null,
      },
      events,
    };
  });
  const messages: ExportedMessage[] = rooms.flatMap(({ room, events }) =>
    events.map((e) => ({
      room_id: room.room_id,
      room_name: room.name,
      event_id: e.event_id,
      type: e.type,
      ...(e.state_key === undefined ? {} : { state_key: e.state_key }),
      sent_at: new Date(e.origin_server_ts).toISOString(),
      content: e.content,
      redacted: e.unsigned?.redacted_because !== undefined,
    })),
  );
  messages.sort((a, b) => a.sent_at.localeCompare(b.sent_at));
  lap("rooms_and_messages", t);

  t = performance.now();
  const files: Record<string, Uint8Array> = {};
  const mediaRows: { media_id: string; upload_name: string | null; media_type: string; media_length: number; created_ts: number; quarantined_by: string | null }[] = [];
  for (let from = 0; ; ) {
    const page = await api.json<{ media: typeof mediaRows; next_token?: number }>("GET", `/_synapse/admin/v1/users/${enc(userId)}/media?from=${from}&limit=500&order_by=created_ts&dir=f`);
    mediaRows.push(...(page?.media ?? []));
    if (page?.next_token === undefined) break;
    from = page.next_token;
  }
  const media = await mapLimit(mediaRows, 4, async (m): Promise<ExportedMedia> => {
    const got = await api.bytes(`/_matrix/client/v1/media/download/${enc(serverName)}/${enc(m.media_id)}`);
    const path = got === null ? null : `media/${safeName(m.media_id)}${m.upload_name === null ? "" : `_${safeName(m.upload_name)}`}`;
    if (got !== null && path !== null) files[path] = got.data;
    return {
      mxc: `mxc://${serverName}/${m.media_id}`,
      media_id: m.media_id,
      upload_name: m.upload_name,
      media_type: m.media_type,
      media_length: m.media_length,
      created_at: new Date(m.created_ts).toISOString(),
      file: path,
      quarantined: m.quarantined_by !== null && m.quarantined_by !== undefined,
    };
  });
  lap("media", t);

  t = performance.now();
  const [school, homework, calendar, mailRaw] = await Promise.all([
    withDb(gen, "school", (db) => exportSchoolPerson(db, userId)),
    withDb(gen, "homework", (db) => exportHomeworkPerson(db, userId)),
    withDb(gen, "calendar", (db) => exportCalendarPerson(db, userId)),
    withDb(gen, "mail", (db) => exportMailPerson(db, userId)),
  ]);
  let mail: PersonExport["mail"] = null;
  if (mailRaw !== null) {
    mail = {
      conversations: mailRaw.conversations,
      received: mailRaw.received.map(({ raw, ...r }) => {
        const path = `mail/received-${r.inbound_id}.eml`;
        files[path] = raw;
        return { ...r, file: path };
      }),
      sent: mailRaw.sent.map(({ raw, ...s }) => {
        const path = `mail/sent-${s.id}.eml`;
        files[path] = raw;
        return { ...s, file: path };
      }),
    };
  }
  lap("appservices", t);

  const data: PersonExport = {
    format: "schulhof-person-export/1",
    generated_at: new Date().toISOString(),
    school: { id: gen.school.school.id, name: gen.school.school.name, server_name: serverName },
    user_id: userId,
    account,
    devices: devices?.devices ?? [],
    sessions: whois,
    pushers: pushers?.pushers ?? [],
    rooms: rooms.map((r) => r.room),
    messages,
    media,
    school_roster: school,
    homework,
    calendar,
    mail,
    admin_actions: {
      logged: false,
      note: "Schulhof führt noch kein Protokoll der Verwaltungsaktionen je Person; Roster-Importe werden nicht personenbezogen protokolliert. / Schulhof keeps no per-person log of admin actions yet.",
    },
    not_included: [
      "Videositzungen: der Video-Token-Dienst speichert keine Sitzungen je Person (nur Prozess-Logs). / video sessions: the token service stores none per person.",
      "Server-Logs von Synapse und den Appservices (Textdateien/Journal, nicht nach Person durchsuchbar). / server log files.",
      "Nachrichten anderer Personen, außer Absender und Inhalt von Rückmeldungen an die Person. / other people's messages.",
      "Die geheime Adresse der Kalender-Abos (sie gäbe jedem Zugriff). / the secret feed addresses.",
    ],
    timings_ms: timings,
  };
  t = performance.now();
  files["data.json"] = strToU8(JSON.stringify(data, null, 2));
  files["index.html"] = strToU8(renderIndex(data));
  const zip = zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, [v, { level: k.startsWith("media/") ? 0 : 6 }] as const])) as never);
  try {
    writeFileSync(file, zip, { mode: 0o600 });
  } catch (e) {
    throw new PersonError(`Archiv ${file} nicht schreibbar: ${String(e)}`, `cannot write archive ${file}`);
  }
  lap("archive", t);
  return {
    file,
    bytes: zip.length,
    seconds: (performance.now() - t0) / 1000,
    counts: {
      rooms: rooms.length,
      messages: messages.length,
      media: media.length,
      submissions: homework?.submissions.length ?? 0,
      feedback: homework?.feedback_received.length ?? 0,
      calendar_entries: calendar?.entries.length ?? 0,
      mails_received: mail?.received.length ?? 0,
      mails_sent: mail?.sent.length ?? 0,
    },
  };
}
