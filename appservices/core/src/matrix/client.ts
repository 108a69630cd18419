// The appservice's client-server side: matrix-js-sdk clients that act as the bot or masquerade as namespace users.
import { createClient, type MatrixClient, MatrixError, ConnectionError, Method } from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { localUserId, type UserId } from "../ids.ts";
import { PermanentError, RetryableError } from "../intake/dispatcher.ts";

/** What an appservice needs to talk to its homeserver. */
export interface AppserviceIdentity {
  homeserverUrl: string;
  serverName: string;
  asToken: string;
  botLocalpart: string;
}

/** Only what feature code uses of the SDK client; feature code depends on this, not on the SDK. */
export type MatrixPort = Pick<
  MatrixClient,
  "sendEvent" | "sendStateEvent" | "getStateEvent" | "createRoom" | "invite" | "joinRoom" | "leave" | "kick" | "setPowerLevel" | "roomState" | "getJoinedRoomMembers" | "getRoomIdForAlias" | "setDisplayName" | "getProfileInfo" | "uploadContent" | "http"
>;

// The SDK logs every request at debug level through loglevel; keep warnings only.
(sdkLogger as unknown as { setLevel?: (level: string) => void }).setLevel?.("warn");

/** Clients for the bot and the users of the appservice's namespace, cached per user. */
export class AppserviceMatrix {
  readonly botUserId: UserId;
  readonly identity: AppserviceIdentity;
  private readonly clients = new Map<string, MatrixClient>();
  private readonly registered = new Set<string>();

  constructor(identity: AppserviceIdentity) {
    this.identity = identity;
    this.botUserId = localUserId(identity.botLocalpart, identity.serverName);
  }

  /** The client of the bot (`sender_localpart`). */
  get bot(): MatrixClient {
    return this.as(this.botUserId);
  }

  /** A client that acts as `user` (which must be in the appservice's namespace). */
  as(user: string): MatrixClient {
    let c = this.clients.get(user);
    if (c === undefined) {
      c = createClient({
        baseUrl: this.identity.homeserverUrl,
        accessToken: this.identity.asToken,
        userId: user,
        useAuthorizationHeader: true,
        queryParams: user === this.botUserId ? {} : { user_id: user },
        fetchFn: fetchWithTimeout,
      });
      if (this.clients.size > 5000) this.clients.clear();
      this.clients.set(user, c);
    }
    return c;
  }

  /** Registers a user of the exclusive namespace (no password); a user that exists already is fine. */
  async ensureRegistered(localpart: string): Promise<UserId> {
    const id = localUserId(localpart, this.identity.serverName);
    if (this.registered.has(id)) return id;
    try {
      await this.bot.http.authedRequest(Method.Post, "/register", undefined, {
        type: "m.login.application_service",
        username: localpart,
        inhibit_login: true,
      });
    } catch (e) {
      if (!(e instanceof MatrixError && e.errcode === "M_USER_IN_USE")) throw asIntakeError(e);
    }
    this.registered.add(id);
    return id;
  }
}

/**
 * fetch with a 60 s limit per request. The SDK's own `localTimeoutMs` keeps a timer alive after
 * the request, which holds a process open for a minute at shutdown; `AbortSignal.timeout` does not.
 */
function fetchWithTimeout(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const limit = AbortSignal.timeout(60_000);
  const signal = init?.signal ? AbortSignal.any([init.signal, limit]) : limit;
  return fetch(input, { ...init, signal });
}

/** Maps SDK errors onto the dispatcher's retry rules: rate limits, 5xx and network errors are passing. */
export function asIntakeError(e: unknown): Error {
  if (e instanceof RetryableError || e instanceof PermanentError) return e;
  if (e instanceof MatrixError) {
    const status = e.httpStatus ?? 0;
    if (status === 429 || status >= 500) return new RetryableError(`homeserver answered ${status} ${e.errcode ?? ""}`, e);
    return new PermanentError(`homeserver refused: ${status} ${e.errcode ?? ""} ${e.data.error ?? ""}`, e);
  }
  if (e instanceof ConnectionError || (e instanceof TypeError && /fetch/i.test(e.message))) {
    return new RetryableError(`homeserver unreachable: ${e.message}`, e);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** True when `e` says the homeserver refused because of permissions. */
export function isForbidden(e: unknown): boolean {
  return e instanceof MatrixError && e.errcode === "M_FORBIDDEN";
}
