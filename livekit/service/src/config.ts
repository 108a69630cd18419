// Configuration of the district's video token service: LiveKit, the schools it trusts, limits.
import { z } from "zod";

const School = z.object({
  /** The school's homeserver (client-server and federation API on one base URL): OpenID tokens are checked there. */
  homeserverUrl: z.url(),
  /** The school appservice, which answers who is in a room (`/_schulhof/school/v1/video/membership`). */
  schoolApiUrl: z.url(),
  /** Shared secret with that school (its `video_secret`). */
  secret: z.string().min(32),
});

export const VideoServiceConfigSchema = z.object({
  bind: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8070),
  livekit: z.object({
    /** What clients connect to (ws:// or wss://). */
    url: z.string().regex(/^wss?:\/\//),
    /** Where the service calls LiveKit's server API (http:// or https://). */
    apiUrl: z.url(),
    apiKey: z.string().min(1),
    apiSecret: z.string().min(1),
  }),
  /** The district: server name → its school. Users of other servers get no token. */
  schools: z.record(z.string(), School),
  /** Signs the session tokens of the moderation API (≥ 32 characters). */
  sessionSecret: z.string().min(32),
  tokenTtlSeconds: z.number().int().min(30).max(3600).default(300),
  openidCacheMs: z.number().int().min(0).default(60_000),
  rateLimit: z
    .object({
      perUser: z.object({ capacity: z.number().int().min(1), perSecond: z.number().min(0.01) }).default({ capacity: 20, perSecond: 2 }),
      perSchool: z.object({ capacity: z.number().int().min(1), perSecond: z.number().min(0.01) }).default({ capacity: 2000, perSecond: 1000 }),
    })
    .default({ perUser: { capacity: 20, perSecond: 2 }, perSchool: { capacity: 2000, perSecond: 1000 } }),
});
export type VideoServiceConfig = z.infer<typeof VideoServiceConfigSchema>;
