// Turns the bytes of an exported roster into text: detects UTF-8 or Windows-1252 and the delimiter.

import iconv from "iconv-lite";

/** The text of a roster file, its detected encoding, and line endings normalised to `\n`. */
export interface DecodedText {
  text: string;
  encoding: "utf-8" | "windows-1252";
}

/** True when the bytes start with a UTF-16 byte order mark (Excel's "Unicode text" export). */
export function isUtf16(input: Uint8Array): boolean {
  return input.length >= 2 && ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff));
}

/**
 * Decodes a roster file. Bytes that are valid UTF-8 are read as UTF-8 (a BOM is dropped); anything
 * else is read as Windows-1252, the default of German Windows and of most school administration
 * software (SchILD-NRW, older Untis exports, Excel "CSV (Trennzeichen-getrennt)"). Line endings
 * (`\r\n`, `\r`) become `\n` so that line numbers are physical lines.
 */
export function decodeRoster(input: Uint8Array): DecodedText {
  let text: string;
  let encoding: DecodedText["encoding"];
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(input);
    encoding = "utf-8";
  } catch {
    text = iconv.decode(input, "windows-1252");
    encoding = "windows-1252";
  }
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  return { text: text.replace(/\r\n?/g, "\n"), encoding };
}

/**
 * Picks the delimiter from the header line (the first non-empty line): the one of `;` and `,`
 * that occurs more often outside quotes. German exports mostly use `;`, which also wins a tie.
 */
export function detectDelimiter(text: string): "," | ";" {
  const header = text.split("\n").find((l) => l.trim() !== "") ?? "";
  let inQuotes = false;
  let commas = 0;
  let semicolons = 0;
  for (const ch of header) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && ch === ",") commas++;
    else if (!inQuotes && ch === ";") semicolons++;
  }
  return commas > semicolons ? "," : ";";
}
