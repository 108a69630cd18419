// Configuration of the mail bridge: SMTP in, the relay out, DKIM, the school's policy and (for tests and the demo) static DNS.
import { z } from "zod";
import { MailPolicySchema } from "./policy/index.ts";

export const MailBridgeConfigSchema = z.object({
  serverName: z.string().min(1),
  mailDomain: z.string().min(1),
  language: z.enum(["de", "en"]).default("de"),
  /** The school appservice's directory (people and groups) and the admin token to read it. */
  directoryUrl: z.url(),
  adminApiToken: z.string().min(32),
  sessionSecret: z.string().min(32),
  trustedHomeservers: z.record(z.string(), z.url()),
  smtp: z.object({
    bind: z.string().default("127.0.0.1"),
    port: z.number().int().min(0).max(65535),
    hostname: z.string().min(1),
    /** PEM key and certificate for STARTTLS; without them STARTTLS is not offered. */
    tls: z.object({ key: z.string().min(1), cert: z.string().min(1) }).nullable().default(null),
    maxRecipients: z.number().int().min(1).max(1000).default(100),
    /** Parallel connections from one address (large providers open several). */
    maxClientsPerIp: z.number().int().min(1).max(1000).default(25),
  }),
  relay: z.object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    secure: z.boolean().default(false),
    requireTls: z.boolean().default(false),
    user: z.string().optional(),
    password: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
  }),
  dkim: z.object({ selector: z.string().min(1), privateKey: z.string().min(1) }),
  verpSecret: z.string().min(16),
  policy: MailPolicySchema.default(MailPolicySchema.parse({})),
  /** Static DNS records for SPF/DKIM/DMARC checks (tests, demo); null = the system resolver. */
  dns: z.record(z.string(), z.record(z.string(), z.array(z.union([z.string(), z.array(z.string())])))).nullable().default(null),
  tickMs: z.number().int().min(20).default(2_000),
  /** Outbound: how long a message is retried before it bounces to its sender. */
  maxAgeMs: z.number().int().min(1000).default(2 * 24 * 3600_000),
  backoffBaseMs: z.number().int().min(10).default(30_000),
  directoryRefreshMs: z.number().int().min(100).default(60_000),
});
export type MailBridgeConfig = z.infer<typeof MailBridgeConfigSchema>;
