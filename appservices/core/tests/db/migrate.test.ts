// Numbered migrations: applied once each, in order, per component; gaps in numbering are refused.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { migrate, openPglite, type Db, type Migration } from "@schulhof/core";

// One in-memory database for the file (opening PGlite takes a second or two); each test uses its own component and tables.
let db: Db;
before(async () => {
  db = await openPglite(null);
});
after(() => db.close());

async function count(sql: string, params: unknown[] = []): Promise<number> {
  return (await db.query<{ n: number }>(sql, params)).rows[0]?.n ?? -1;
}
const tableCount = (name: string): Promise<number> => count("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = $1", [name]);

const NOTES: Migration[] = [
  { version: 2, name: "column", sql: "ALTER TABLE notes ADD COLUMN author TEXT;\nCREATE INDEX notes_author ON notes (author)" },
  { version: 1, name: "notes", sql: "CREATE TABLE notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL);\n" },
];

describe("migrate", () => {
  it("applies numbered migrations in order, then none on a second run", async () => {
    assert.equal(await migrate(db, "notes", NOTES), 2);
    await db.query("INSERT INTO notes (body, author) VALUES ($1, $2)", ["hallo", "@a:x"]);
    assert.equal(await migrate(db, "notes", NOTES), 0);
    const applied = await db.query<{ version: number; name: string }>(
      "SELECT version, name FROM schulhof_migrations WHERE component = 'notes' ORDER BY version",
    );
    assert.deepEqual(applied.rows, [
      { version: 1, name: "notes" },
      { version: 2, name: "column" },
    ]);
    assert.deepEqual((await db.query<{ body: string }>("SELECT body FROM notes")).rows, [{ body: "hallo" }]);
    assert.equal(await count("SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'notes_author'"), 1);
  });

  it("applies only the migration that was added", async () => {
    const first: Migration = { version: 1, name: "tasks", sql: "CREATE TABLE tasks (id INT)" };
    const second: Migration = { version: 2, name: "done", sql: "ALTER TABLE tasks ADD COLUMN done BOOLEAN" };
    assert.equal(await migrate(db, "tasks", [first]), 1);
    assert.equal(await migrate(db, "tasks", [first, second]), 1);
    assert.equal(await count("SELECT count(*)::int AS n FROM schulhof_migrations WHERE component = 'tasks'"), 2);
  });

  it("keeps components apart", async () => {
    assert.equal(await migrate(db, "comp_a", [{ version: 1, name: "a", sql: "CREATE TABLE comp_a (x INT)" }]), 1);
    assert.equal(await migrate(db, "comp_b", [{ version: 1, name: "b", sql: "CREATE TABLE comp_b (x INT)" }]), 1);
    assert.equal(await migrate(db, "comp_a", [{ version: 1, name: "a", sql: "CREATE TABLE comp_a (x INT)" }]), 0);
  });

  it("refuses a gap in the numbering before applying anything", async () => {
    const gap: Migration[] = [
      { version: 1, name: "one", sql: "CREATE TABLE gap_one (x INT)" },
      { version: 3, name: "three", sql: "CREATE TABLE gap_three (x INT)" },
    ];
    await assert.rejects(migrate(db, "gap", gap), { message: "gap: migrations must be numbered 1..n, found 3 at 2" });
    assert.equal(await tableCount("gap_one"), 0);
    assert.equal(await count("SELECT count(*)::int AS n FROM schulhof_migrations WHERE component = 'gap'"), 0);
  });

  it("refuses numbering that does not start at 1, and duplicate versions", async () => {
    await assert.rejects(migrate(db, "late", [{ version: 2, name: "two", sql: "CREATE TABLE late (x INT)" }]), {
      message: "late: migrations must be numbered 1..n, found 2 at 1",
    });
    const dup: Migration[] = [
      { version: 1, name: "one", sql: "CREATE TABLE dup_one (x INT)" },
      { version: 1, name: "again", sql: "CREATE TABLE dup_again (x INT)" },
    ];
    await assert.rejects(migrate(db, "dup", dup), { message: "dup: migrations must be numbered 1..n, found 1 at 2" });
  });

  it("rolls back a migration that fails, and records nothing for it", async () => {
    const bad: Migration[] = [{ version: 1, name: "bad", sql: "CREATE TABLE half (x INT);\nCREATE TABLE half (x INT)" }];
    await assert.rejects(migrate(db, "bad", bad), /already exists/);
    assert.equal(await tableCount("half"), 0);
    assert.equal(await count("SELECT count(*)::int AS n FROM schulhof_migrations WHERE component = 'bad'"), 0);
  });
});
