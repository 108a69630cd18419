// The admin API's roster import with the school's guards, without a homeserver: dry runs and refusals change nothing.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { migrate, openPglite, type AppserviceContext, type Db, type SynapseAdmin } from "@schulhof/core";
import { adminRoutes } from "../../src/api/admin.ts";
import { SchoolAppserviceConfigSchema } from "../../src/config.ts";
import { allPeople, savePerson } from "../../src/store/people.ts";
import { SCHOOL_MIGRATIONS } from "../../src/store/migrations.ts";

const TOKEN = "a".repeat(40);
let db: Db;
let base = "";
let close: () => void = () => undefined;

/** The demo's situation: one admin (Birgit Schäfer), a teacher and eight students. */
const PEOPLE = [
  { key: "birgit|schäfer", userId: "@birgit.schaefer:x", role: "admin" as const, firstName: "Birgit", lastName: "Schäfer", className: null },
  { key: "lena|köhler", userId: "@lena.koehler:x", role: "teacher" as const, firstName: "Lena", lastName: "Köhler", className: "7a" },
  ...Array.from({ length: 8 }, (_, i) => ({ key: `kind${i}|muster`, userId: `@kind${i}.muster:x`, role: "student" as const, firstName: `Kind${i}`, lastName: "Muster", className: "7a" })),
];
const HEADER = "Rolle;Vorname;Nachname;Klasse;Kurse\n";
const row = (p: (typeof PEOPLE)[number]): string => `${p.role === "teacher" ? "Lehrer" : p.role === "admin" ? "Admin" : "Schüler"};${p.firstName};${p.lastName};${p.className ?? ""};\n`;
/** The administration software's export: teachers and students, no admin rows. */
const EXPORT = HEADER + PEOPLE.filter((p) => p.role !== "admin").map(row).join("");

/** The last NDJSON line; fields read loosely (a test looks at what the CLI and the Verwaltung read). */
type Loose = { [key: string]: Loose } & Record<string, unknown>;

async function post(csv: string, query: Record<string, string>): Promise<{ report?: Loose; error?: Loose }> {
  const res = await fetch(`${base}/_schulhof/school/v1/admin/roster/import?${new URLSearchParams(query)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "text/csv" },
    body: csv,
  });
  const lines = (await res.text()).trim().split("\n");
  return JSON.parse(lines.at(-1) ?? "{}") as { report?: Loose; error?: Loose };
}

before(async () => {
  db = await openPglite(null);
  await migrate(db, "school", SCHOOL_MIGRATIONS);
  for (const p of PEOPLE) await savePerson(db, { ...p, courses: [], email: null, active: true });
  const config = SchoolAppserviceConfigSchema.parse({
    schoolName: "Testschule",
    schoolState: "NI",
    mailDomain: "schule.example",
    serverName: "x",
    homeserverUrl: "http://127.0.0.1:1",
    systemAdminToken: "t".repeat(20),
    adminApiToken: TOKEN,
  });
  const silent = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
  const ctx = { log: silent, db, matrix: { botUserId: "@schule:x" } } as unknown as AppserviceContext;
  // A refused or dry import never reaches the homeserver: an admin API that is called fails the test.
  const admin = new Proxy({}, { get: () => () => Promise.reject(new Error("the homeserver was asked")) }) as SynapseAdmin;
  const app = express();
  adminRoutes(app, ctx, config, admin);
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});

after(() => close());

describe("roster import guards (admin API)", () => {
  it("keeps the only admin in a dry run of an export without admin rows, and says so", async () => {
    const { report } = await post(EXPORT, { dry_run: "1" });
    assert.deepEqual(report?.diff?.removed, []);
    assert.deepEqual((report?.guard?.keptAdmins as unknown as { userId: string; reason: string }[]).map((k) => [k.userId, k.reason]), [["@birgit.schaefer:x", "not_in_roster"]]);
    assert.match(String(report?.diffText), /Bleiben aktiv \(Admins\) \(1\):\n {2}= Birgit Schäfer/);
  });

  it("never deactivates the last active admin, even with admins_from_roster", async () => {
    const { report } = await post(EXPORT, { dry_run: "1", admins_from_roster: "1" });
    assert.deepEqual(report?.diff?.removed, []);
    assert.match(String(report?.diffText), /der letzte aktive Admin der Schule wird nie deaktiviert/);
  });

  it("refuses an import that deactivates more than 20 % without force, with the count and reason, and changes nothing", async () => {
    const half = HEADER + PEOPLE.slice(0, 5).map(row).join("");
    const dry = await post(half, { dry_run: "1" });
    assert.equal(dry.report?.guard?.needsForce, true);
    assert.match(String(dry.report?.diffText), /Achtung: 5 von 10 aktiven Personen würden deaktiviert \(50 %, mehr als 20 %\)/);
    const de = await post(half, {});
    assert.equal(de.error?.schulhof_code, "SCHULHOF_ROSTER_MASS_DEACTIVATION");
    assert.deepEqual([de.error?.deactivating, de.error?.active], [5, 10]);
    assert.match(String(de.error?.error), /^Der Import würde 5 von 10 aktiven Personen der Schule deaktivieren \(50 %; ohne Bestätigung erlaubt sind höchstens 20 %\)\..*--force/);
    const en = await post(half, { lang: "en" });
    assert.match(String(en.error?.error), /^The import would deactivate 5 of the school's 10 active people \(50 %/);
    assert.equal((await allPeople(db)).filter((p) => p.active).length, 10);
  });

  it("with skip_invalid skips two students of the same name in different classes and takes the rest", async () => {
    const csv = EXPORT + "Schüler;Anna;Schmidt;5a;\nSchüler;Anna;Schmidt;7c;\nSchüler;Cem;Cakir;7c;\n";
    const refused = await post(csv, { dry_run: "1" });
    assert.match(String(refused.error?.error), /Anna Schmidt ist ohne ID nicht von Zeile \d+ zu unterscheiden/);
    const { report } = await post(csv, { dry_run: "1", skip_invalid: "1" });
    assert.deepEqual((report?.diff?.added as unknown as { firstName: string }[]).map((p) => p.firstName), ["Cem"]);
    assert.deepEqual((report?.skippedRows as unknown as { line: number }[]).map((r) => r.line), [11, 12]);
  });
});
