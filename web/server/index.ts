// The web client's small server: the built client, the school's `.well-known/matrix` documents with CORS, and the
// feature APIs of the appservices forwarded under one address (`/_schulhof/<service>/…`), so the browser needs no CORS
// for them and a small school needs no reverse proxy of its own.
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import { createProxyMiddleware } from "http-proxy-middleware";

const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where the built client lives. */
export const WEB_DIST = join(WEB_ROOT, "dist");

export interface WebServerOptions {
  bind: string;
  port: number;
  /** Folder with `matrix/client` and `matrix/server`. */
  wellKnownDir: string;
  /** The built client; defaults to `web/dist`. */
  distDir?: string;
  /** Path prefix → origin it is forwarded to, e.g. `{"/_schulhof/homework": "http://127.0.0.1:9101"}`. */
  apis?: Record<string, string>;
}

/** Starts the server; resolves when it listens. */
export function startWebServer(opts: WebServerOptions): Promise<Server> {
  const app = express();
  app.disable("x-powered-by");
  for (const [prefix, target] of Object.entries(opts.apis ?? {})) {
    const path = prefix.replace(/\/+$/, "");
    // The path stays as it is: the appservices serve their API under the same prefix.
    app.use(createProxyMiddleware({ target, pathFilter: (p) => p === path || p.startsWith(`${path}/`), xfwd: true, proxyTimeout: 120_000 }));
  }
  app.use("/.well-known/matrix", (_req, res, next) => {
    res.set("access-control-allow-origin", "*");
    res.set("cache-control", "no-cache");
    res.type("application/json");
    next();
  });
  app.use("/.well-known", express.static(opts.wellKnownDir, { dotfiles: "allow" }));
  const root = opts.distDir ?? WEB_DIST;
  if (!existsSync(join(root, "index.html"))) {
    // A checkout without a build: say how to get one instead of a bare 404.
    app.get("/{*path}", (_req, res) =>
      void res
        .status(503)
        .type("html")
        .send('<!doctype html><html lang="de"><meta charset="utf-8"><title>Schulhof</title><p>Die Web-App ist noch nicht gebaut: <code>npm start</code> baut sie. / The web app is not built yet: <code>npm start</code> builds it.</p></html>'),
    );
  }
  // Hashed assets never change; the page itself is always revalidated.
  app.use("/assets", express.static(join(root, "assets"), { immutable: true, maxAge: "1y", fallthrough: false }));
  app.use(express.static(root, { setHeaders: (res, file) => void (file.endsWith(".html") && res.set("cache-control", "no-cache")) }));
  app.get("/{*path}", (_req, res) => res.set("cache-control", "no-cache").sendFile(join(root, "index.html")));
  return new Promise((resolveListen, reject) => {
    const server = app.listen(opts.port, opts.bind, (err?: Error) => (err === undefined ? resolveListen(server) : reject(err)));
  });
}
