// The secrets file: made once with mode 0600, reused on every later start, completed when new secrets are introduced.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "@schulhof/core";
import { loadOrCreateSecrets, newToken } from "@schulhof/homeserver-config";
import { tempDir } from "./support.ts";

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;

describe("loadOrCreateSecrets", () => {
  it("makes random 256-bit tokens once, with mode 0600, and reads them back later", () => {
    const file = join(tempDir(), "secrets.json");
    const first = loadOrCreateSecrets(file, ["school"]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(first.registration_shared_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(first.appservices.school?.as_token, first.appservices.school?.hs_token);
    assert.deepEqual(loadOrCreateSecrets(file, ["school"]), first);
    assert.deepEqual(readJson(file), first);
  });

  it("names the file and key of a secret that is too short", () => {
    const file = join(tempDir(), "secrets.json");
    const good = loadOrCreateSecrets(file, ["school"]);
    writeFileSync(file, JSON.stringify({ ...good, form_secret: "short" }));
    assert.throws(() => loadOrCreateSecrets(file, ["school"]), (e: unknown) => e instanceof ConfigError && e.file === file && e.key === "form_secret");
  });

  it(
    "stores an admin_api_token it adds to an older secrets file",
    () => {
      const file = join(tempDir(), "secrets.json");
      const older: Record<string, unknown> = {
        registration_shared_secret: newToken(),
        macaroon_secret_key: newToken(),
        form_secret: newToken(),
        appservices: { school: { as_token: newToken(), hs_token: newToken() } },
      };
      writeFileSync(file, JSON.stringify(older), { mode: 0o600 });
      const first = loadOrCreateSecrets(file, ["school"]);
      const second = loadOrCreateSecrets(file, ["school"]);
      assert.equal(readJson(file).admin_api_token, first.admin_api_token);
      assert.equal(second.admin_api_token, first.admin_api_token);
    },
  );
});
