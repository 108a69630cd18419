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

/**
 * An import would deactivate more than the allowed share of the school's active people, and the admin has not
 * confirmed it (`--force`, the Verwaltung's second question). Nothing was changed.
 */
export class RosterImportRefusedError extends SchulhofError {
  readonly deactivating: number;
  readonly activeBefore: number;

  constructor(deactivating: number, activeBefore: number, maxShare: number) {
    const pct = (x: number): string => `${Math.round(x * 100)} %`;
    const share = pct(deactivating / activeBefore);
    const de =
      `Der Import würde ${deactivating} von ${activeBefore} aktiven Personen der Schule deaktivieren (${share}; ohne Bestätigung erlaubt sind höchstens ${pct(maxShare)}). ` +
      "Fehlen in der Liste Klassen, Lehrkräfte oder ein Teil des Exports? Nichts wurde geändert. " +
      "Wenn das so gewollt ist: mit „schulhof roster import --force“ bestätigen (in der Verwaltung: die Rückfrage bestätigen).";
    const en =
      `The import would deactivate ${deactivating} of the school's ${activeBefore} active people (${share}; at most ${pct(maxShare)} without a confirmation). ` +
      "Is the file missing classes, teachers or part of the export? Nothing was changed. " +
      'If this is intended, confirm with "schulhof roster import --force" (in the Verwaltung: confirm the second question).';
    super("SCHULHOF_ROSTER_MASS_DEACTIVATION", en, { de, en }, { httpStatus: 409, errcode: "M_FORBIDDEN" });
    this.name = "RosterImportRefusedError";
    this.deactivating = deactivating;
    this.activeBefore = activeBefore;
  }
}
