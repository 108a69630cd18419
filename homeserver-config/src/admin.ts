// The server-admin service account (`@schulhof-system`) that provisioning uses for Synapse's user admin API.
import { randomBytes } from "node:crypto";
import { registerWithSharedSecret, SynapseAdminError } from "@schulhof/core";
import type { GeneratedSchool } from "./generate.ts";
import { saveSecrets } from "./secrets.ts";

export const SYSTEM_ADMIN_LOCALPART = "schulhof-system";

/**
 * Makes sure the secrets hold a working admin token: checks the stored one with `whoami`, else
 * registers the account with the shared secret (first start) and stores the new token.
 */
export async function ensureSystemAdmin(gen: GeneratedSchool, homeserverUrl: string): Promise<string> {
  const stored = gen.secrets.system_admin_token;
  if (stored !== undefined) {
    const res = await fetch(`${homeserverUrl}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${stored}` } });
    if (res.ok) return stored;
  }
  let token: string;
  try {
    token = (
      await registerWithSharedSecret(homeserverUrl, gen.secrets.registration_shared_secret, {
        username: SYSTEM_ADMIN_LOCALPART,
        password: randomBytes(32).toString("base64url"),
        admin: true,
        displayname: "Schulhof System",
      })
    ).access_token;
  } catch (e) {
    if (e instanceof SynapseAdminError && e.errcode === "M_USER_IN_USE") {
      throw new Error(
        `the account @${SYSTEM_ADMIN_LOCALPART} exists but its token in ${gen.secretsFile} is missing or invalid; ` +
          "restore the secrets file or remove the account with the admin API",
        { cause: e },
      );
    }
    throw e;
  }
  gen.secrets.system_admin_token = token;
  saveSecrets(gen.secretsFile, gen.secrets);
  return token;
}
