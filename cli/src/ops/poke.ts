// Synapse 1.163 starts its appservice scheduler only when the first new event after its own start reaches an
// appservice: transactions it stored for an appservice that was down (a restore, an upgrade, a restart of Synapse
// while the appservices were stopped) stay unsent until then, and the appservices' start-up ping finds no recovery
// to force ("not in recovery"). `schulhof ensure-admin` (the appservices' unit runs it first) therefore sends one notice
// into a private room of the server-admin service account: that event starts the scheduler, which resumes delivery.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GeneratedSchool } from "@schulhof/homeserver-config";

const ROOM_FILE = "ops-room.json";

async function call(url: string, token: string, method: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

/** Sends the start notice (making the room once, its id kept in `<data>/ops-room.json`); answers the room id. */
export async function pokeAppserviceScheduler(gen: GeneratedSchool, homeserverUrl: string, systemToken: string): Promise<string> {
  const file = join(gen.dataDir, ROOM_FILE);
  let roomId = existsSync(file) ? String((JSON.parse(readFileSync(file, "utf8")) as { room_id?: string }).room_id ?? "") : "";
  const notice = { msgtype: "m.notice", body: `Schulhof: Appservices starten / appservices starting (${new Date().toISOString()})` };
  const send = (): Promise<{ status: number }> => call(homeserverUrl, systemToken, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/start-${Date.now()}`, notice);
  if (roomId !== "" && (await send()).status === 200) return roomId;
  const made = await call(homeserverUrl, systemToken, "POST", "/_matrix/client/v3/createRoom", {
    preset: "private_chat",
    name: "Schulhof-Betrieb",
    topic: "Startmeldungen der Appservices (schulhof ensure-admin) / the appservices' start notices",
    creation_content: { "m.federate": false },
  });
  if (made.status !== 200 || typeof made.json.room_id !== "string") throw new Error(`createRoom for the start notice: ${made.status} ${JSON.stringify(made.json)}`);
  roomId = made.json.room_id;
  writeFileSync(file, JSON.stringify({ room_id: roomId }) + "\n");
  const sent = await send();
  if (sent.status !== 200) throw new Error(`start notice: ${sent.status}`);
  return roomId;
}
