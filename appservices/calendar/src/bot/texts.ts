// Every message of `@kalender` and `@klausuren`, in German and English.
import { DateTime } from "luxon";

interface ExamLike {
  course: string;
  date: string;
  periods: number[];
  id: string;
}

const dayDe = (date: string): string => DateTime.fromISO(date).setLocale("de").toFormat("ccc, dd.MM.yyyy");
const dayEn = (date: string): string => DateTime.fromISO(date).setLocale("en").toFormat("ccc, yyyy-MM-dd");
const periodsText = (p: number[], lang: "de" | "en"): string => {
  const first = Math.min(...p);
  const last = Math.max(...p);
  const span = p.length === 1 ? `${first}.` : `${first}.–${last}.`;
  return lang === "de" ? `${span} Stunde` : `period${p.length === 1 ? "" : "s"} ${span.replace(/\./g, "")}`;
};

export const T = {
  de: {
    newEvent: (d: string) => `📅 Neuer Termin: ${d}`,
    changedEvent: (d: string) => `📅 Termin geändert: ${d}`,
    deleted: (s: string) => `📅 Termin gelöscht: ${s}`,
    invalidEvent: (reasons: string[]) => `Dieser Termin wurde nicht übernommen:\n${reasons.map((r) => `• ${r}`).join("\n")}`,
    examLine: (e: ExamLike, kind: string) => `${kind} ${e.course} am ${dayDe(e.date)}, ${periodsText(e.periods, "de")} (Nr. ${e.id})`,
    examAnnounced: (line: string) => `📝 Angekündigt: ${line}`,
    examPlanned: (line: string, override: string | null) => `✅ Eingetragen: ${line}${override === null ? "" : `\nRegeln übergangen, Begründung: ${override}`}`,
    examRequested: (line: string) => `⏳ Beantragt, wartet auf Genehmigung der Schulleitung: ${line}`,
    examApproved: (line: string) => `✅ Genehmigt: ${line}`,
    examMoved: (before: string, after: string) => `🔁 Verschoben: ${before}\n→ neu: ${after}`,
    examCancelled: (line: string, reason: string) => `❌ Abgesagt: ${line}${reason === "" ? "" : `\nGrund: ${reason}`}`,
    examRefused: (reasons: string[]) => `Die Klausur kann so nicht eingetragen werden:\n${reasons.map((r) => `• ${r}`).join("\n")}`,
    warnings: (w: string[]) => `Hinweise:\n${w.map((r) => `• ${r}`).join("\n")}`,
    noEvents: (what: string) => `Keine Termine ${what}.`,
    today: "heute",
    week: "diese Woche",
    eventsTitle: (what: string) => `Termine ${what}:`,
    added: (d: string) => `Eingetragen: ${d}`,
    notAllowed: "Das dürfen hier nur Lehrkräfte (bzw. im Schulkalender die Schulleitung).",
    notCalendar: "Dieser Raum ist kein Kalender. Schreib den Befehl in einem Kurs-, Klassen- oder deinem eigenen Kalenderraum.",
    usageEvent: "So geht's: !termin 03.12.2026 08:00-09:30 Elternabend  (ohne Uhrzeit: ganztägig; #ausflug, #ferien, #konferenz legen die Art fest)",
    usageExam: "So geht's: !klausur 03.12.2026 3-4 klassenarbeit  (Art: klassenarbeit, klausur, test, nachschreibtermin) — im Kursraum",
    badDate: (s: string) => `„${s}“ verstehe ich nicht als Datum (z. B. 03.12.2026 oder 2026-12-03).`,
    feedPrivate: "Ich schicke dir den Link zu deinem Kalender-Abo in deinen privaten Raum „Mein Kalender“ (Einladung annehmen).",
    feedLink: (url: string) =>
      `Dein persönliches Kalender-Abo (alle deine Termine): ${url}\nIn iOS, Android (z. B. ICSx⁵) oder Thunderbird als Abo-Kalender hinzufügen. Der Link ist geheim wie ein Passwort; du kannst ihn in der Web-App widerrufen.`,
    examsTitle: (cohort: string) => `Klausuren ${cohort}:`,
    noExams: "Keine Klausuren geplant.",
    notTeacher: "Klausuren planen nur Lehrkräfte des Kurses und die Schulleitung.",
    reminder: (d: string) => `⏰ Erinnerung: ${d}`,
    imported: (n: number, errors: number) => `📥 ${n} Termine importiert${errors > 0 ? `, ${errors} übersprungen (fehlerhaft)` : ""}.`,
    personalName: "Mein Kalender",
    personalTopic: "Dein persönlicher Kalender: nur du siehst ihn.",
  },
  en: {
    newEvent: (d: string) => `📅 New event: ${d}`,
    changedEvent: (d: string) => `📅 Event changed: ${d}`,
    deleted: (s: string) => `📅 Event deleted: ${s}`,
    invalidEvent: (reasons: string[]) => `This event was not accepted:\n${reasons.map((r) => `• ${r}`).join("\n")}`,
    examLine: (e: ExamLike, kind: string) => `${kind} ${e.course} on ${dayEn(e.date)}, ${periodsText(e.periods, "en")} (no. ${e.id})`,
    examAnnounced: (line: string) => `📝 Announced: ${line}`,
    examPlanned: (line: string, override: string | null) => `✅ Planned: ${line}${override === null ? "" : `\nRules overridden, reason: ${override}`}`,
    examRequested: (line: string) => `⏳ Requested, waiting for approval by the school admin: ${line}`,
    examApproved: (line: string) => `✅ Approved: ${line}`,
    examMoved: (before: string, after: string) => `🔁 Moved: ${before}\n→ now: ${after}`,
    examCancelled: (line: string, reason: string) => `❌ Cancelled: ${line}${reason === "" ? "" : `\nReason: ${reason}`}`,
    examRefused: (reasons: string[]) => `The exam cannot be planned like this:\n${reasons.map((r) => `• ${r}`).join("\n")}`,
    warnings: (w: string[]) => `Notes:\n${w.map((r) => `• ${r}`).join("\n")}`,
    noEvents: (what: string) => `No events ${what}.`,
    today: "today",
    week: "this week",
    eventsTitle: (what: string) => `Events ${what}:`,
    added: (d: string) => `Added: ${d}`,
    notAllowed: "Only teachers may do this here (in the school calendar: school admins).",
    notCalendar: "This room is not a calendar. Use the command in a course, class or your own calendar room.",
    usageEvent: "Usage: !event 2026-12-03 08:00-09:30 Parents' evening  (no time: all day; #trip, #holiday, #meeting set the kind)",
    usageExam: "Usage: !exam 2026-12-03 3-4 klassenarbeit  (kind: klassenarbeit, klausur, test, nachschreibtermin) — in the course room",
    badDate: (s: string) => `I do not understand "${s}" as a date (e.g. 2026-12-03 or 03.12.2026).`,
    feedPrivate: "I'm sending the link to your calendar subscription to your private room \"My calendar\" (accept the invite).",
    feedLink: (url: string) =>
      `Your personal calendar subscription (all your events): ${url}\nAdd it as a subscribed calendar on iOS, Android (e.g. ICSx⁵) or in Thunderbird. Keep the link secret like a password; you can revoke it in the web app.`,
    examsTitle: (cohort: string) => `Exams ${cohort}:`,
    noExams: "No exams planned.",
    notTeacher: "Only the course's teachers and school admins plan exams.",
    reminder: (d: string) => `⏰ Reminder: ${d}`,
    imported: (n: number, errors: number) => `📥 ${n} events imported${errors > 0 ? `, ${errors} skipped (invalid)` : ""}.`,
    personalName: "My calendar",
    personalTopic: "Your personal calendar: only you see it.",
  },
} as const;
