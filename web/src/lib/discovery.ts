// Reads the school's `/.well-known/matrix/client` from the client's own origin: homeserver, school, video service, feature APIs.
import { ClientError } from "./errors.ts";

/** What the client knows about its school after discovery. */
export interface SchoolConfig {
  /** Synapse's client API base URL, without a trailing slash. */
  homeserverUrl: string;
  /** From `de.schulhof.school`; null when the document has none. */
  school: { name: string; state: string; mailDomain: string } | null;
  /** The video token service (`org.matrix.msc4143.rtc_foci[0].livekit_service_url`); null when the school has no video. */
  livekitServiceUrl: string | null;
  /** Where the feature APIs live (`{apiBaseUrl}/_schulhof/homework/v1`, …); the page's own origin when not announced. */
  apiBaseUrl: string;
}

const trimSlash = (url: string): string => url.replace(/\/+$/, "");

function httpUrl(value: unknown): string | null {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? trimSlash(url.toString()) : null;
  } catch {
    return null;
  }
}

const record = (value: unknown): Record<string, unknown> => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/** Reads a `.well-known/matrix/client` document; throws `ClientError("discovery_invalid")` without a usable homeserver. */
export function parseWellKnown(document: unknown, origin: string): SchoolConfig {
  const doc = record(document);
  const homeserverUrl = httpUrl(record(doc["m.homeserver"]).base_url);
  if (homeserverUrl === null) throw new ClientError("discovery_invalid", "m.homeserver.base_url missing or not an http(s) URL");
  const school = record(doc["de.schulhof.school"]);
  const foci = Array.isArray(doc["org.matrix.msc4143.rtc_foci"]) ? (doc["org.matrix.msc4143.rtc_foci"] as unknown[]) : [];
  const livekit = foci.map(record).find((f) => f.type === "livekit");
  return {
    homeserverUrl,
    school: typeof school.name === "string" ? { name: school.name, state: String(school.state ?? ""), mailDomain: String(school.mail_domain ?? "") } : null,
    livekitServiceUrl: httpUrl(livekit?.livekit_service_url),
    apiBaseUrl: httpUrl(doc["de.schulhof.api_base_url"]) ?? trimSlash(origin),
  };
}

/** Fetches and reads the document of `origin` (default: this page's origin). */
export async function discoverSchool(origin: string = location.origin): Promise<SchoolConfig> {
  let response: Response;
  try {
    response = await fetch(`${trimSlash(origin)}/.well-known/matrix/client`, { headers: { accept: "application/json" }, cache: "no-cache" });
  } catch (e) {
    throw new ClientError("server_unreachable", "well-known fetch failed", e);
  }
  if (!response.ok) throw new ClientError("discovery_invalid", `well-known answered HTTP ${response.status}`);
  let body: unknown;
  try {
    body = await response.json();
  } catch (e) {
    throw new ClientError("discovery_invalid", "well-known is not JSON", e);
  }
  return parseWellKnown(body, origin);
}
