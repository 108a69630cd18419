// The .well-known/matrix documents: server delegation with an explicit port, client discovery with the video focus.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SchoolFileSchema, wellKnownClient, wellKnownServer } from "@schulhof/homeserver-config";
import { minimalSchool } from "./support.ts";

function schoolAt(publicBaseurl: string): ReturnType<typeof SchoolFileSchema.parse> {
  const raw = minimalSchool();
  raw.homeserver = { server_name: "schule.example.de", public_baseurl: publicBaseurl };
  return SchoolFileSchema.parse(raw);
}

describe("wellKnownServer", () => {
  it("adds port 443 to an https URL without port", () => {
    assert.deepEqual(wellKnownServer(schoolAt("https://schule.example.de")), { "m.server": "schule.example.de:443" });
  });

  it("adds port 80 to an http URL, and keeps an explicit port", () => {
    assert.deepEqual(wellKnownServer(schoolAt("http://schule.example.de")), { "m.server": "schule.example.de:80" });
    assert.deepEqual(wellKnownServer(schoolAt("https://matrix.schule.example.de:8448/")), { "m.server": "matrix.schule.example.de:8448" });
  });
});

describe("wellKnownClient", () => {
  it("names the homeserver, the LiveKit focus and the school", () => {
    const raw = minimalSchool();
    raw.video = { token_service_url: "https://call.schule.example.de/sfu" };
    assert.deepEqual(wellKnownClient(SchoolFileSchema.parse(raw)), {
      "m.homeserver": { base_url: "https://schule.example.de" },
      "org.matrix.msc4143.rtc_foci": [{ type: "livekit", livekit_service_url: "https://call.schule.example.de/sfu" }],
      "de.schulhof.school": { name: "Gymnasium Musterstadt", state: "NW", mail_domain: "gymnasium-musterstadt.de" },
      "de.schulhof.api_base_url": "http://127.0.0.1:8080",
    });
  });

  it("names the web address under which the feature APIs are forwarded, without a trailing slash", () => {
    const raw = minimalSchool();
    raw.web = { public_url: "https://schule.example.de/" };
    assert.equal(wellKnownClient(SchoolFileSchema.parse(raw))["de.schulhof.api_base_url"], "https://schule.example.de");
  });
});
