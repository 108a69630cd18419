// Signs a test user in to an appservice API the way the web client does: Matrix OpenID token → session token.
import type { TestUser } from "./users.ts";
import { testEnv } from "./env.ts";

/** Exchanges the user's OpenID token at `apiBase` (e.g. `…/_schulhof/homework/v1`) and answers a fetch bound to the session. */
export async function apiSession(
  user: Pick<TestUser, "userId" | "accessToken">,
  apiBase: string,
  homeserverUrl = testEnv().synapseUrl,
): Promise<(path: string, init?: RequestInit) => Promise<Response>> {
  const res = await fetch(`${homeserverUrl}/_matrix/client/v3/user/${encodeURIComponent(user.userId)}/openid/request_token`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
    body: "{}",
  });
  const openid = (await res.json()) as Record<string, unknown>;
  const ex = await fetch(`${apiBase}/openid/exchange`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ openid_token: openid }),
  });
  if (!ex.ok) throw new Error(`openid exchange: ${ex.status} ${await ex.text()}`);
  const { token } = (await ex.json()) as { token: string };
  return (path, init = {}) => fetch(`${apiBase}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
}
