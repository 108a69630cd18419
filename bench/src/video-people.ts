// The video benchmark's school: many people without passwords (no hashing), lesson rooms of 30, OpenID tokens for all.
import { request, type Agent } from "node:http";
import { matrixCall } from "./stack.ts";

/** A person with an access token, an OpenID token (valid an hour) and the lesson room they joined. */
export interface Person {
  userId: string;
  accessToken: string;
  openIdToken: string;
  roomId: string;
  /** The first of each room created it and is its teacher (room creator). */
  teacher: boolean;
}

const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i] as T, i);
    }),
  );
}


/** A fresh OpenID token of `userId`, as Element Call asks for one when someone clicks "join". */
export async function requestOpenIdToken(hs: string, userId: string, accessToken: string): Promise<string> {
  const r = await matrixCall(hs, accessToken, "POST", `/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`, {});
  return String(r.access_token);
}

/** Prints `what n/total` every `every` steps and at the end. */
function progress(what: string, total: number, every = 200): () => void {
  let done = 0;
  const t0 = performance.now();
  return () => {
    done++;
    if (done % every === 0 || done === total) say(`${what} ${done}/${total} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  };
}

/**
 * Creates `count` people `@schueler0000…` on `hs` through the admin API (no password, signed in, an OpenID token
 * each), then rooms of `perRoom`: the first of each group creates a public room, the others join it.
 */
export async function createPeople(hs: string, serverName: string, adminToken: string, count: number, perRoom: number): Promise<Person[]> {
  // Tokens from the admin login API act for the admin (Synapse's `authenticated_entity`), so lifting the admin's rate
  // limits lifts them for every person, including the per-room join limit.
  const { user_id: adminId } = (await matrixCall(hs, adminToken, "GET", "/_matrix/client/v3/account/whoami")) as { user_id: string };
  await matrixCall(hs, adminToken, "POST", `/_synapse/admin/v1/users/${encodeURIComponent(adminId)}/override_ratelimit`, { messages_per_second: 0, burst_count: 0 });
  const people: Person[] = new Array<Person>(count);
  const tick = progress("people created", count);
  await pool([...Array(count).keys()], 8, async (i) => {
    const userId = `@schueler${String(i).padStart(4, "0")}:${serverName}`;
    const u = encodeURIComponent(userId);
    await matrixCall(hs, adminToken, "PUT", `/_synapse/admin/v2/users/${u}`, { displayname: `Schüler ${i}` });
    const { access_token: accessToken } = (await matrixCall(hs, adminToken, "POST", `/_synapse/admin/v1/users/${u}/login`, {})) as { access_token: string };
    const openIdToken = await requestOpenIdToken(hs, userId, accessToken);
    people[i] = { userId, accessToken, openIdToken, roomId: "", teacher: i % perRoom === 0 };
    tick();
  });
  const rooms = Math.ceil(count / perRoom);
  const roomIds: string[] = new Array<string>(rooms);
  await pool([...Array(rooms).keys()], 4, async (r) => {
    const teacher = people[r * perRoom] as Person;
    const { room_id } = (await matrixCall(hs, teacher.accessToken, "POST", "/_matrix/client/v3/createRoom", {
      name: `Unterricht ${r + 1}`,
      preset: "public_chat",
    })) as { room_id: string };
    roomIds[r] = room_id;
  });
  say(`${rooms} lesson rooms created`);
  const joinTick = progress("joined", count);
  for (const [i, p] of people.entries()) p.roomId = roomIds[Math.floor(i / perRoom)] as string;
  // Room by room in turn, so that joins running at the same time go to different rooms.
  const order = [...people.keys()].sort((a, b) => (a % perRoom) - (b % perRoom) || a - b);
  await pool(order, 8, async (i) => {
    const p = people[i] as Person;
    if (!p.teacher) await matrixCall(hs, p.accessToken, "POST", `/_matrix/client/v3/join/${encodeURIComponent(p.roomId)}`, {});
    joinTick();
  });
  return people;
}

/** The `/get_token` body of `person` for their room's call (device `BENCH`). */
export function tokenRequestBody(person: Person, serverName: string, openIdToken = person.openIdToken): string {
  return JSON.stringify({
    room_id: person.roomId,
    slot_id: "m.call#ROOM",
    openid_token: { access_token: openIdToken, token_type: "Bearer", matrix_server_name: serverName, expires_in: 3600 },
    member: { id: `${person.userId}:BENCH`, claimed_user_id: person.userId, claimed_device_id: "BENCH" },
  });
}

/** One plain HTTP request over `agent`'s kept-alive connections; answers the status and body (no retries). */
export function httpCall(
  url: URL,
  method: string,
  body: string | undefined,
  agent: Agent,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: body === undefined ? headers : { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}
