// Secrets of one school, made at first start into the data folder (mode 0600), never committed or logged.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, parseConfig } from "@schulhof/core";

const TokenPair = z.object({ as_token: z.string().min(32), hs_token: z.string().min(32) });

export const SecretsSchema = z.object({
  registration_shared_secret: z.string().min(32),
  macaroon_secret_key: z.string().min(32),
  form_secret: z.string().min(32),
  appservices: z.record(z.string(), TokenPair),
  /** Bearer token of the appservices' admin HTTP API (the CLI uses it). */
  admin_api_token: z.string().min(32),
  /** Signs the web client's session tokens for the appservice APIs. */
  session_secret: z.string().min(32),
  /** Access token of the server-admin service account that provisioning uses; made at first start. */
  system_admin_token: z.string().optional(),
  /** The mail bridge's DKIM signing key (PEM, RSA 2048) and the secret of its bounce addresses. */
  mail_dkim_private_key: z.string().min(100),
  mail_verp_secret: z.string().min(32),
  /** Shared with the district's video token service: it asks the school who is in a room. */
  video_secret: z.string().min(32),
  /** The demo's own LiveKit key pair (a district's central LiveKit has its own, in its token service config). */
  livekit_api_key: z.string().min(3),
  livekit_api_secret: z.string().min(32),
});
export type Secrets = z.infer<typeof SecretsSchema>;

/** A random token with 256 bits. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** A new RSA 2048 DKIM signing key (PEM). */
export function newDkimKey(): string {
  return generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** Reads the secrets file, or makes one. Tokens for appservices not yet known are added. */
export function loadOrCreateSecrets(file: string, appserviceIds: readonly string[]): Secrets {
  let secrets: Secrets;
  let changed = !existsSync(file);
  if (existsSync(file)) {
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(file, "", `not valid JSON (${(e as Error).message}); restore it from the backup`);
    }
    if (raw.livekit_api_key === undefined) {
      raw.livekit_api_key = `API${randomBytes(6).toString("hex")}`;
      changed = true;
    }
    for (const key of ["admin_api_token", "session_secret", "mail_verp_secret", "video_secret", "livekit_api_secret"]) {
      if (raw[key] === undefined) {
        raw[key] = newToken();
        changed = true;
      }
    }
    if (raw.mail_dkim_private_key === undefined) {
      raw.mail_dkim_private_key = newDkimKey();
      changed = true;
    }
    secrets = parseConfig(file, raw, SecretsSchema);
  } else {
    secrets = {
      registration_shared_secret: newToken(),
      macaroon_secret_key: newToken(),
      form_secret: newToken(),
      admin_api_token: newToken(),
      session_secret: newToken(),
      mail_dkim_private_key: newDkimKey(),
      mail_verp_secret: newToken(),
      video_secret: newToken(),
      livekit_api_key: `API${randomBytes(6).toString("hex")}`,
      livekit_api_secret: newToken(),
      appservices: {},
    };
  }
  for (const id of appserviceIds) {
    if (secrets.appservices[id] === undefined) {
      secrets.appservices[id] = { as_token: newToken(), hs_token: newToken() };
      changed = true;
    }
  }
  if (changed) saveSecrets(file, secrets);
  return secrets;
}

/** Writes the secrets file readable by its owner only. */
export function saveSecrets(file: string, secrets: Secrets): void {
  writeFileSync(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
}
