// Typed clients of the school's feature APIs and the video service (openapi-fetch over the generated types), each signing in lazily.
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { paths as CalendarPaths } from "./generated/calendar.ts";
import type { paths as HomeworkPaths } from "./generated/homework.ts";
import type { paths as MailPaths } from "./generated/mail.ts";
import type { paths as SchoolPaths } from "./generated/school.ts";
import type { paths as VideoPaths } from "./generated/video.ts";

/** A session is renewed this long before its `expires_at`. */
export const RENEW_BEFORE_MS = 60_000;

/** What {@link featureClients} needs. */
export interface FeatureClientOptions {
  /** Where the school's feature APIs live (`{apiBaseUrl}/_schulhof/<service>/v1`), e.g. from `.well-known`. */
  apiBaseUrl: string;
  /** The district's video token service. */
  videoServiceUrl: string;
  /** A fresh OpenID token of the user's homeserver (`MatrixClient.getOpenIdToken`); asked once per sign-in. */
  getOpenIdToken: () => Promise<unknown>;
  /** Replaces the global `fetch` (tests). */
  fetch?: typeof fetch;
  /** The `Accept-Language` to send (the servers answer errors in it); none when absent. */
  acceptLanguage?: () => string;
}

/** One typed client per service; every call answers `{data}` or `{error}` (Matrix-style `{errcode, error}`) with `response`. */
export interface FeatureClients {
  school: Client<SchoolPaths>;
  homework: Client<HomeworkPaths>;
  calendar: Client<CalendarPaths>;
  mail: Client<MailPaths>;
  video: Client<VideoPaths>;
}

/** The answer of `POST …/openid/exchange`. */
interface Session {
  token: string;
  expires_at: number;
}

/**
 * The clients of one signed-in user. Nothing is sent until the first call; each service then signs in once with an
 * OpenID token and shares the session among its calls. Build them once per Matrix session and drop them on sign-out.
 * A refused sign-in is answered as the call's `{error}`; a failing `getOpenIdToken` or network rejects the call.
 */
export function featureClients(opts: FeatureClientOptions): FeatureClients {
  const send = (input: Request): Promise<Response> => (opts.fetch ?? globalThis.fetch)(input);
  const api = opts.apiBaseUrl.replace(/\/+$/, "");
  const make = <Paths extends object>(baseUrl: string, sessionPrefix: string): Client<Paths> => {
    const client = createClient<Paths>({ baseUrl, fetch: send });
    client.use(sessionMiddleware(`${baseUrl}${sessionPrefix}`, sessionPrefix, opts, send));
    return client;
  };
  return {
    school: make<SchoolPaths>(`${api}/_schulhof/school/v1`, ""),
    homework: make<HomeworkPaths>(`${api}/_schulhof/homework/v1`, ""),
    calendar: make<CalendarPaths>(`${api}/_schulhof/calendar/v1`, ""),
    mail: make<MailPaths>(`${api}/_schulhof/mail/v1`, ""),
    // The token endpoints (`/get_token`, `/sfu/get`) carry the OpenID token in their body; only the moderation API takes a session.
    video: make<VideoPaths>(opts.videoServiceUrl.replace(/\/+$/, ""), "/_schulhof/video/v1"),
  };
}

/**
 * Signs the calls under `sessionPrefix` (an OpenAPI path prefix; "" for all) with one service's session: signs in
 * before the first, renews {@link RENEW_BEFORE_MS} before `expires_at`, and on a 401 signs in again and repeats the
 * call once. Never signs the exchange itself.
 */
function sessionMiddleware(sessionBase: string, sessionPrefix: string, opts: Pick<FeatureClientOptions, "getOpenIdToken" | "acceptLanguage">, send: (input: Request) => Promise<Response>): Middleware {
  const exchangePath = `${sessionPrefix}/openid/exchange`;
  let session: Session | null = null;
  let signingIn: Promise<Session | Response> | null = null;
  /** Each signed call's copy for a repeat, and the token it went with, by openapi-fetch's request id. */
  const sent = new Map<string, { copy: Request; token: string }>();

  const signIn = async (): Promise<Session | Response> => {
    const openid = await opts.getOpenIdToken();
    const headers = new Headers({ "content-type": "application/json" });
    if (opts.acceptLanguage !== undefined) headers.set("accept-language", opts.acceptLanguage());
    const response = await send(new Request(`${sessionBase}/openid/exchange`, { method: "POST", headers, body: JSON.stringify({ openid_token: openid }) }));
    if (!response.ok) return response;
    const answer = (await response.json()) as Partial<Session>;
    if (typeof answer.token !== "string" || typeof answer.expires_at !== "number") throw new Error(`${sessionBase}/openid/exchange answered without token or expires_at`);
    session = { token: answer.token, expires_at: answer.expires_at };
    return session;
  };
  /** The session, signing in (once for all waiting calls) when there is none or it is about to expire. */
  const current = (): Promise<Session | Response> => {
    if (session !== null && session.expires_at - RENEW_BEFORE_MS > Date.now()) return Promise.resolve(session);
    signingIn ??= signIn().finally(() => {
      signingIn = null;
    });
    return signingIn;
  };
  const signed = (request: Request, token: string): Request => {
    request.headers.set("authorization", `Bearer ${token}`);
    return request;
  };

  return {
    async onRequest({ request, schemaPath, id }) {
      if (opts.acceptLanguage !== undefined && !request.headers.has("accept-language")) request.headers.set("accept-language", opts.acceptLanguage());
      if (!schemaPath.startsWith(`${sessionPrefix}/`) || schemaPath === exchangePath) return request;
      const s = await current();
      // A refused sign-in (e.g. 401 or 403 from the exchange) becomes the call's answer; the call is not sent.
      if (s instanceof Response) return s.clone();
      sent.set(id, { copy: signed(request, s.token).clone(), token: s.token });
      return request;
    },
    async onResponse({ response, id }) {
      const call = sent.get(id);
      sent.delete(id);
      if (call === undefined || response.status !== 401) return undefined;
      await response.body?.cancel().catch(() => undefined);
      // Several calls may fail with the same stale session: only the first drops it; all wait for one new sign-in.
      if (session?.token === call.token) session = null;
      const s = await current();
      if (s instanceof Response) return s.clone();
      return send(signed(call.copy, s.token));
    },
    onError({ id }) {
      sent.delete(id);
      return undefined;
    },
  };
}
