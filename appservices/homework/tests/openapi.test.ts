// The OpenAPI file describes exactly the routes the homework API serves.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import express from "express";
import { parse } from "yaml";
import { homeworkApi, API_PREFIX } from "../src/api/routes.ts";
import type { AppserviceContext } from "@schulhof/core";

it("lists every route of the API, and no other", () => {
  const spec = parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "openapi.yaml"), "utf8")) as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(spec.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ":$1")}`));
  const app = express();
  const ctx = { log: { error: () => undefined, warn: () => undefined, info: () => undefined }, db: {}, matrix: { botUserId: "@hausaufgaben:x" } } as unknown as AppserviceContext;
  homeworkApi(app, ctx, { sessionSecret: "s".repeat(40), homeservers: {} });
  const router = (app as unknown as { router: { stack: { handle: { stack?: { route?: { path: string; methods: Record<string, boolean> } }[] } }[] } }).router;
  const served: string[] = [];
  for (const layer of router.stack) {
    for (const r of layer.handle.stack ?? []) {
      if (r.route !== undefined) for (const m of Object.keys(r.route.methods)) served.push(`${m.toUpperCase()} ${r.route.path}`);
    }
  }
  served.push("POST /admin/reindex");
  assert.deepEqual([...new Set(served)].sort(), documented.sort());
  assert.equal(API_PREFIX, "/_schulhof/homework/v1");
});
