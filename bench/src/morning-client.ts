// A simulated school-day client over raw HTTP, syncing as the web client does (simplified sliding sync, or classic
// /sync with its filter): password login or a resumed session, the first room list, endless long-poll, messages and
// submissions, every request timed into the recorder of the phase that is running.
import type { Agent } from "node:http";
import { LONG_POLL_TIMEOUT_MS, SLIDING_SYNC_PATH, slidingSyncBody } from "../../web/src/lib/matrix/sliding-lists.ts";
import { httpCall } from "./video-people.ts";
import type { LetterLogin, SubmissionTarget } from "./morning-school.ts";

/** Timings (ms) and failures by kind of one phase, plus how many requests it made. */
export class Recorder {
  readonly ms = new Map<string, number[]>();
  readonly errors = new Map<string, number>();
  /** 429 answers a client waited out and retried (as matrix-js-sdk does): not failures, but a limit that bit. */
  readonly rateLimited = new Map<string, number>();
  /** Incremental sync answers by what they carried. */
  readonly wakes = new Map<string, number>();
  requests = 0;

  time(op: string, ms: number): void {
    const list = this.ms.get(op);
    if (list === undefined) this.ms.set(op, [ms]);
    else list.push(ms);
  }

  fail(op: string, kind: string): void {
    const key = `${op} ${kind}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  limited(op: string): void {
    this.rateLimited.set(op, (this.rateLimited.get(op) ?? 0) + 1);
  }

  woke(cause: string): void {
    this.wakes.set(cause, (this.wakes.get(cause) ?? 0) + 1);
  }

  errorCount(): number {
    return [...this.errors.values()].reduce((a, b) => a + b, 0);
  }
}

/** Where the clients' numbers go: the caller swaps `current` when a phase starts. */
export interface RecorderSlot {
  current: Recorder;
}

/** A room a user may write messages in (class chat, course room, teachers' room), from the state of their first sync. */
const CHAT_KINDS = new Set(["classchat", "course", "teachers"]);
/** How the web client syncs: simplified sliding sync (MSC4186) where the homeserver offers it, else classic /sync. */
export type SyncMode = "sliding" | "classic";
/** Sync filter as the web client uses it (web/src/lib/matrix/connection.svelte.ts): lazy-loaded members, 20 events. */
export const SYNC_FILTER = { room: { timeline: { limit: 20 }, state: { lazy_load_members: true } } };
/** A key in each benchmark message: when the sender started sending it, so a recipient's sync times its delivery. */
export const SENT_AT_KEY = "de.schulhof.bench.sent_at";
const LONG_POLL_MS = LONG_POLL_TIMEOUT_MS;

interface SyncRoom {
  state?: { events?: { type: string; state_key?: string; content?: Record<string, unknown> }[] };
  timeline?: { events?: { type: string; sender?: string; content?: Record<string, unknown> }[] };
}
interface SyncBody {
  next_batch?: string;
  device_lists?: { changed?: string[]; left?: string[] };
  rooms?: { join?: Record<string, SyncRoom> };
}
type SyncEvent = NonNullable<NonNullable<SyncRoom["timeline"]>["events"]>[number];
interface SlidingRoom {
  required_state?: SyncEvent[];
  timeline?: SyncEvent[];
}
interface SlidingBody {
  pos?: string;
  rooms?: Record<string, SlidingRoom>;
  extensions?: Record<string, Record<string, unknown> | undefined>;
}

/** True when `v` holds any value beyond empty objects and arrays (an extension's answer with news in it). */
function carries(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (Array.isArray(v)) return v.some((x) => carries(x) || (typeof x !== "object" && x !== undefined));
  if (typeof v === "object") return Object.values(v).some((x) => (typeof x === "object" ? carries(x) : x !== undefined));
  return true;
}

class HttpFailure extends Error {
  readonly kind: string;

  constructor(kind: string, detail: string) {
    super(`${kind}: ${detail}`);
    this.kind = kind;
  }
}

/** One person's client: it logs in once, then keeps a long-poll open until `stop`. */
export class SimClient {
  readonly person: LetterLogin;
  readonly submission: SubmissionTarget | undefined;
  token: string | null = null;
  chatRooms: string[] = [];
  private nextBatch: string | null = null;
  private pos: string | null = null;
  private filterId: string | null = null;
  private stopped = false;
  /** Raised when the person closes the client: a long-poll of an older session ends after its open request. */
  private session = 0;
  private txn = 0;
  private readonly hs: string;
  private readonly agent: Agent;
  private readonly slot: RecorderSlot;

  private readonly mode: SyncMode;

  constructor(person: LetterLogin, submission: SubmissionTarget | undefined, hs: string, agent: Agent, slot: RecorderSlot, mode: SyncMode) {
    this.person = person;
    this.mode = mode;
    this.submission = submission;
    this.hs = hs;
    this.agent = agent;
    this.slot = slot;
  }

  /** One request: answers the parsed body of a 2xx, waits out 429s, throws HttpFailure (status, timeout, network) else. */
  private async call(op: string, method: string, path: string, body: unknown, timeoutMs: number, auth = true): Promise<Record<string, unknown>> {
    for (;;) {
      this.slot.current.requests++;
      let res: { status: number; body: string };
      try {
        res = await httpCall(new URL(path, this.hs), method, body === undefined ? undefined : JSON.stringify(body), this.agent, auth && this.token !== null ? { authorization: `Bearer ${this.token}` } : {}, timeoutMs);
      } catch (e) {
        throw new HttpFailure((e as Error).message === "timeout" ? "timeout" : "network", (e as Error).message);
      }
      if (res.status === 429 && !this.stopped) {
        this.slot.current.limited(op);
        let wait = 1000;
        try {
          wait = Number((JSON.parse(res.body) as { retry_after_ms?: number }).retry_after_ms ?? 1000);
        } catch {
          // A 429 without a JSON body: wait a second.
        }
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      if (res.status < 200 || res.status >= 300) throw new HttpFailure(String(res.status), res.body.slice(0, 200));
      return JSON.parse(res.body) as Record<string, unknown>;
    }
  }

  /** Times `fn` as `op` in the current phase; a failure counts by kind and answers null. */
  private async timed<T>(op: string, fn: () => Promise<T>): Promise<T | null> {
    const t0 = performance.now();
    try {
      const v = await fn();
      this.slot.current.time(op, performance.now() - t0);
      return v;
    } catch (e) {
      this.slot.current.fail(op, e instanceof HttpFailure ? e.kind : "client");
      return null;
    }
  }

  /**
   * 07:3x, the first time on this browser: password login (bcrypt at Synapse), then the first room list (sliding
   * sync; classic: the filter upload and the initial sync); then the long-poll starts. Answers success.
   */
  async morning(): Promise<boolean> {
    const login = await this.timed("login", () =>
      this.call(
        "login",
        "POST",
        "/_matrix/client/v3/login",
        { type: "m.login.password", identifier: { type: "m.id.user", user: this.person.localpart }, password: this.person.password, initial_device_display_name: "Schulhof Web (Benchmark)" },
        120_000,
        false,
      ),
    );
    if (login === null) return false;
    this.token = String(login.access_token);
    this.chatRooms = [];
    if (this.mode === "classic") {
      const filter = await this.timed("filter", () => this.call("filter", "POST", `/_matrix/client/v3/user/${encodeURIComponent(this.person.userId)}/filter`, SYNC_FILTER, 60_000));
      if (filter === null) return false;
      this.filterId = String(filter.filter_id);
    }
    return this.firstSync(this.mode === "classic" ? "initial_sync" : "room_list");
  }

  /**
   * 07:3x with the session the browser kept (the web client stores token and device): no login, the first room list
   * of a new sync connection (classic: an initial sync with the stored filter), then the long-poll. Answers success.
   */
  async resume(): Promise<boolean> {
    if (this.token === null) return this.morning();
    this.chatRooms = [];
    return this.firstSync(this.mode === "classic" ? "resume_initial_sync" : "resume_room_list");
  }

  /** The evening: the person closes the client; its long-poll ends after the open request, the session stays. */
  close(): void {
    this.session++;
    this.pos = null;
    this.nextBatch = null;
  }

  private async firstSync(op: string): Promise<boolean> {
    const first = await this.timed(op, () => this.syncRequest(op, null, 0, 300_000));
    if (first === null) return false;
    this.absorb(first, true);
    void this.longPoll(this.session);
    return true;
  }

  /** One sync request as the web client sends it; `since` null starts a new connection (sliding) or an initial sync. */
  private syncRequest(op: string, since: string | null, timeoutMs: number, clientTimeoutMs: number): Promise<Record<string, unknown>> {
    if (this.mode === "classic") {
      const url = `/_matrix/client/v3/sync?filter=${encodeURIComponent(this.filterId ?? "")}&timeout=${timeoutMs}${since === null ? "" : `&since=${encodeURIComponent(since)}`}`;
      return this.call(op, "GET", url, undefined, clientTimeoutMs);
    }
    const query = `timeout=${timeoutMs}${since === null ? "" : `&pos=${encodeURIComponent(since)}`}`;
    return this.call(op, "POST", `${SLIDING_SYNC_PATH}?${query}`, slidingSyncBody(), clientTimeoutMs);
  }

  /** Incremental syncs with timeout=30000 until `stop` or `close`; a failed one is retried after 2 s, as clients back off. */
  private async longPoll(session: number): Promise<void> {
    while (!this.stopped && session === this.session) {
      const since = this.mode === "classic" ? this.nextBatch : this.pos;
      const body = await this.timed("incremental_sync", () => this.syncRequest("incremental_sync", since, LONG_POLL_MS, LONG_POLL_MS + 60_000));
      if (this.stopped || session !== this.session) return;
      if (body === null) await new Promise((r) => setTimeout(r, 2000));
      else this.absorb(body, false);
    }
  }

  /** Keeps the sync position; on the first sync learns the chat rooms; later times the delivery of others' messages. */
  private absorb(body: Record<string, unknown>, first: boolean): void {
    const now = Date.now();
    const rooms: [string, SyncEvent[], SyncEvent[]][] = [];
    let wake: string;
    if (this.mode === "classic") {
      const b = body as SyncBody;
      if (b.next_batch !== undefined) this.nextBatch = b.next_batch;
      for (const [roomId, room] of Object.entries(b.rooms?.join ?? {})) rooms.push([roomId, room.state?.events ?? [], room.timeline?.events ?? []]);
      const devices = (b.device_lists?.changed?.length ?? 0) + (b.device_lists?.left?.length ?? 0) > 0;
      wake = rooms.length > 0 ? "room events" : devices ? "device lists only" : "other or empty";
    } else {
      const b = body as SlidingBody;
      if (b.pos !== undefined) this.pos = b.pos;
      for (const [roomId, room] of Object.entries(b.rooms ?? {})) rooms.push([roomId, room.required_state ?? [], room.timeline ?? []]);
      wake = rooms.length > 0 ? "room events" : carries(b.extensions) ? "extensions only" : "other or empty";
    }
    if (!first) this.slot.current.woke(wake);
    for (const [roomId, state, timeline] of rooms) {
      if (first) {
        // The room's kind from its Schulhof marker (in the sliding list's required state, or the classic state).
        const marker = [...state, ...timeline].find((e) => e.type === "de.schulhof.room");
        if (CHAT_KINDS.has(String(marker?.content?.kind ?? ""))) this.chatRooms.push(roomId);
        continue;
      }
      for (const e of timeline) {
        const sentAt = e.content?.[SENT_AT_KEY];
        if (e.sender !== this.person.userId && typeof sentAt === "number") this.slot.current.time("delivery", now - sentAt);
      }
    }
  }

  /** A chat message in one of the user's rooms, chosen by `random`. */
  async sendMessage(random: () => number): Promise<void> {
    const room = this.chatRooms[Math.floor(random() * this.chatRooms.length)];
    if (this.token === null || room === undefined) {
      this.slot.current.fail("send", this.token === null ? "not logged in" : "no chat room");
      return;
    }
    const txn = `m${Date.now()}.${this.txn++}`;
    await this.timed("send", () =>
      this.call("send", "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/${txn}`, { msgtype: "m.text", body: "Hat jemand die Seitenzahl für Mathe?", [SENT_AT_KEY]: Date.now() }, 60_000),
    );
  }

  /** A submission event in the student's submission room; answers its event id and when sending began (epoch ms), or null. */
  async submit(): Promise<{ eventId: string; startedAt: number } | null> {
    const target = this.submission;
    if (this.token === null || target === undefined) {
      this.slot.current.fail("submit_send", this.token === null ? "not logged in" : "no submission room");
      return null;
    }
    const startedAt = Date.now();
    const txn = `s${startedAt}.${this.txn++}`;
    const res = await this.timed("submit_send", () =>
      this.call(
        "submit_send",
        "PUT",
        `/_matrix/client/v3/rooms/${encodeURIComponent(target.roomId)}/send/de.schulhof.homework.submission/${txn}`,
        { assignment_id: target.assignmentId, text: "Meine Lösung: siehe oben, Aufgabe 1 a) bis c).", files: [], body: "Abgabe" },
        60_000,
      ),
    );
    return res === null ? null : { eventId: String(res.event_id), startedAt };
  }

  /**
   * Joins a video lesson as Element Call and the web client do: an OpenID token from the homeserver, then a LiveKit
   * token from the district's token service (which checks the OpenID token and the room with the school). Timed as
   * `video_openid`, `video_token` and, both together, `video_start`.
   */
  async videoJoin(tokenServiceUrl: string, roomId: string): Promise<void> {
    if (this.token === null) {
      this.slot.current.fail("video_openid", "not logged in");
      return;
    }
    const t0 = performance.now();
    const openid = await this.timed("video_openid", () => this.call("video_openid", "POST", `/_matrix/client/v3/user/${encodeURIComponent(this.person.userId)}/openid/request_token`, {}, 60_000));
    // A failure counts once, under the step that failed; video_start times the successful starts.
    if (openid === null) return;
    const serverName = this.person.userId.slice(this.person.userId.indexOf(":") + 1);
    const body = JSON.stringify({
      room_id: roomId,
      slot_id: "m.call#ROOM",
      openid_token: { access_token: String(openid.access_token), token_type: "Bearer", matrix_server_name: serverName, expires_in: 3600 },
      member: { id: `${this.person.userId}:BENCH`, claimed_user_id: this.person.userId, claimed_device_id: "BENCH" },
    });
    const t1 = performance.now();
    this.slot.current.requests++;
    let res: { status: number; body: string };
    try {
      res = await httpCall(new URL("/get_token", tokenServiceUrl), "POST", body, this.agent, {}, 60_000);
    } catch (e) {
      this.slot.current.fail("video_token", (e as Error).message === "timeout" ? "timeout" : "network");
      return;
    }
    if (res.status !== 200) {
      this.slot.current.fail("video_token", String(res.status));
      return;
    }
    const now = performance.now();
    this.slot.current.time("video_token", now - t1);
    this.slot.current.time("video_start", now - t0);
  }

  /** Ends the long-poll after the open request (the caller destroys the connections); does not log out. */
  stop(): void {
    this.stopped = true;
  }
}
