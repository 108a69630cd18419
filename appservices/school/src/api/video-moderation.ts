// Teachers' `!video` commands carried out by the district's video token service, which checks the teacher's power
// in the room itself (it asks this school back) and acts on LiveKit. The school's video secret says who is asking.
import { SchulhofError } from "@schulhof/core";
import type { VideoAction } from "../bot/commands.ts";

/** A `moderate` function for the command port, talking to the token service at `serviceUrl`. */
export function moderateVia(serviceUrl: string, secret: string) {
  return async (roomId: string, actor: string, action: VideoAction, userId?: string): Promise<{ affected: number }> => {
    const res = await fetch(`${serviceUrl.replace(/\/+$/, "")}/_schulhof/video/v1/school/moderate`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({ room_id: roomId, actor, action, ...(userId === undefined ? {} : { user_id: userId }) }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { affected?: number; errcode?: string; error?: string };
    // A refusal is an answer (the service said no); anything else is worth a retry of the command.
    if (res.status >= 500) throw new SchulhofError("video_unavailable", `video service: HTTP ${res.status} ${body.error ?? ""}`);
    if (!res.ok) return { affected: 0 };
    return { affected: body.affected ?? 0 };
  };
}
