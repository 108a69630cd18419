// The OpenAPI file describes exactly the routes the video token service serves (token endpoints and moderation API).
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import { createLogger, documentedRoutes, servedRoutes } from "@schulhof/core";
import { videoServiceApp } from "../src/app.ts";
import { VideoServiceConfigSchema } from "../src/config.ts";

it("lists every route of the service, and no other", () => {
  const config = VideoServiceConfigSchema.parse({
    livekit: { url: "ws://127.0.0.1:1", apiUrl: "http://127.0.0.1:1", apiKey: "key", apiSecret: "secret" },
    schools: { x: { homeserverUrl: "http://127.0.0.1:1", schoolApiUrl: "http://127.0.0.1:2", secret: "v".repeat(40) } },
    sessionSecret: "s".repeat(40),
  });
  const app = videoServiceApp(config, createLogger("test", "silent"));
  // The spec's server is the service's root: every path is absolute.
  assert.deepEqual(servedRoutes(app), documentedRoutes(join(dirname(fileURLToPath(import.meta.url)), "..", "openapi.yaml")));
});
