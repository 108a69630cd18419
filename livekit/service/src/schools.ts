// Asking a person's own school whether they are in a room, and with what power (the school reads its homeserver).
import type { VideoServiceConfig } from "./config.ts";

export interface Membership {
  known: boolean;
  joined: boolean;
  banned: boolean;
  power: number;
  settings: Record<string, unknown>;
  room_name: string | null;
}

/** Thrown when the school cannot be asked (down, timeout): only that school's users are refused. */
export class SchoolUnreachableError extends Error {
  readonly serverName: string;
  constructor(serverName: string, cause: unknown) {
    super(`school ${serverName} unreachable: ${String((cause as Error).message ?? cause)}`);
    this.serverName = serverName;
  }
}

/** Asks the school of `userId` (its server) about `roomId`. */
export async function membershipOf(config: VideoServiceConfig, serverName: string, roomId: string, userId: string): Promise<Membership> {
  const school = config.schools[serverName];
  if (school === undefined) throw new SchoolUnreachableError(serverName, new Error("not in the district"));
  const url = `${school.schoolApiUrl.replace(/\/$/, "")}/_schulhof/school/v1/video/membership?${new URLSearchParams({ room_id: roomId, user_id: userId })}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${school.secret}` }, signal: AbortSignal.timeout(5000) });
  } catch (e) {
    throw new SchoolUnreachableError(serverName, e);
  }
  if (!res.ok) throw new SchoolUnreachableError(serverName, new Error(`HTTP ${res.status}`));
  return (await res.json()) as Membership;
}
