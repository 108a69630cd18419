// Asking the video token service for tokens as a real user would: an OpenID token from the homeserver, then /get_token.
import { TokenVerifier } from "livekit-server-sdk";
import { testEnv } from "./env.ts";
import type { TestUser } from "./users.ts";

type VideoUser = Pick<TestUser, "userId" | "localpart" | "accessToken">;

/** A fresh OpenID token of `u` from its homeserver (default: the test homeserver). */
export async function openid(u: VideoUser, homeserverUrl = testEnv().synapseUrl): Promise<Record<string, unknown>> {
  const res = await fetch(`${homeserverUrl}/_matrix/client/v3/user/${encodeURIComponent(u.userId)}/openid/request_token`, {
    method: "POST",
    headers: { authorization: `Bearer ${u.accessToken}`, "content-type": "application/json" },
    body: "{}",
  });
  return (await res.json()) as Record<string, unknown>;
}

/** `POST /get_token` (MSC4195) for `u` in `roomId` at the token service `serviceUrl` (default: the test stack's). */
export async function getToken(
  u: VideoUser,
  roomId: string,
  opts: { serviceUrl?: string; homeserverUrl?: string; patch?: (b: Record<string, unknown>) => Record<string, unknown> } = {},
): Promise<Response> {
  const body = { room_id: roomId, slot_id: "m.call#ROOM", openid_token: await openid(u, opts.homeserverUrl), member: { id: `m-${u.localpart}`, claimed_user_id: u.userId, claimed_device_id: "DEV1" } };
  return fetch(`${opts.serviceUrl ?? testEnv().videoUrl}/get_token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify((opts.patch ?? ((b) => b))(body)) });
}

/** The LiveKit claims of a token, checked with the test LiveKit's key (or the given one). */
export async function grantOf(jwt: string, keys?: { apiKey: string; apiSecret: string }): Promise<{ identity: string; video: Record<string, unknown>; metadata: string }> {
  const k = keys ?? testEnv().livekit;
  const claims = await new TokenVerifier(k.apiKey, k.apiSecret).verify(jwt);
  return { identity: String(claims.sub), video: (claims.video ?? {}) as Record<string, unknown>, metadata: String(claims.metadata ?? "") };
}
