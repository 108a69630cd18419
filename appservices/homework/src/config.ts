// Configuration of the homework appservice.
import { z } from "zod";

export const HomeworkConfigSchema = z.object({
  serverName: z.string().min(1),
  language: z.enum(["de", "en"]).default("de"),
  timezone: z.string().default("Europe/Berlin"),
  /** Secret for the web client's session tokens (at least 32 characters). */
  sessionSecret: z.string().min(32),
  /** Servers whose users' OpenID tokens are accepted: server name → base URL (this school and its district). */
  trustedHomeservers: z.record(z.string(), z.url()),
  /** The district's other schools: their homework bots read along in our shared courses, and ours in theirs. */
  districtServers: z.array(z.string()).default([]),
  /** Bearer token of the admin API (reindex), shared with the CLI. */
  adminApiToken: z.string().min(32),
  /** How often background work runs (room creation, reminders), in ms. */
  tickMs: z.number().int().min(100).default(5_000),
});
export type HomeworkConfig = z.infer<typeof HomeworkConfigSchema>;
