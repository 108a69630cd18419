// Synapse's admin API as the data-protection commands use it: one small client with errors that name the call.
import { SchulhofError } from "@schulhof/core";

/** An error people read: German first, English second. */
export class PersonError extends SchulhofError {
  constructor(german: string, english: string, code = "SCHULHOF_PERSON") {
    super(code, `${german} / ${english}`, { de: german, en: english });
    this.name = "PersonError";
  }
}

export interface AdminApi {
  /** JSON of a call; `null` for 404 when `allow404`. Throws a PersonError naming the path otherwise. */
  json<T>(method: string, path: string, body?: unknown, allow404?: boolean): Promise<T | null>;
  /** Bytes of a call (media download). */
  bytes(path: string): Promise<{ data: Uint8Array; contentType: string } | null>;
}

export function adminApi(baseUrl: string, token: string): AdminApi {
  const headers = { authorization: `Bearer ${token}` };
  return {
    async json<T>(method: string, path: string, body?: unknown, allow404 = false): Promise<T | null> {
      let res: Response;
      try {
        res = await fetch(`${baseUrl}${path}`, {
          method,
          headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (e) {
        throw new PersonError(`Synapse unter ${baseUrl} nicht erreichbar (${method} ${path}): ${String(e)}`, `Synapse at ${baseUrl} unreachable`);
      }
      if (res.status === 404 && allow404) return null;
      const text = await res.text();
      if (!res.ok) throw new PersonError(`Synapse antwortet ${res.status} auf ${method} ${path}: ${text.slice(0, 300)}`, `Synapse answered ${res.status} to ${method} ${path}`);
      return JSON.parse(text) as T;
    },
    async bytes(path: string) {
      const res = await fetch(`${baseUrl}${path}`, { headers });
      if (res.status === 404) return null;
      if (!res.ok) throw new PersonError(`Synapse antwortet ${res.status} auf GET ${path}`, `Synapse answered ${res.status} to GET ${path}`);
      return { data: new Uint8Array(await res.arrayBuffer()), contentType: res.headers.get("content-type") ?? "application/octet-stream" };
    },
  };
}

/** Runs `fn` over `items` with at most `n` at a time, in order of the results. */
export async function mapLimit<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** Checks a Matrix user id of this school; answers it. */
export function checkUserId(userId: string | undefined, serverName: string): string {
  if (userId === undefined || !/^@[^:\s]+:[^\s]+$/.test(userId))
    throw new PersonError(`Ungültige Matrix-ID „${userId ?? ""}“ (erwartet @name:${serverName})`, `invalid Matrix user id "${userId ?? ""}" (expected @name:${serverName})`);
  const server = userId.slice(userId.indexOf(":") + 1);
  if (server !== serverName)
    throw new PersonError(`${userId} gehört nicht zu dieser Schule (${serverName}); Auskunft gibt die Schule von ${server}`, `${userId} is not of this school (${serverName}); ask the school of ${server}`);
  return userId;
}
