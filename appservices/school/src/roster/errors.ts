// Errors of the roster import: a file whose rows cannot all be imported.

import { SchulhofError } from "@schulhof/core";
import type { RosterRowError } from "./types.ts";

/** Formats one row error as `Zeile 7, Spalte "Klasse": …` (or the English equivalent). */
export function formatRowError(e: RosterRowError, lang: "de" | "en"): string {
  const where =
    lang === "de"
      ? `Zeile ${e.line}${e.column === "" ? "" : `, Spalte "${e.column}"`}`
      : `line ${e.line}${e.column === "" ? "" : `, column "${e.column}"`}`;
  return `${where}: ${e.message[lang]}`;
}

/**
 * A roster file has rows (or headers) that cannot be imported. Thrown by `parseRoster` unless
 * `skipInvalid` is set, and by `diffRoster` when two people end up with the same key. `errors`
 * lists every problem; the user text lists one per line, so a CLI can print it as it is.
 */
export class RosterInvalidError extends SchulhofError {
  readonly errors: RosterRowError[];
  readonly fileName: string | null;

  constructor(errors: RosterRowError[], fileName?: string) {
    const file = fileName ?? null;
    const named = file === null ? "" : ` ${file}`;
    const count = errors.length;
    const de = [
      `Die Liste${named} enthält ${count} Fehler; nichts wurde importiert:`,
      ...errors.map((e) => formatRowError(e, "de")),
    ].join("\n");
    const en = [
      `The roster${named} has ${count} ${count === 1 ? "error" : "errors"}; nothing was imported:`,
      ...errors.map((e) => formatRowError(e, "en")),
    ].join("\n");
    super("SCHULHOF_ROSTER_INVALID", en, { de, en }, { httpStatus: 400, errcode: "M_INVALID_PARAM" });
    this.name = "RosterInvalidError";
    this.errors = errors;
    this.fileName = file;
  }
}
