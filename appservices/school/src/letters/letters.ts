// Credential letters: one printable A4 PDF page per person with user name and initial password.

import { pipeline } from "node:stream/promises";
import iconv from "iconv-lite";
import PDFDocument from "pdfkit";
import type { Role } from "../roster/types.ts";
import { letterText } from "./texts.ts";

/** One person to write a letter for; `firstName`/`lastName` only improve sorting when given. */
export interface LetterPerson {
  displayName: string;
  role: Role;
  className: string | null;
  userId: string;
  localpart: string;
  password: string;
  firstName?: string;
  lastName?: string;
}

/** What the letters say about the school and where to sign in. */
export interface LetterSchool {
  name: string;
  loginUrl: string;
  homeserver: string;
}

/** Options for tests: `compress: false` leaves the page streams readable. */
export interface LetterOptions {
  compress?: boolean;
}

const MARGIN = 56;

/**
 * Sorts letters the way they are handed out: students first, by class (`5a` before `10a` before
 * `EF` before `Q1`), then last name, then first name (German collation); teachers and admins
 * last, as one pile for the office, by last and first name. Returns a new array.
 */
export function sortForLetters<T extends LetterPerson>(people: readonly T[]): T[] {
  const collator = new Intl.Collator("de", { numeric: true, sensitivity: "base" });
  const names = (p: LetterPerson): [string, string] => {
    if (p.lastName !== undefined) return [p.lastName, p.firstName ?? ""];
    const words = p.displayName.trim().split(/\s+/);
    return [words.at(-1) ?? "", words.slice(0, -1).join(" ")];
  };
  return [...people].sort((a, b) => {
    const staff = Number(a.role !== "student") - Number(b.role !== "student");
    if (staff !== 0) return staff;
    if (a.role === "student") {
      const byClass = collator.compare(a.className ?? "", b.className ?? "");
      if (byClass !== 0) return byClass;
    }
    const [aLast, aFirst] = names(a);
    const [bLast, bFirst] = names(b);
    return collator.compare(aLast, bLast) || collator.compare(aFirst, bFirst);
  });
}

/**
 * Writes one A4 page per person to `out` and resolves when `out` has it all. Called once per
 * import, after the accounts exist; the passwords appear nowhere else, so the caller must not log
 * them. Throws a RangeError for an empty list (a PDF without pages is not valid).
 */
export async function writeCredentialLetters(
  people: readonly LetterPerson[],
  school: LetterSchool,
  out: NodeJS.WritableStream,
  lang: "de" | "en" = "de",
  opts: LetterOptions = {},
): Promise<void> {
  if (people.length === 0) throw new RangeError("writeCredentialLetters: no people");
  const doc = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    autoFirstPage: false,
    compress: opts.compress ?? true,
    info: { Title: `${letterText("teacher", lang).heading} – ${school.name}`, Author: school.name },
  });
  const done = pipeline(doc, out);
  try {
    for (const person of sortForLetters(people)) writePage(doc, person, school, lang);
  } catch (e) {
    doc.destroy(e instanceof Error ? e : new Error(String(e)));
    await done.catch(() => undefined);
    throw e;
  }
  doc.end();
  await done;
}

const NO_DECOMPOSITION: Record<string, string> = { ł: "l", Ł: "L", ı: "i", İ: "I", đ: "d", Đ: "D", ħ: "h", Ħ: "H" };

/**
 * The text with every character the PDF standard fonts (WinAnsi, i.e. Windows-1252) cannot show
 * replaced by its closest look-alike: `Ayşe` → `Ayse`, `Łukasz` → `Lukasz`, `Nguyễn` → `Nguyen`;
 * German umlauts and most Western accents stay. Anything else becomes `?`. Without this pdfkit
 * garbles the rest of the line.
 */
export function toWinAnsi(text: string): string {
  const fits = (ch: string): boolean => iconv.decode(iconv.encode(ch, "windows-1252"), "windows-1252") === ch;
  let out = "";
  for (const ch of text.normalize("NFC")) {
    if (fits(ch)) out += ch;
    else {
      const base = NO_DECOMPOSITION[ch] ?? ch.normalize("NFD").replace(/\p{M}/gu, "");
      out += base !== "" && [...base].every(fits) ? base : "?";
    }
  }
  return out;
}

function writePage(doc: PDFKit.PDFDocument, person: LetterPerson, place: LetterSchool, lang: "de" | "en"): void {
  const t = letterText(person.role, lang);
  const p = {
    ...person,
    displayName: toWinAnsi(person.displayName),
    className: person.className === null ? null : toWinAnsi(person.className),
  };
  const school = {
    name: toWinAnsi(place.name),
    loginUrl: toWinAnsi(place.loginUrl),
    homeserver: toWinAnsi(place.homeserver),
  };
  doc.addPage();
  const width = doc.page.width - 2 * MARGIN;
  doc.font("Helvetica").fontSize(11).fillColor("#555555").text(school.name);
  doc.moveDown(1.5).font("Helvetica-Bold").fontSize(22).fillColor("black").text(t.heading);
  doc.font("Helvetica-Oblique").fontSize(10).fillColor("#aa0000").text(t.confidential).fillColor("black");
  doc.moveDown(1.5);

  const row = (label: string, value: string, font = "Helvetica-Bold", size = 13): void => {
    const y = doc.y;
    doc.font("Helvetica").fontSize(10).text(label, MARGIN, y + 2, { width: 170 });
    doc.font(font).fontSize(size).text(value, MARGIN + 180, y, { width: width - 180 });
    doc.x = MARGIN;
    doc.moveDown(0.6);
  };
  row(t.labels.name, p.displayName);
  if (p.role === "student") row(t.labels.class, p.className ?? "–");
  else {
    const role = t.roles[p.role] + (p.className === null ? "" : ` (${t.classLeader(p.className)})`);
    row(t.labels.role, role, "Helvetica", 12);
  }
  row(t.labels.login, school.loginUrl, "Helvetica", 12);
  row(t.labels.username, p.localpart, "Courier-Bold", 14);
  row(t.labels.matrixId, p.userId, "Courier", 11);
  row(t.labels.server, school.homeserver, "Courier", 11);
  doc.moveDown(0.4);
  const boxTop = doc.y;
  doc.rect(MARGIN, boxTop, width, 44).lineWidth(1.5).stroke();
  doc.font("Helvetica").fontSize(10).text(t.labels.password, MARGIN + 12, boxTop + 16, { width: 158 });
  doc.font("Courier-Bold").fontSize(18).text(p.password, MARGIN + 180, boxTop + 13, { width: width - 192 });
  doc.x = MARGIN;
  doc.y = boxTop + 60;

  doc.font("Helvetica-Bold").fontSize(11).text(t.warning, { width });
  doc.moveDown(1.2).font("Helvetica-Bold").fontSize(13).text(t.howToTitle);
  doc.moveDown(0.4).font("Helvetica").fontSize(11);
  t.steps(school.loginUrl, p.localpart).forEach((step, i) => {
    doc.text(`${i + 1}. ${step}`, { width, indent: 0 }).moveDown(0.3);
  });
  doc.moveDown(1).fontSize(10).fillColor("#555555").text(t.help, { width }).fillColor("black");
}
