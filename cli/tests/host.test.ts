// The school file's settings reach the school appservice's config: roster.max_deactivate_share, and its refusal naming the key.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { ConfigError } from "@schulhof/core";
import { generateFromFile } from "@schulhof/homeserver-config";
import { schoolAppserviceConfigOf } from "../src/host.ts";

/** A folder with a minimal school.yaml (plus `extra` top-level sections), removed after the file. */
function schoolDir(extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "schulhof-cli-host-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const school = {
    school: { id: "gym-musterstadt", name: "Gymnasium Musterstadt", state: "NW", mail_domain: "gymnasium-musterstadt.de" },
    homeserver: { server_name: "schule.example.de", public_baseurl: "https://schule.example.de" },
    database: { kind: "pglite", path: null },
    ...extra,
  };
  writeFileSync(join(dir, "school.yaml"), stringify(school));
  return dir;
}

/** The school appservice's config as `startHost` builds it (the system admin token is normally made at start-up). */
function schoolConfigFrom(dir: string): ReturnType<typeof schoolAppserviceConfigOf> {
  const gen = generateFromFile(dir);
  gen.secrets.system_admin_token = "syt_test_system_admin_token";
  return schoolAppserviceConfigOf(gen);
}

describe("school.yaml roster.max_deactivate_share", () => {
  it("reaches the school appservice as maxDeactivateShare", () => {
    assert.equal(schoolConfigFrom(schoolDir({ roster: { max_deactivate_share: 0.35 } })).maxDeactivateShare, 0.35);
    assert.equal(schoolConfigFrom(schoolDir({ roster: { max_deactivate_share: 1 } })).maxDeactivateShare, 1);
  });

  it("is 0.2 (20 %) when the school file does not set it", () => {
    assert.equal(schoolConfigFrom(schoolDir()).maxDeactivateShare, 0.2);
    assert.equal(schoolConfigFrom(schoolDir({ roster: {} })).maxDeactivateShare, 0.2);
  });

  for (const bad of [0, -0.1, 1.5, 20, "20 %"]) {
    it(`refuses ${JSON.stringify(bad)}, naming school.yaml and the key`, () => {
      const dir = schoolDir({ roster: { max_deactivate_share: bad } });
      assert.throws(
        () => generateFromFile(dir),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
          assert.equal(e.file, join(dir, "school.yaml"));
          assert.equal(e.key, "roster.max_deactivate_share");
          assert.ok(e.message.includes(`${join(dir, "school.yaml")}: roster.max_deactivate_share: `), e.message);
          return true;
        },
      );
    });
  }
});
