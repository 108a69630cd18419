// loadYamlConfig: every failure is a ConfigError that names the file and where in it the problem is.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { z } from "zod";
import { ConfigError, DbConfigSchema, ListenSchema, loadYamlConfig, parseConfig } from "@schulhof/core";

const Schema = z.object({ listen: ListenSchema, database: DbConfigSchema });
const dir = mkdtempSync(join(tmpdir(), "schulhof-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs `fn`, expects a ConfigError and returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a ConfigError");
}

describe("loadYamlConfig", () => {
  it("reads a valid file and applies defaults", () => {
    const path = file("ok.yaml", "listen:\n  port: 9100\ndatabase:\n  kind: postgres\n  url: postgres://u@localhost/db\n");
    const config = loadYamlConfig(path, Schema);
    assert.deepEqual(config, {
      listen: { bind: "127.0.0.1", port: 9100 },
      database: { kind: "postgres", url: "postgres://u@localhost/db", pool_size: 10 },
    });
  });

  it("names the file and the dotted key path of a wrong value", () => {
    const path = file("bad-url.yaml", "listen:\n  port: 9100\ndatabase:\n  kind: postgres\n  url: mysql://localhost/db\n");
    const e = configError(() => loadYamlConfig(path, Schema));
    assert.equal(e.code, "SCHULHOF_CONFIG");
    assert.equal(e.file, path);
    assert.equal(e.key, "database.url");
    assert.ok(e.message.startsWith(`${path}: database.url: `), e.message);
    assert.match(e.message, /postgres:\/\/ or postgresql:\/\//);
  });

  it("names nested keys of a number out of range", () => {
    const path = file("bad-port.yaml", "listen:\n  port: 70000\ndatabase:\n  kind: pglite\n  path: null\n");
    const e = configError(() => loadYamlConfig(path, Schema));
    assert.equal(e.key, "listen.port");
    assert.ok(e.message.includes(`${path}: listen.port:`), e.message);
  });

  it("counts further problems in the message", () => {
    const path = file("two-bad.yaml", "listen:\n  port: abc\ndatabase:\n  kind: postgres\n  url: nope\n");
    const e = configError(() => loadYamlConfig(path, Schema));
    assert.equal(e.key, "listen.port");
    assert.match(e.message, /\(and 1 more\)$/);
  });

  it("reports a missing file with its path and the errno code", () => {
    const path = join(dir, "does-not-exist.yaml");
    const e = configError(() => loadYamlConfig(path, Schema));
    assert.equal(e.file, path);
    assert.equal(e.key, "");
    assert.equal(e.message, `${path}: cannot read file (ENOENT)`);
  });

  it("reports invalid YAML with the line of the problem", () => {
    const path = file("broken.yaml", "listen:\n  port: 9100\ndatabase: kind: pglite\n");
    const e = configError(() => loadYamlConfig(path, Schema));
    assert.equal(e.file, path);
    assert.equal(e.key, "line 3");
    assert.ok(e.message.startsWith(`${path}: line 3: `), e.message);
    assert.ok(!e.message.includes("\n"), "only the first line of the parser's message");
  });

  it("gives a German and an English text for people", () => {
    const path = file("bad-kind.yaml", "listen:\n  port: 1\ndatabase:\n  kind: mysql\n");
    const e = configError(() => loadYamlConfig(path, Schema));
    assert.equal(e.key, "database.kind");
    assert.ok(e.user.de.startsWith(`Fehler in der Konfiguration ${path}: database.kind: `), e.user.de);
    assert.ok(e.user.en.startsWith(`Configuration error in ${path}: database.kind: `), e.user.en);
  });
});

describe("parseConfig", () => {
  it("validates an object that is already parsed", () => {
    const e = configError(() => parseConfig("inline.json", { bind: "::1", port: 0 }, ListenSchema));
    assert.equal(e.message.split(":")[0], "inline.json");
    assert.equal(e.key, "port");
  });
});
