// The parts of Synapse's admin API that provisioning uses: shared-secret registration and the user admin API.
import { createHmac } from "node:crypto";
import { RetryableError } from "../intake/dispatcher.ts";
import { SchulhofError } from "../errors.ts";

/** A refusal or failure of the admin API, with the homeserver's errcode. */
export class SynapseAdminError extends SchulhofError {
  readonly status: number;
  constructor(status: number, errcode: string, message: string) {
    super("SCHULHOF_SYNAPSE_ADMIN", `Synapse admin API: ${status} ${errcode} ${message}`, undefined, { errcode, httpStatus: status });
    this.status = status;
  }
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new RetryableError(`homeserver unreachable: ${(e as Error).message}`, e);
  }
  const text = await res.text();
  const body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  if (!res.ok) {
    if (res.status === 429 || res.status >= 500) throw new RetryableError(`homeserver answered ${res.status}`);
    throw new SynapseAdminError(res.status, String(body.errcode ?? "M_UNKNOWN"), String(body.error ?? text));
  }
  return body as T;
}

/** Registers a user with the registration shared secret (HMAC-SHA1 over nonce, name, password, admin flag). */
export async function registerWithSharedSecret(
  homeserverUrl: string,
  sharedSecret: string,
  user: { username: string; password: string; admin: boolean; displayname?: string },
): Promise<{ access_token: string; user_id: string; device_id: string }> {
  const url = `${homeserverUrl}/_synapse/admin/v1/register`;
  const { nonce } = await call<{ nonce: string }>(url, { method: "GET" });
  const mac = createHmac("sha1", sharedSecret)
    .update(`${nonce}\0${user.username}\0${user.password}\0${user.admin ? "admin" : "notadmin"}`)
    .digest("hex");
  return call(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ nonce, username: user.username, password: user.password, admin: user.admin, displayname: user.displayname, mac }),
  });
}

/** Fields of `PUT /_synapse/admin/v2/users/<user_id>`. */
export interface AdminUserUpdate {
  password?: string;
  logout_devices?: boolean;
  displayname?: string;
  admin?: boolean;
  deactivated?: boolean;
  threepids?: { medium: "email"; address: string }[];
  external_ids?: { auth_provider: string; external_id: string }[];
}

/** The user admin API with a server admin's access token. */
export class SynapseAdmin {
  private readonly homeserverUrl: string;
  private readonly token: string;

  constructor(homeserverUrl: string, adminToken: string) {
    this.homeserverUrl = homeserverUrl;
    this.token = adminToken;
  }

  /** Creates or changes a user; answers whether it was created. */
  async upsertUser(userId: string, update: AdminUserUpdate): Promise<{ created: boolean }> {
    const url = `${this.homeserverUrl}/_synapse/admin/v2/users/${encodeURIComponent(userId)}`;
    const res = await fetch(url, {
      method: "PUT",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify(update),
    }).catch((e: unknown) => {
      throw new RetryableError(`homeserver unreachable: ${(e as Error).message}`, e);
    });
    const text = await res.text();
    if (!res.ok) {
      const body = (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>;
      if (res.status === 429 || res.status >= 500) throw new RetryableError(`homeserver answered ${res.status}`);
      throw new SynapseAdminError(res.status, String(body.errcode ?? "M_UNKNOWN"), String(body.error ?? text));
    }
    return { created: res.status === 201 };
  }

  /** The current state of a room this homeserver is in, or null when it knows no such room. */
  async roomState(roomId: string): Promise<{ type: string; state_key: string; sender: string; content: Record<string, unknown> }[] | null> {
    const url = `${this.homeserverUrl}/_synapse/admin/v1/rooms/${encodeURIComponent(roomId)}/state`;
    try {
      return (await call<{ state: { type: string; state_key: string; sender: string; content: Record<string, unknown> }[] }>(url, { headers: { authorization: `Bearer ${this.token}` } })).state;
    } catch (e) {
      if (e instanceof SynapseAdminError && (e.status === 404 || e.status === 400)) return null;
      throw e;
    }
  }

  /** Reads a user, or null when there is none. */
  async getUser(userId: string): Promise<{ name: string; deactivated: boolean; admin: boolean } | null> {
    const url = `${this.homeserverUrl}/_synapse/admin/v2/users/${encodeURIComponent(userId)}`;
    try {
      return await call(url, { headers: { authorization: `Bearer ${this.token}` } });
    } catch (e) {
      if (e instanceof SynapseAdminError && e.status === 404) return null;
      throw e;
    }
  }
}
