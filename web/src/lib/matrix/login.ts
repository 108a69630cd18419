// Password login with matrix-js-sdk; turns the homeserver's refusals into ClientErrors with German/English texts.
import { ConnectionError, createClient, MatrixError } from "matrix-js-sdk";
import { ClientError } from "../errors.ts";
import type { ResumableDevice, StoredSession } from "../session.ts";
import { loginIdentifier, namesUser } from "./identifiers.ts";

/** The name this client gives the devices it creates (shown in the user's session list). */
const DEVICE_DISPLAY_NAME = "Schulhof Web";

/**
 * Logs in with a password; answers the session to keep, or throws a {@link ClientError}. `resume` is a device the
 * homeserver kept for a softly ended session: when the person logging in is its user, the login takes that device
 * again instead of creating one (a new device would wake everyone who shares a room with the person).
 */
export async function passwordLogin(homeserverUrl: string, userName: string, password: string, resume: ResumableDevice | null = null): Promise<StoredSession> {
  const client = createClient({ baseUrl: homeserverUrl });
  const deviceId = resume !== null && resume.homeserverUrl === homeserverUrl && namesUser(userName, resume.userId) ? resume.deviceId : undefined;
  try {
    const response = await client.loginRequest({
      type: "m.login.password",
      identifier: { type: "m.id.user", user: loginIdentifier(userName) },
      password,
      initial_device_display_name: DEVICE_DISPLAY_NAME,
      ...(deviceId === undefined ? {} : { device_id: deviceId }),
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
