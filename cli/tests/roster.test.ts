// `schulhof roster import` passes --force and --admins-from-roster to the school API and shows its refusal as it is.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, it } from "node:test";
import type { GeneratedSchool } from "@schulhof/homeserver-config";
import { importViaApi } from "../src/roster.ts";

const REFUSAL = "Der Import würde 16 von 17 aktiven Personen der Schule deaktivieren (94 %; ohne Bestätigung erlaubt sind höchstens 20 %). … mit „schulhof roster import --force“ bestätigen";
let server: Server;
let gen: GeneratedSchool;
const asked: URLSearchParams[] = [];

before(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const q = new URL(req.url ?? "/", "http://x").searchParams;
    asked.push(q);
    req.resume();
    req.on("end", () => {
      res.setHeader("content-type", "application/x-ndjson");
      if (q.get("force") !== "1") res.end(JSON.stringify({ error: { errcode: "M_FORBIDDEN", schulhof_code: "SCHULHOF_ROSTER_MASS_DEACTIVATION", error: REFUSAL, deactivating: 16, active: 17 } }) + "\n");
      else res.end(JSON.stringify({ report: { dryRun: false, diffText: "0 neu, 16 deaktivieren", letters: [], failures: [], seconds: { total: 1 } } }) + "\n");
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as AddressInfo).port;
  gen = { school: { appservices: { school: { bind: "127.0.0.1", port } } }, secrets: { admin_api_token: "t" } } as unknown as GeneratedSchool;
});

after(() => server.close());

it("throws the server's refusal with the count and how to confirm, and confirms with --force", async () => {
  const opts = { dryRun: false, skipInvalid: false, fileName: "liste.csv", lettersPath: null, loginsPath: null, quiet: true };
  await assert.rejects(importViaApi(gen, Buffer.from("x"), opts), (e: Error) => e.message === REFUSAL);
  assert.equal(asked.at(-1)?.get("force"), null);
  const report = await importViaApi(gen, Buffer.from("x"), { ...opts, force: true, adminsFromRoster: true });
  assert.equal(report.diffText, "0 neu, 16 deaktivieren");
  assert.deepEqual([asked.at(-1)?.get("force"), asked.at(-1)?.get("admins_from_roster")], ["1", "1"]);
});
