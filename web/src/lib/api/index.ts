// The signed-in user's typed API clients (school, homework, calendar, mail, video), and `unwrap` for their answers.
import { signedIn } from "../app.svelte.ts";
import { ApiError } from "../errors.ts";
import { acceptLanguage } from "../i18n/index.svelte.ts";
import type { MatrixConnection } from "../matrix/connection.svelte.ts";
import { featureClients, type FeatureClients } from "./clients.ts";

export type { FeatureClients } from "./clients.ts";

const perConnection = new WeakMap<MatrixConnection, FeatureClients>();

/**
 * The API clients of the signed-in user, made once per session: each service signs in with a Matrix OpenID token on
 * first use. Call only when signed in (pages are). `const { homework } = apiClients(); unwrap(await homework.GET("/todo"))`.
 */
export function apiClients(): FeatureClients {
  const { matrix, config } = signedIn();
  let clients = perConnection.get(matrix);
  if (clients === undefined) {
    clients = featureClients({
      apiBaseUrl: config.apiBaseUrl,
      videoServiceUrl: config.livekitServiceUrl ?? config.apiBaseUrl,
      getOpenIdToken: () => matrix.client.getOpenIdToken(),
      acceptLanguage,
    });
    perConnection.set(matrix, clients);
  }
  return clients;
}

/** The data of a successful answer; a Matrix-style error answer (`{errcode, error}`) is thrown as an {@link ApiError}. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error === undefined && result.response.ok) return result.data as T;
  const body = typeof result.error === "object" && result.error !== null ? (result.error as { errcode?: unknown; error?: unknown; retry_after_ms?: unknown }) : {};
  throw new ApiError(
    result.response.status,
    typeof body.errcode === "string" ? body.errcode : "M_UNKNOWN",
    typeof body.error === "string" ? body.error : null,
    typeof body.retry_after_ms === "number" ? body.retry_after_ms : null,
  );
}
