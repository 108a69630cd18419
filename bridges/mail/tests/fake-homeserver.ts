// A stand-in homeserver for the API and attachment tests: authenticated media downloads, the school's directory, and a Matrix port that makes rooms.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AppserviceContext, Db, OutboxAction } from "@schulhof/core";
import { Directory } from "../src/directory.ts";
import { silentLog } from "./outbound/support.ts";

export const SERVER = "schule.test";
export const AS_TOKEN = "as-token-of-the-mail-bridge";

/** A person of the directory. */
export interface FakePerson {
  localpart: string;
  role: "student" | "teacher" | "admin";
  active?: boolean;
}

/** The stand-in: media by id, requests seen, and `fail` to make the media repository answer 500. */
export interface FakeHomeserver {
  url: string;
  media: Map<string, { body: Buffer; type: string }>;
  /** Media ids asked for, with the token they came with. */
  downloads: { mediaId: string; auth: string }[];
  fail: boolean;
  close(): Promise<void>;
}

/** Starts the stand-in on a loopback port. */
export async function startFakeHomeserver(people: readonly FakePerson[]): Promise<FakeHomeserver> {
  const media = new Map<string, { body: Buffer; type: string }>();
  const downloads: { mediaId: string; auth: string }[] = [];
  const state = { fail: false };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const m = /^\/_matrix\/client\/v1\/media\/download\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (m !== null) {
      const mediaId = decodeURIComponent(m[2] ?? "");
      downloads.push({ mediaId, auth: req.headers.authorization ?? "" });
      if (req.headers.authorization !== `Bearer ${AS_TOKEN}`) return void res.writeHead(401).end('{"errcode":"M_MISSING_TOKEN"}');
      if (state.fail) return void res.writeHead(500).end('{"errcode":"M_UNKNOWN"}');
      const item = decodeURIComponent(m[1] ?? "") === SERVER ? media.get(mediaId) : undefined;
      if (item === undefined) return void res.writeHead(404, { "content-type": "application/json" }).end('{"errcode":"M_NOT_FOUND"}');
      return void res.writeHead(200, { "content-type": item.type, "content-length": String(item.body.length) }).end(item.body);
    }
    if (url.pathname === "/directory") {
      const answer = {
        people: people.map((p) => ({ user_id: `@${p.localpart}:${SERVER}`, localpart: p.localpart, display_name: p.localpart, role: p.role, active: p.active ?? true })),
        groups: [],
      };
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
    }
    res.writeHead(404).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    media,
    downloads,
    get fail() {
      return state.fail;
    },
    set fail(v: boolean) {
      state.fail = v;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The directory of the stand-in. */
export function fakeDirectory(hs: FakeHomeserver): Directory {
  return new Directory({ url: `${hs.url}/directory`, token: "t".repeat(32), domain: SERVER, groupSenders: {}, log: silentLog, maxAgeMs: 60_000 });
}

/**
 * An appservice context over `db` whose Matrix side makes rooms `!room-N:schule.test` and records nothing else;
 * every outbox action lands in `sent`.
 */
export function fakeContext(db: Db, hs: FakeHomeserver, sent: OutboxAction[]): AppserviceContext & { roomsMade: () => number } {
  let rooms = 0;
  const client = { setDisplayName: async () => ({}), joinRoom: async () => ({}) };
  const matrix = {
    botUserId: `@mail:${SERVER}`,
    identity: { homeserverUrl: hs.url, asToken: AS_TOKEN, serverName: SERVER, botLocalpart: "mail" },
    bot: { createRoom: async () => ({ room_id: `!room-${++rooms}:${SERVER}` }) },
    as: () => client,
    ensureRegistered: async (localpart: string) => `@${localpart}:${SERVER}`,
  };
  return {
    name: "mail",
    db,
    log: silentLog,
    matrix,
    metrics: {},
    outbox: {
      enqueue: async (_tx: unknown, _cause: string, a: OutboxAction) => {
        sent.push(a);
      },
      kick: () => undefined,
    },
    roomsMade: () => rooms,
  } as unknown as AppserviceContext & { roomsMade: () => number };
}
