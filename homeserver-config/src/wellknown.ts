// The `.well-known/matrix` documents of a school: client discovery (with the video focus) and server delegation.
import type { SchoolFile } from "./schema.ts";

/** `/.well-known/matrix/client`: the homeserver and, for Element Call, the LiveKit token service. */
export function wellKnownClient(school: SchoolFile): Record<string, unknown> {
  return {
    "m.homeserver": { base_url: school.homeserver.public_baseurl },
    "org.matrix.msc4143.rtc_foci": [{ type: "livekit", livekit_service_url: school.video.token_service_url }],
    "de.schulhof.school": { name: school.school.name, state: school.school.state, mail_domain: school.school.mail_domain },
    // Where the web client finds the feature APIs (homework, calendar, mail, school): the web address, which forwards them.
    "de.schulhof.api_base_url": webPublicUrl(school),
  };
}

/** The address of the school's web client (without a trailing slash). */
export function webPublicUrl(school: SchoolFile): string {
  return (school.web.public_url ?? `http://${school.web.bind}:${school.web.port}`).replace(/\/+$/, "");
}

/** `/.well-known/matrix/server`: where other district servers reach this one. */
export function wellKnownServer(school: SchoolFile): Record<string, unknown> {
  const fed = school.homeserver.federation;
  // A district school delegates to its federation listener (TLS).
  if (fed !== undefined) return { "m.server": `${fed.host ?? school.homeserver.server_name}:${fed.port}` };
  const url = new URL(school.homeserver.public_baseurl);
  const port = url.port === "" ? (url.protocol === "https:" ? "443" : "80") : url.port;
  return { "m.server": `${url.hostname}:${port}` };
}
