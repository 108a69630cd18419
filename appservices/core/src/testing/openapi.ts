// Test helper: the routes an OpenAPI file documents and the routes an Express app serves, as comparable "METHOD /path" lines.
import { readFileSync } from "node:fs";
import type { Express } from "express";
import { parse } from "yaml";

/** One layer of an Express 5 router stack, as far as the walk needs it (router internals, not a public API). */
interface StackLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: StackLayer[] };
  /** The mount path of `app.use(path, router)` (router 2.x). */
  rawPath?: unknown;
}

/**
 * The operations of an OpenAPI file as `"GET /courses/:course"` (path templates in Express syntax), sorted.
 * Paths stay relative to the file's server URL. Called by the `openapi.test.ts` of each API; reads the file synchronously.
 */
export function documentedRoutes(specFile: string): string[] {
  const spec = parse(readFileSync(specFile, "utf8")) as { paths?: Record<string, Record<string, unknown>> };
  const methods = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
  return Object.entries(spec.paths ?? {})
    .flatMap(([path, item]) => Object.keys(item).filter((m) => methods.has(m)).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`))
    .sort();
}

/**
 * The routes `app` serves as `"GET /courses/:course"`, sorted and without duplicates, walking mounted routers.
 * Routes under `prefix` lose it, so they compare with a spec whose server URL is `prefix`; others keep their full path.
 * Must only be used in tests: it reads Express internals, and a new Express major may need it adapted.
 */
export function servedRoutes(app: Express, prefix = ""): string[] {
  const served = new Set<string>();
  const walk = (stack: readonly StackLayer[], base: string): void => {
    for (const layer of stack) {
      if (layer.route !== undefined) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          const full = `${base}${path}`;
          const shown = prefix !== "" && full.startsWith(`${prefix}/`) ? full.slice(prefix.length) : full;
          for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== "_all") served.add(`${method.toUpperCase()} ${shown}`);
        }
      } else if (layer.handle?.stack !== undefined) {
        const mount = typeof layer.rawPath === "string" && layer.rawPath !== "/" ? layer.rawPath.replace(/\/+$/, "") : "";
        walk(layer.handle.stack, `${base}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: StackLayer[] } }).router.stack, "");
  return [...served].sort();
}
