// Verifies Matrix OpenID tokens against trusted homeservers and caches whom they belong to.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { UserId } from "../ids.ts";
import { openIdError } from "./errors.ts";

const SERVER_NAME = /^[A-Za-z0-9.\-:[\]]+$/;
/** `@localpart:server`; the localpart may hold any printable ASCII but `:` (historical user ids). */
const USER_ID = /^@[\x21-\x39\x3b-\x7e]+:[A-Za-z0-9.\-:[\]]+$/;

/** The OpenID token a client gets from `POST /_matrix/client/v3/user/{userId}/openid/request_token`. */
export const OpenIdTokenSchema = z.object({
  access_token: z.string().min(1).max(1024),
  matrix_server_name: z.string().min(1).max(255).regex(SERVER_NAME),
  /** Seconds, as the homeserver said when it issued the token. */
  expires_in: z.number().nonnegative().optional(),
  token_type: z.string().max(64).optional(),
});

/** An OpenID token as the client sends it. */
export type OpenIdToken = z.infer<typeof OpenIdTokenSchema>;

const UserInfoSchema = z.object({ sub: z.string().max(255).regex(USER_ID) });

/** Options of {@link OpenIdVerifier}. */
export interface OpenIdVerifierOptions {
  /** Trusted server names and the base URL their OpenID userinfo endpoint is reached at, e.g. `{"schule-a.test": "http://127.0.0.1:8008"}`. */
  homeservers: Record<string, string>;
  /** How long a verified token is trusted without asking again; default 5 minutes, never longer than the token's `expires_in`. */
  cacheTtlMs?: number;
  /** Most cached tokens; the oldest are dropped first. Default 10,000. */
  cacheSize?: number;
  /** How long to wait for the homeserver; default 10 s. */
  timeoutMs?: number;
  fetchFn?: typeof fetch;
  /** The clock, for tests. */
  now?: () => number;
}

/**
 * Tells who holds an OpenID token by asking the token's homeserver, which must be one of the trusted ones.
 * Keeps only sha256 hashes of tokens and never logs them.
 */
export class OpenIdVerifier {
  private readonly homeservers: Map<string, string>;
  private readonly cache = new Map<string, { userId: UserId; until: number }>();
  private readonly cacheTtlMs: number;
  private readonly cacheSize: number;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;

  constructor(opts: OpenIdVerifierOptions) {
    this.homeservers = new Map(Object.entries(opts.homeservers).map(([name, url]) => [name, url.replace(/\/+$/, "")]));
    this.cacheTtlMs = opts.cacheTtlMs ?? 5 * 60_000;
    this.cacheSize = opts.cacheSize ?? 10_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetchFn = opts.fetchFn ?? fetch;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Resolves to the user id the token belongs to. Rejects with a SchulhofError: 400 for a malformed token,
   * 403 for an untrusted server (without asking anyone), 401 for a token the homeserver does not confirm
   * or confirms for a user of another server, 502 when the homeserver cannot be reached.
   */
  async verify(token: OpenIdToken): Promise<UserId> {
    const parsed = OpenIdTokenSchema.safeParse(token);
    if (!parsed.success) throw openIdError("bad_json", `malformed OpenID token: ${z.prettifyError(parsed.error)}`);
    const { access_token: accessToken, matrix_server_name: server, expires_in: expiresIn } = parsed.data;
    const base = this.homeservers.get(server);
    if (base === undefined) throw openIdError("untrusted_server", `OpenID token from untrusted server ${server}`);

    // The server name cannot contain a newline, so the key is unambiguous.
    const key = createHash("sha256").update(`${server}\n${accessToken}`).digest("base64url");
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit !== undefined && hit.until > now) return hit.userId;
    this.cache.delete(key);

    const userId = await this.askHomeserver(base, server, accessToken);
    const ttl = Math.min(this.cacheTtlMs, expiresIn === undefined ? Infinity : expiresIn * 1000);
    if (ttl > 0) {
      while (this.cache.size >= this.cacheSize) {
        const oldest = this.cache.keys().next();
        if (oldest.done === true) break;
        this.cache.delete(oldest.value);
      }
      this.cache.set(key, { userId, until: now + ttl });
    }
    return userId;
  }

  private async askHomeserver(base: string, server: string, accessToken: string): Promise<UserId> {
    const url = `${base}/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(accessToken)}`;
    let res: Response;
    try {
      // No redirects: they would carry the token to wherever the homeserver points.
      res = await this.fetchFn(url, { headers: { accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw openIdError("homeserver_unreachable", `homeserver ${server} unreachable: ${reasonOf(e)}`);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      // A 5xx is the homeserver's trouble, not a bad token.
      if (res.status >= 500) throw openIdError("homeserver_unreachable", `homeserver ${server} answered ${res.status} to the OpenID userinfo request`);
      throw openIdError("invalid_openid_token", `homeserver ${server} refused the OpenID token (${res.status})`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch (e) {
      if (e instanceof SyntaxError) throw openIdError("invalid_openid_token", `homeserver ${server} answered the OpenID userinfo request with invalid JSON`);
      throw openIdError("homeserver_unreachable", `homeserver ${server} unreachable: ${reasonOf(e)}`);
    }
    const info = UserInfoSchema.safeParse(body);
    if (!info.success) throw openIdError("invalid_openid_token", `homeserver ${server} answered the OpenID userinfo request without a valid sub`);
    const sub = info.data.sub;
    // GHSA-vc7j-h8xg-fv5x: a homeserver may only vouch for its own users.
    if (sub.slice(sub.indexOf(":") + 1) !== server) throw openIdError("invalid_openid_token", `homeserver ${server} vouched for ${sub}, a user of another server`);
    return sub as UserId;
  }
}

/** A short, token-free reason for a failed request (e.g. `ECONNREFUSED`, `TimeoutError`). */
function reasonOf(e: unknown): string {
  if (!(e instanceof Error)) return "unknown error";
  const cause: unknown = e.cause;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined;
  return typeof code === "string" ? code : e.name;
}
