// A fake homeserver for the OpenID tests: answers the federation OpenID userinfo endpoint and counts calls.
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";

/** A running fake homeserver; `tokens` maps an OpenID access token to the `sub` it answers with. */
export interface FakeHomeserver {
  url: string;
  calls: number;
  close(): Promise<void>;
}

/** Starts a fake homeserver on 127.0.0.1 (port 0); tokens not in `tokens` get 401 `M_UNKNOWN_TOKEN`, `"crash"` gets 500. */
export async function startFakeHomeserver(tokens: Record<string, unknown>): Promise<FakeHomeserver> {
  const app = express();
  const fake: FakeHomeserver = { url: "", calls: 0, close: () => Promise.resolve() };
  app.get("/_matrix/federation/v1/openid/userinfo", (req, res) => {
    fake.calls += 1;
    const token = typeof req.query.access_token === "string" ? req.query.access_token : "";
    if (token === "crash") return void res.status(500).json({ errcode: "M_UNKNOWN", error: "boom" });
    if (!Object.hasOwn(tokens, token)) return void res.status(401).json({ errcode: "M_UNKNOWN_TOKEN", error: "Access Token unknown or expired" });
    res.json({ sub: tokens[token] });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return fake;
}

/** A URL on 127.0.0.1 where nothing listens (a port that was just freed). */
export async function closedPortUrl(): Promise<string> {
  const fake = await startFakeHomeserver({});
  await fake.close();
  return fake.url;
}
