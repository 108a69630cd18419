// The OpenAPI file describes exactly the routes the school API serves (web sign-in, admin area, video membership).
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import express from "express";
import { documentedRoutes, servedRoutes, type AppserviceContext } from "@schulhof/core";
import { schoolAppservice } from "../src/app.ts";
import { VIDEO_MEMBERSHIP_PATH } from "../src/api/video.ts";
import { SCHOOL_API_PREFIX } from "../src/api/web.ts";
import { SchoolAppserviceConfigSchema } from "../src/config.ts";

it("lists every route of the API, and no other", async () => {
  const app = express();
  const ctx = { log: { error: () => undefined, warn: () => undefined, info: () => undefined }, db: {}, matrix: { botUserId: "@schule:x" } } as unknown as AppserviceContext;
  // Every optional part switched on: the web API (session secret) and the video membership (video secret).
  const config = SchoolAppserviceConfigSchema.parse({
    schoolName: "Testschule",
    schoolState: "NI",
    mailDomain: "schule.example",
    serverName: "x",
    homeserverUrl: "http://127.0.0.1:1",
    systemAdminToken: "t".repeat(20),
    adminApiToken: "a".repeat(40),
    sessionSecret: "s".repeat(40),
    videoSecret: "v".repeat(40),
  });
  const handlers = await schoolAppservice.create(ctx, config);
  handlers.routes?.(app);
  assert.deepEqual(servedRoutes(app, SCHOOL_API_PREFIX), documentedRoutes(join(dirname(fileURLToPath(import.meta.url)), "..", "openapi.yaml")));
  assert.equal(SCHOOL_API_PREFIX, "/_schulhof/school/v1");
  assert.ok(VIDEO_MEMBERSHIP_PATH.startsWith(`${SCHOOL_API_PREFIX}/`));
});
