// The OpenAPI file describes exactly the routes the calendar API serves.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import express from "express";
import { parse } from "yaml";
import type { AppserviceContext } from "@schulhof/core";
import { calendarApi, API_PREFIX } from "../src/api/routes.ts";
import { DEFAULT_PERIOD_TIMES } from "../src/domain.ts";

it("lists every route of the API, and no other", () => {
  const spec = parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "openapi.yaml"), "utf8")) as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(spec.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ":$1")}`));
  const app = express();
  const ctx = { log: { error: () => undefined, warn: () => undefined, info: () => undefined }, db: {}, matrix: { botUserId: "@kalender:x" } } as unknown as AppserviceContext;
  const env = { botUserId: "@kalender:x", examBotUserId: "@klausuren:x", lang: "de", timezone: "Europe/Berlin", state: "NI", periodTimes: DEFAULT_PERIOD_TIMES, publicBaseUrl: "http://127.0.0.1", sessionSecret: "s".repeat(40) } as const;
  calendarApi(app, ctx, env, { homeservers: {}, feedCacheEntries: 0 });
  const router = (app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: { route?: { path: string; methods: Record<string, boolean> } }[] } }[] } }).router;
  const served: string[] = [];
  for (const layer of router.stack) {
    if (layer.route !== undefined) for (const m of Object.keys(layer.route.methods)) served.push(`${m.toUpperCase()} ${layer.route.path.replace(API_PREFIX, "")}`);
    for (const r of layer.handle.stack ?? []) {
      if (r.route !== undefined) for (const m of Object.keys(r.route.methods)) served.push(`${m.toUpperCase()} ${r.route.path}`);
    }
  }
  served.push("POST /admin/reindex");
  assert.deepEqual([...new Set(served)].sort(), documented.sort());
  assert.equal(API_PREFIX, "/_schulhof/calendar/v1");
});
