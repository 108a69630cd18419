// The Synapse launcher's own tests (Python, against Synapse's transaction controller), run from the project's test command.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT, synapsePython } from "../src/run.ts";

describe("Synapse launcher (homeserver-config/python/schulhof_synapse.py)", () => {
  it("sends an appservice transaction that was stored during a recovery, at no cost while the appservice is up", () => {
    const r = spawnSync(synapsePython(), ["-m", "unittest", "discover", "-v", "-s", join(REPO_ROOT, "homeserver-config", "python"), "-p", "test_*.py"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, out);
    assert.match(out, /Ran [1-9]\d* tests/);
    assert.match(out, /\nOK\n/);
  });
});
