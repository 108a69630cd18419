// Password login with matrix-js-sdk; turns the homeserver's refusals into ClientErrors with German/English texts.
import { ConnectionError, createClient, MatrixError } from "matrix-js-sdk";
import { ClientError } from "../errors.ts";
import type { StoredSession } from "../session.ts";

/** The name this client gives the devices it creates (shown in the user's session list). */
const DEVICE_DISPLAY_NAME = "Schulhof Web";

/**
 * The user identifier for the login: a full Matrix ID (`@lena.koehler:server`) as typed, else the user name without
 * spaces and a stray leading `@` (`lena.koehler`). Lower-cased, as Synapse's user names are.
 */
export function loginIdentifier(input: string): string {
  const trimmed = input.trim();
  if (/^@[^:\s]+:\S+$/.test(trimmed)) return trimmed.toLowerCase();
  return trimmed.replace(/^@/, "").toLowerCase();
}

/** Logs in with a password; answers the session to keep, or throws a {@link ClientError}. */
export async function passwordLogin(homeserverUrl: string, userName: string, password: string): Promise<StoredSession> {
  const client = createClient({ baseUrl: homeserverUrl });
  try {
    const response = await client.loginRequest({
      type: "m.login.password",
      identifier: { type: "m.id.user", user: loginIdentifier(userName) },
      password,
      initial_device_display_name: DEVICE_DISPLAY_NAME,
    });
    return { homeserverUrl, userId: response.user_id, deviceId: response.device_id, accessToken: response.access_token };
  } catch (e) {
    throw loginError(e);
  } finally {
    client.stopClient();
  }
}

/** Maps what the SDK threw at login to the error the user reads. */
export function loginError(e: unknown): ClientError {
  if (e instanceof ConnectionError || e instanceof TypeError) return new ClientError("server_unreachable", "homeserver not reachable at login", e);
  if (e instanceof MatrixError) {
    if (e.isRateLimitError()) return new ClientError("rate_limited", "login rate limited", e, safeRetryAfter(e));
    if (e.errcode === "M_USER_DEACTIVATED") return new ClientError("user_deactivated", "login of a deactivated user", e);
    if (e.errcode === "M_FORBIDDEN" || e.errcode === "M_INVALID_USERNAME" || e.httpStatus === 403) return new ClientError("wrong_password", "login refused", e);
    if (e.httpStatus !== undefined && e.httpStatus >= 500) return new ClientError("server_unreachable", `login: HTTP ${e.httpStatus}`, e);
  }
  return new ClientError("unknown", "login failed", e);
}

function safeRetryAfter(e: MatrixError): number | null {
  try {
    return e.getRetryAfterMs();
  } catch {
    return null;
  }
}
