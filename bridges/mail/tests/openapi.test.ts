// The OpenAPI file describes exactly the routes the mail bridge's API serves.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import express from "express";
import { documentedRoutes, servedRoutes, type AppserviceContext } from "@schulhof/core";
import { mailApi, MAIL_API_PREFIX } from "../src/api.ts";
import type { MailBridgeConfig } from "../src/config.ts";
import type { Directory } from "../src/directory.ts";
import type { OutgoingEnv } from "../src/outgoing.ts";

it("lists every route of the API, and no other", () => {
  const app = express();
  const ctx = { log: { error: () => undefined, warn: () => undefined, info: () => undefined }, db: {}, matrix: { botUserId: "@mail:x" } } as unknown as AppserviceContext;
  const config = { sessionSecret: "s".repeat(40), trustedHomeservers: { x: "http://127.0.0.1:1" } } as unknown as MailBridgeConfig;
  mailApi(app, ctx, { config, directory: {} as Directory, outEnv: {} as OutgoingEnv, kick: () => undefined });
  const served = servedRoutes(app, MAIL_API_PREFIX);
  assert.deepEqual(served, documentedRoutes(join(dirname(fileURLToPath(import.meta.url)), "..", "openapi.yaml")));
  assert.equal(MAIL_API_PREFIX, "/_schulhof/mail/v1");
});
