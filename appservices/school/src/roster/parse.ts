// Reads a roster CSV exported by school administration software into validated people.

import { CsvError } from "csv-parse/sync";
import { parse } from "csv-parse/sync";
import { decodeRoster, detectDelimiter, isUtf16 } from "./decode.ts";
import { RosterInvalidError } from "./errors.ts";
import {
  COLUMNS,
  isValidEmail,
  mapHeaders,
  normalizeClassName,
  normalizeName,
  parseRole,
  splitCourses,
} from "./fields.ts";
import type { ColumnKey, ColumnMap } from "./fields.ts";
import type { ParsedRoster, RosterPerson, RosterRowError } from "./types.ts";

/** Options of `parseRoster`. */
export interface ParseRosterOptions {
  /** Return the valid rows and list the bad ones instead of throwing. Header errors always throw. */
  skipInvalid?: boolean;
  /** Named in error messages. */
  fileName?: string;
}

/** A record as csv-parse returns it with `info: true`; `lines` is the line where it ends. */
interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Parses and validates a roster file (see docs/roster-format.md). Detects the encoding (UTF-8 with
 * or without BOM, else Windows-1252) and the delimiter (`;` or `,`); headers are matched
 * case-insensitively in German or English. Throws `RosterInvalidError` when a required header is
 * missing, the file cannot be read as CSV, or — unless `skipInvalid` — any row is invalid.
 * Pure: no I/O, no homeserver.
 */
export function parseRoster(input: Buffer, opts: ParseRosterOptions = {}): ParsedRoster {
  const fail = (line: number, column: string, de: string, en: string): never => {
    throw new RosterInvalidError([{ line, column, message: { de, en } }], opts.fileName);
  };
  if (isUtf16(input)) {
    fail(
      1,
      "",
      "Die Datei ist UTF-16 kodiert; bitte als „CSV UTF-8“ oder „CSV (Trennzeichen-getrennt)“ speichern.",
      'The file is UTF-16 encoded; please save it as "CSV UTF-8" or "CSV (comma delimited)".',
    );
  }
  const { text, encoding } = decodeRoster(input);
  const delimiter = detectDelimiter(text);
  const records = readCsv(text, delimiter, fail);
  const [header, ...rows] = records;
  if (header === undefined) return fail(1, "", "Die Datei ist leer.", "The file is empty.");
  const columns = mapHeaders(header.record);
  const headerErrors = missingHeaders(columns, header.info.lines);
  if (headerErrors.length > 0) throw new RosterInvalidError(headerErrors, opts.fileName);

  const people: RosterPerson[] = [];
  const errors: RosterRowError[] = [];
  const seenIds = new Map<string, number>();
  const seenPeople = new Map<string, number>();
  for (const { record, info } of rows) {
    const line = info.lines - record.reduce((n, cell) => n + cell.split("\n").length - 1, 0);
    const rowErrors: RosterRowError[] = [];
    const cell = (key: ColumnKey): string => {
      const at = columns[key];
      return at === undefined ? "" : normalizeName(record[at.index] ?? "");
    };
    const report = (key: ColumnKey, de: string, en: string): void => {
      rowErrors.push({ line, column: columns[key]?.header ?? COLUMNS[key].de, message: { de, en } });
    };

    const roleText = cell("role");
    const role = parseRole(roleText);
    if (roleText === "") report("role", "Die Rolle fehlt.", "The role is missing.");
    else if (role === null) {
      report("role", `Unbekannte Rolle „${roleText}“; erlaubt sind Schüler, Lehrer und Admin.`,
        `Unknown role "${roleText}"; allowed are student, teacher and admin.`);
    }
    const firstName = cell("firstName");
    const lastName = cell("lastName");
    if (firstName === "") report("firstName", "Der Vorname fehlt.", "The first name is missing.");
    if (lastName === "") report("lastName", "Der Nachname fehlt.", "The last name is missing.");

    const classText = cell("className");
    const className = classText === "" ? null : normalizeClassName(classText);
    if (classText !== "" && className === null) {
      report("className", `„${classText}“ ist kein Klassenname (Beispiele: 5a, 10b, EF, Q1).`,
        `"${classText}" is not a class name (examples: 5a, 10b, EF, Q1).`);
    } else if (classText === "" && role === "student") {
      report("className", "Schülerinnen und Schüler brauchen eine Klasse.", "Students need a class.");
    }

    const email = cell("email");
    if (email !== "" && !isValidEmail(email)) {
      report("email", `„${email}“ ist keine gültige E-Mail-Adresse.`, `"${email}" is not a valid e-mail address.`);
    }

    const externalId = cell("externalId");
    if (externalId !== "") {
      const first = seenIds.get(externalId);
      if (first === undefined) seenIds.set(externalId, line);
      else {
        report("externalId", `Die ID „${externalId}“ steht schon in Zeile ${first}.`,
          `The id "${externalId}" is already used in line ${first}.`);
      }
    } else if (firstName !== "" && lastName !== "") {
      const key = [firstName, lastName, className ?? classText].map((s) => s.toLowerCase()).join("|");
      const first = seenPeople.get(key);
      if (first === undefined) seenPeople.set(key, line);
      else {
        report(
          "lastName",
          `${firstName} ${lastName} steht schon in Zeile ${first}; ` +
            "bei zwei Personen mit gleichem Namen bitte eine Spalte „ID“ ergänzen.",
          `${firstName} ${lastName} is already listed in line ${first}; if two people share a name, add an "ID" column.`,
        );
      }
    }

    if (rowErrors.length > 0 || role === null) {
      errors.push(...rowErrors);
      continue;
    }
    people.push({
      line,
      externalId: externalId === "" ? null : externalId,
      role,
      firstName,
      lastName,
      className,
      courses: splitCourses(cell("courses"), delimiter),
      email: email === "" ? null : email,
    });
  }
  if (errors.length > 0 && opts.skipInvalid !== true) throw new RosterInvalidError(errors, opts.fileName);
  return { people, errors, encoding, delimiter };
}

/** Runs csv-parse leniently, as real exports need; a broken quote becomes an error at its line. */
function readCsv(
  text: string,
  delimiter: "," | ";",
  fail: (line: number, column: string, de: string, en: string) => never,
): CsvRecord[] {
  let lastEnd = 0;
  try {
    // With `info: true` csv-parse returns {record, info} objects; its typings do not model that.
    return parse(text, {
      delimiter,
      record_delimiter: "\n",
      info: true,
      trim: true,
      bom: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
      relax_quotes: true,
      on_record: (record, context) => {
        lastEnd = context.lines;
        return record;
      },
    }) as unknown as CsvRecord[];
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    const lines = text.split("\n");
    let line = lastEnd + 1;
    while (line < lines.length && (lines[line - 1] ?? "").trim() === "") line++;
    if (e.code === "CSV_QUOTE_NOT_CLOSED") {
      fail(line, "", 'Ein Anführungszeichen (") wird nicht wieder geschlossen.', 'A quotation mark (") is never closed.');
    }
    return fail(line, "", `Die Zeile ist kein gültiges CSV; bitte die Anführungszeichen prüfen (${e.code}).`,
      `The line is not valid CSV; please check the quotation marks (${e.code}).`);
  }
}

/** One error per required column that the header row lacks, naming the accepted headers. */
function missingHeaders(columns: ColumnMap, line: number): RosterRowError[] {
  return (Object.keys(COLUMNS) as ColumnKey[])
    .filter((key) => COLUMNS[key].required && columns[key] === undefined)
    .map((key) => ({
      line,
      column: COLUMNS[key].de,
      message: {
        de: `Die Spalte „${COLUMNS[key].de}“ fehlt (erlaubte Überschriften: ${COLUMNS[key].names.join(", ")}).`,
        en: `The column "${COLUMNS[key].de}" is missing (accepted headers: ${COLUMNS[key].names.join(", ")}).`,
      },
    }));
}
