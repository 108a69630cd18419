// Waiting for invites and for a bot's replies, as a client sees them.
import { testEnv } from "./env.ts";
import { eventually, roomMessages, type TestUser } from "./users.ts";

/** Waits until the user has an invite to a room whose name starts with `prefix`, joins it, answers its id. */
export async function joinInvite(user: TestUser, prefix: string): Promise<string> {
  // Incremental sync: Synapse caches an initial sync for two minutes, so polling without `since` sees nothing new.
  const seen = new Map<string, string>();
  let since: string | undefined;
  const roomId = await eventually(`${user.localpart} invited to ${prefix}`, async () => {
    const q = since === undefined ? "timeout=0" : `timeout=0&since=${encodeURIComponent(since)}`;
    const res = await fetch(`${testEnv().synapseUrl}/_matrix/client/v3/sync?${q}`, { headers: { authorization: `Bearer ${user.accessToken}` } });
    const body = (await res.json()) as { next_batch: string; rooms?: { invite?: Record<string, { invite_state: { events: { type: string; content: { name?: string } }[] } }> } };
    since = body.next_batch;
    for (const [id, r] of Object.entries(body.rooms?.invite ?? {})) {
      seen.set(id, r.invite_state.events.find((e) => e.type === "m.room.name")?.content.name ?? "");
    }
    return [...seen.entries()].find(([, name]) => name.startsWith(prefix))?.[0];
  }, 30_000, 300);
  await user.client.joinRoom(roomId);
  return roomId;
}

/** The reply of `sender` to `eventId` in a room (body), once it is there. */
export async function replyFrom(sender: string, user: TestUser, roomId: string, eventId: string): Promise<{ body: string; content: Record<string, unknown> }> {
  return eventually(`reply to ${eventId}`, async () => {
    const msgs = await roomMessages(user, roomId);
    const r = msgs.find((m) => m.sender === sender && (m.content["m.relates_to"] as { "m.in_reply_to"?: { event_id?: string } } | undefined)?.["m.in_reply_to"]?.event_id === eventId);
    return r === undefined ? undefined : { body: String(r.content.body), content: r.content };
  });
}

