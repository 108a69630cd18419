// A simulated school-day client over raw HTTP: password login, filter, initial sync, endless long-poll, messages and
// submissions, every request timed into the recorder of the phase that is running.
import type { Agent } from "node:http";
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
/** Sync filter as the web client uses it (web/src/lib/matrix/connection.svelte.ts): lazy-loaded members, 20 events. */
export const SYNC_FILTER = { room: { timeline: { limit: 20 }, state: { lazy_load_members: true } } };
/** A key in each benchmark message: when the sender started sending it, so a recipient's sync times its delivery. */
export const SENT_AT_KEY = "de.schulhof.bench.sent_at";
const LONG_POLL_MS = 30_000;

interface SyncRoom {
  state?: { events?: { type: string; state_key?: string; content?: Record<string, unknown> }[] };
  timeline?: { events?: { type: string; sender?: string; content?: Record<string, unknown> }[] };
}
interface SyncBody {
  next_batch?: string;
  device_lists?: { changed?: string[]; left?: string[] };
  rooms?: { join?: Record<string, SyncRoom> };
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
  private filterId: string | null = null;
  private stopped = false;
  private txn = 0;
  private readonly hs: string;
  private readonly agent: Agent;
  private readonly slot: RecorderSlot;

  constructor(person: LetterLogin, submission: SubmissionTarget | undefined, hs: string, agent: Agent, slot: RecorderSlot) {
    this.person = person;
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

  /** 07:3x: password login (bcrypt at Synapse), the filter upload, the first sync; then the long-poll starts. Answers success. */
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
    const filter = await this.timed("filter", () => this.call("filter", "POST", `/_matrix/client/v3/user/${encodeURIComponent(this.person.userId)}/filter`, SYNC_FILTER, 60_000));
    if (filter === null) return false;
    this.filterId = String(filter.filter_id);
    const first = await this.timed("initial_sync", () => this.call("initial_sync", "GET", `/_matrix/client/v3/sync?filter=${encodeURIComponent(this.filterId ?? "")}&timeout=0`, undefined, 300_000));
    if (first === null) return false;
    this.absorb(first as SyncBody, true);
    void this.longPoll();
    return true;
  }

  /** Incremental syncs with timeout=30000 until `stop`; a failed one is retried after 2 s, as clients back off. */
  private async longPoll(): Promise<void> {
    while (!this.stopped) {
      const url = `/_matrix/client/v3/sync?filter=${encodeURIComponent(this.filterId ?? "")}&timeout=${LONG_POLL_MS}&since=${encodeURIComponent(this.nextBatch ?? "")}`;
      const body = await this.timed("incremental_sync", () => this.call("incremental_sync", "GET", url, undefined, LONG_POLL_MS + 60_000));
      if (this.stopped) return;
      if (body === null) await new Promise((r) => setTimeout(r, 2000));
      else this.absorb(body as SyncBody, false);
    }
  }

  /** Keeps the sync token; on the first sync learns the chat rooms; later times the delivery of others' messages. */
  private absorb(body: SyncBody, first: boolean): void {
    if (body.next_batch !== undefined) this.nextBatch = body.next_batch;
    const now = Date.now();
    if (!first) {
      const rooms = Object.keys(body.rooms?.join ?? {}).length > 0;
      const devices = (body.device_lists?.changed?.length ?? 0) + (body.device_lists?.left?.length ?? 0) > 0;
      this.slot.current.woke(rooms ? "room events" : devices ? "device lists only" : "other or empty");
    }
    for (const [roomId, room] of Object.entries(body.rooms?.join ?? {})) {
      if (first) {
        const marker = room.state?.events?.find((e) => e.type === "de.schulhof.room");
        if (CHAT_KINDS.has(String(marker?.content?.kind ?? ""))) this.chatRooms.push(roomId);
        continue;
      }
      for (const e of room.timeline?.events ?? []) {
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
