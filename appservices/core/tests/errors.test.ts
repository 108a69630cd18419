// SchulhofError and ConfigError: stable codes, Matrix-style bodies and user texts in German and English.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, isSchulhofError, PermanentError, RetryableError, SchulhofError } from "@schulhof/core";

describe("SchulhofError", () => {
  const e = new SchulhofError(
    "SCHULHOF_TEST",
    "room !x:y has no teacher",
    { de: "Dieser Kurs hat keine Lehrkraft.", en: "This course has no teacher." },
    { httpStatus: 409, errcode: "M_CONFLICT" },
  );

  it("answers in German when asked for de", () => {
    assert.deepEqual(e.toMatrixError("de"), { errcode: "M_CONFLICT", error: "Dieser Kurs hat keine Lehrkraft.", schulhof_code: "SCHULHOF_TEST" });
  });

  it("answers in English by default", () => {
    assert.deepEqual(e.toMatrixError(), { errcode: "M_CONFLICT", error: "This course has no teacher.", schulhof_code: "SCHULHOF_TEST" });
  });

  it("keeps the log message apart from the user text", () => {
    assert.equal(e.message, "room !x:y has no teacher");
    assert.equal(e.httpStatus, 409);
    assert.ok(e instanceof Error);
  });

  it("defaults to 500 M_UNKNOWN and the log message as user text", () => {
    const plain = new SchulhofError("SCHULHOF_X", "boom");
    assert.equal(plain.httpStatus, 500);
    assert.deepEqual(plain.toMatrixError("de"), { errcode: "M_UNKNOWN", error: "boom", schulhof_code: "SCHULHOF_X" });
  });

  it("keeps the cause", () => {
    const cause = new Error("inner");
    assert.equal(new SchulhofError("SCHULHOF_X", "outer", undefined, { cause }).cause, cause);
  });
});

describe("ConfigError", () => {
  it("names file and key in every text", () => {
    const e = new ConfigError("school.yaml", "school.state", "invalid option");
    assert.equal(e.message, "school.yaml: school.state: invalid option");
    assert.equal(e.toMatrixError("de").error, "Fehler in der Konfiguration school.yaml: school.state: invalid option");
    assert.equal(e.toMatrixError("en").error, "Configuration error in school.yaml: school.state: invalid option");
    assert.equal(e.code, "SCHULHOF_CONFIG");
  });
});

describe("isSchulhofError", () => {
  it("matches by type and optional code", () => {
    assert.equal(isSchulhofError(new RetryableError("x")), true);
    assert.equal(isSchulhofError(new RetryableError("x"), "SCHULHOF_RETRY"), true);
    assert.equal(isSchulhofError(new PermanentError("x"), "SCHULHOF_RETRY"), false);
    assert.equal(isSchulhofError(new Error("x")), false);
    assert.equal(isSchulhofError("SCHULHOF_RETRY"), false);
  });
});
