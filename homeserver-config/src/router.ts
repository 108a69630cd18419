// The router in front of a Synapse with workers: listens on the school's homeserver port and passes each request to
// the process that answers it (workers.ts: routeOf). One user's syncs always go to the same sync worker.
import { createHash } from "node:crypto";
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { routeOf, type WorkerLayout } from "./workers.ts";

export interface RunningRouter {
  port: number;
  /** Requests passed on so far, by process name (`main`, `sync1`, …). */
  counts: Map<string, number>;
  close(): Promise<void>;
}

/** Headers that belong to one connection and are not passed on. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

function passOn(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/** The access token of a request (header or query), for sticky sync routing. */
function tokenOf(req: IncomingMessage, query: URLSearchParams): string {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ") === true) return auth.slice(7);
  return query.get("access_token") ?? req.socket.remoteAddress ?? "";
}

/** Starts the router on `bind:port` (0: a free port). */
export async function startRouter(bind: string, port: number, layout: Pick<WorkerLayout, "workers" | "mainPort">): Promise<RunningRouter> {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const counts = new Map<string, number>();
  const pools = {
    sync: layout.workers.filter((w) => w.role === "sync"),
    client: layout.workers.filter((w) => w.role === "client"),
  };
  let turn = 0;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? "" : url.slice(q + 1);
    const pool = routeOf(path, query, layout);
    let target = { name: "main", port: layout.mainPort };
    if (pool === "sync") {
      const n = createHash("sha1").update(tokenOf(req, new URLSearchParams(query))).digest().readUInt32BE(0);
      const w = pools.sync[n % pools.sync.length];
      if (w !== undefined) target = w;
    } else if (pool === "client") {
      const w = pools.client[turn++ % pools.client.length];
      if (w !== undefined) target = w;
    }
    counts.set(target.name, (counts.get(target.name) ?? 0) + 1);
    const forwardedFor = [req.headers["x-forwarded-for"], req.socket.remoteAddress].filter((v) => v !== undefined && v !== "").join(", ");
    const upstream = request(
      {
        host: "127.0.0.1",
        port: target.port,
        method: req.method,
        path: url,
        headers: { ...passOn(req.headers), "x-forwarded-for": forwardedFor, "x-forwarded-proto": req.headers["x-forwarded-proto"] ?? "http" },
        agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, passOn(up.headers));
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ errcode: "M_UNKNOWN", error: `Synapse process ${target.name} is not reachable` }));
      } else res.destroy();
    });
    // A client that gives up (a long-poll cancelled) ends the request upstream too.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };

  const server: Server = createServer(handle);
  // Long-polls and slow uploads: no request deadline beyond Synapse's own.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, bind, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
