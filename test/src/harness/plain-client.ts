// A Matrix client that is not matrix-js-sdk: plain fetch against the client-server API, seeing rooms as any client would.
import { randomBytes } from "node:crypto";
import { testEnv } from "./env.ts";
import { eventually } from "./users.ts";

/** A room event as the client-server API answers it. */
export interface RawEvent {
  event_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: Record<string, unknown>;
}

/** An HTTP answer that was not 2xx. */
export class MatrixHttpError extends Error {
  readonly status: number;
  readonly errcode: string;

  constructor(status: number, errcode: string, text: string) {
    super(`${status} ${errcode}: ${text}`);
    this.status = status;
    this.errcode = errcode;
  }
}

/**
 * What a person's own client shows of a room: every `m.room.message` with a text body (text, notice, emote, file
 * names), and nothing of custom event types, which Element, FluffyChat and the others do not render.
 */
export function displayed(events: RawEvent[]): { sender: string; body: string; event_id: string; content: Record<string, unknown> }[] {
  return events
    .filter((e) => e.type === "m.room.message" && typeof e.content.body === "string" && e.content.body !== "")
    .map((e) => ({ sender: e.sender, body: String(e.content.body), event_id: e.event_id, content: e.content }));
}

/** One person at the homeserver with an access token; every call is one HTTP request. */
export class PlainClient {
  readonly userId: string;
  private readonly token: string;
  private since: string | undefined;
  private readonly invites = new Map<string, string>();

  constructor(userId: string, token: string) {
    this.userId = userId;
    this.token = token;
  }

  /** One client-server request; throws MatrixHttpError for an error answer. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${testEnv().synapseUrl}/_matrix/client/v3${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) {
      const err = (() => {
        try {
          return JSON.parse(text) as { errcode?: string };
        } catch {
          return {};
        }
      })();
      throw new MatrixHttpError(res.status, err.errcode ?? "", text);
    }
    return (text === "" ? {} : JSON.parse(text)) as T;
  }

  /** Creates a room (the request body of `POST /createRoom`); answers its id. */
  async createRoom(body: Record<string, unknown>): Promise<string> {
    return (await this.call<{ room_id: string }>("POST", "/createRoom", body)).room_id;
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.call("POST", `/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: userId });
  }

  async join(roomId: string): Promise<void> {
    await this.call("POST", `/join/${encodeURIComponent(roomId)}`, {});
  }

  /** Sends a text message as a person types it; answers the event id. */
  async say(roomId: string, text: string): Promise<string> {
    const txn = randomBytes(8).toString("hex");
    return (await this.call<{ event_id: string }>("PUT", `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`, { msgtype: "m.text", body: text })).event_id;
  }

  async members(roomId: string): Promise<string[]> {
    return Object.keys((await this.call<{ joined: Record<string, unknown> }>("GET", `/rooms/${encodeURIComponent(roomId)}/joined_members`)).joined);
  }

  /** The room's latest events, oldest first (`/messages`, as a client fills its timeline). */
  async timeline(roomId: string, limit = 200): Promise<RawEvent[]> {
    const page = await this.call<{ chunk: RawEvent[] }>("GET", `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=${limit}`);
    return page.chunk.reverse();
  }

  /** What this person's client shows of the room. */
  async shown(roomId: string): Promise<{ sender: string; body: string; event_id: string; content: Record<string, unknown> }[]> {
    return displayed(await this.timeline(roomId));
  }

  /** Waits until the client shows a message of `sender` that matches `pattern` (and replies to `replyTo`, if given). */
  async waitFor(roomId: string, sender: string, pattern: RegExp, replyTo?: string, timeoutMs = 30_000): Promise<string> {
    return eventually(
      `${this.userId} sees ${pattern} from ${sender}`,
      async () => {
        const hit = (await this.shown(roomId)).find(
          (m) =>
            m.sender === sender &&
            pattern.test(m.body) &&
            (replyTo === undefined || (m.content["m.relates_to"] as { "m.in_reply_to"?: { event_id?: string } } | undefined)?.["m.in_reply_to"]?.event_id === replyTo),
        );
        return hit?.body;
      },
      timeoutMs,
      300,
    );
  }

  /** Sends a command and answers the body of `bot`'s reply to it, as the person's client shows it. */
  async ask(roomId: string, bot: string, command: string, timeoutMs = 30_000): Promise<string> {
    const id = await this.say(roomId, command);
    return this.waitFor(roomId, bot, /[\s\S]/, id, timeoutMs);
  }

  /** Waits for an invite (through incremental `/sync`) to a room whose name starts with `prefix`, joins it, answers its id. */
  async joinInvite(prefix: string, timeoutMs = 60_000): Promise<string> {
    const roomId = await eventually(
      `${this.userId} invited to ${prefix}`,
      async () => {
        const q = this.since === undefined ? "timeout=0" : `timeout=0&since=${encodeURIComponent(this.since)}`;
        const body = await this.call<{ next_batch: string; rooms?: { invite?: Record<string, { invite_state: { events: RawEvent[] } }> } }>("GET", `/sync?${q}`);
        this.since = body.next_batch;
        for (const [id, r] of Object.entries(body.rooms?.invite ?? {})) {
          this.invites.set(id, String(r.invite_state.events.find((e) => e.type === "m.room.name")?.content.name ?? ""));
        }
        return [...this.invites.entries()].find(([, name]) => name.startsWith(prefix))?.[0];
      },
      timeoutMs,
      400,
    );
    await this.join(roomId);
    return roomId;
  }
}
