// The web client's small server: the built client, and the school's `.well-known/matrix` documents with CORS.
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";

const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface WebServerOptions {
  bind: string;
  port: number;
  /** Folder with `matrix/client` and `matrix/server`. */
  wellKnownDir: string;
  /** The built client; defaults to `web/dist`, else the placeholder page in `web/public`. */
  distDir?: string;
}

/** Starts the server; resolves when it listens. */
export function startWebServer(opts: WebServerOptions): Promise<Server> {
  const app = express();
  app.disable("x-powered-by");
  app.use("/.well-known/matrix", (_req, res, next) => {
    res.set("access-control-allow-origin", "*");
    res.type("application/json");
    next();
  });
  app.use("/.well-known", express.static(opts.wellKnownDir, { dotfiles: "allow" }));
  const dist = opts.distDir ?? join(WEB_ROOT, "dist");
  const root = existsSync(join(dist, "index.html")) ? dist : join(WEB_ROOT, "public");
  app.use(express.static(root));
  app.get("/{*path}", (_req, res) => res.sendFile(join(root, "index.html")));
  return new Promise((resolveListen, reject) => {
    const server = app.listen(opts.port, opts.bind, (err?: Error) => (err === undefined ? resolveListen(server) : reject(err)));
  });
}
