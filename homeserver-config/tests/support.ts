// Shared helpers of the homeserver-config tests: a minimal school file and temporary data folders.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/** The smallest school file that validates: every other value comes from the schema's defaults. */
export function minimalSchool(): Record<string, unknown> {
  return {
    school: { id: "gym-musterstadt", name: "Gymnasium Musterstadt", state: "NW", mail_domain: "gymnasium-musterstadt.de" },
    homeserver: { server_name: "schule.example.de", public_baseurl: "https://schule.example.de" },
    database: { kind: "pglite", path: null },
  };
}

/** A new empty folder, removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "schulhof-hs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
