// The school bot's messages in German (default) and English.
import type { VideoAction } from "./commands.ts";

export type Lang = "de" | "en";

export const HELP: Record<Lang, { title: string; lines: [string, string][] }> = {
  de: {
    title: "Befehle des Schulhof-Bots (englische Namen in Klammern):",
    lines: [
      ["!hilfe (!help)", "zeigt diese Liste"],
      ["!ich (!whoami)", "zeigt deine Rolle, Klasse und Kurse"],
      ["!räume (!rooms)", "listet die Räume deiner Klasse und Kurse"],
    ],
  },
  en: {
    title: "Commands of the Schulhof bot (German names in brackets):",
    lines: [
      ["!help (!hilfe)", "shows this list"],
      ["!whoami (!ich)", "shows your role, class and courses"],
      ["!rooms (!räume)", "lists the rooms of your class and courses"],
    ],
  },
};

export const ROLE: Record<Lang, Record<string, string>> = {
  de: { student: "Schüler/in", teacher: "Lehrkraft", admin: "Schuladmin" },
  en: { student: "student", teacher: "teacher", admin: "school admin" },
};

export const WHOAMI: Record<Lang, { unknown: string; line: (role: string, cls: string | null, courses: string[]) => string }> = {
  de: {
    unknown: "Dich kenne ich nicht aus der Schülerliste.",
    line: (role, cls, courses) =>
      `Du bist ${role}${cls === null ? "" : ` in Klasse ${cls}`}. Kurse: ${courses.length === 0 ? "keine" : courses.join(", ")}.`,
  },
  en: {
    unknown: "You are not in the school's roster.",
    line: (role, cls, courses) =>
      `You are a ${role}${cls === null ? "" : ` in class ${cls}`}. Courses: ${courses.length === 0 ? "none" : courses.join(", ")}.`,
  },
};

export const ROOMS: Record<Lang, { none: string; title: string }> = {
  de: { none: "Du bist noch in keinem Schulraum.", title: "Deine Räume:" },
  en: { none: "You are not in any school room yet.", title: "Your rooms:" },
};

/** Listed by `!hilfe` in school rooms when the homework appservice runs (its bot answers only in submission rooms). */
export const HOMEWORK_HELP: Record<Lang, [string, string][]> = {
  de: [
    ["!aufgaben (!homework)", "Aufgaben des Kurses mit deinem Stand"],
    ["!aufgabe Titel | fällig | Beschreibung [| Note/Punkte/ohne] (!assignment)", "neue Aufgabe (Lehrkräfte), mit Bewertungsart"],
    ["!abgeben [Nr] (!submit)", "im Abgaberaum: deine letzten Nachrichten und Dateien abgeben"],
    ["!abgaben [Nr] (!submissions)", "wer abgegeben hat (Lehrkräfte)"],
    ["!verlängern Nr @schüler Datum (!extend), !note Nr Note (!grade)", "Frist verlängern, bewerten (Lehrkräfte)"],
  ],
  en: [
    ["!homework (!aufgaben)", "the course's assignments with your status"],
    ["!assignment title | due | description [| grade/points/none] (!aufgabe)", "new assignment (teachers), with its grading"],
    ["!submit [no] (!abgeben)", "in your submission room: submit your latest messages and files"],
    ["!submissions [no] (!abgaben)", "who submitted (teachers)"],
    ["!extend no @student date (!verlängern), !grade no grade (!note)", "extend, grade (teachers)"],
  ],
};

/** Listed by `!hilfe` when the calendar appservice runs (`@kalender`, `@klausuren` answer these). */
export const CALENDAR_HELP: Record<Lang, [string, string][]> = {
  de: [
    ["!heute (!today)", "deine Termine heute"],
    ["!woche (!week)", "deine Termine dieser Woche"],
    ["!termin DATUM [VON-BIS] TITEL (!event)", "Termin im Kalender dieses Raums eintragen (Lehrkräfte)"],
    ["!abo (!feed)", "Link zum Kalender-Abo fürs Handy"],
    ["!klausur DATUM STUNDEN ART (!exam)", "Klausur im Kursraum beantragen (Lehrkräfte)"],
    ["!klausuren (!exams)", "geplante Klausuren der Klasse/Stufe"],
    ["!video [warteraum|bildschirm an|aus]", "Videostunde: Einstellungen des Raums (Lehrkräfte ändern sie)"],
    ["!video stumm [@name|alle], kamera @name, raus @name, einlassen @name|alle, ende", "laufende Videostunde steuern (Lehrkräfte)"],
  ],
  en: [
    ["!today (!heute)", "your events today"],
    ["!week (!woche)", "your events this week"],
    ["!event DATE [FROM-TO] TITLE (!termin)", "add an event to this room's calendar (teachers)"],
    ["!feed (!abo)", "link to subscribe to your calendar on a phone"],
    ["!exam DATE PERIODS KIND (!klausur)", "request an exam in the course room (teachers)"],
    ["!exams (!klausuren)", "planned exams of the class/year group"],
    ["!video [lobby|screen on|off]", "video lesson: the room's settings (teachers change them)"],
    ["!video mute [@name|all], camera @name, remove @name, admit @name|all, end", "control the running video lesson (teachers)"],
  ],
};

/** `!video`: the room's video settings, changed by its teachers. */
export const VIDEO: Record<
  Lang,
  {
    status: (lobby: boolean, screen: boolean) => string;
    usage: string;
    teachersOnly: string;
    changed: (lobby: boolean, on: boolean) => string;
    moderationUsage: string;
    nobody: string;
    done: (action: VideoAction, who: string | null) => string;
  }
> = {
  de: {
    status: (lobby, screen) =>
      `Videostunde in diesem Raum: Warteraum ${lobby ? "an" : "aus"}, Bildschirm teilen für Schüler:innen ${screen ? "erlaubt" : "nicht erlaubt"}. Beitreten: den Anruf des Raums starten (Web-App oder Element).`,
    usage: "So geht's: !video warteraum an|aus, !video bildschirm an|aus",
    teachersOnly: "Das dürfen nur Lehrkräfte dieses Raums.",
    moderationUsage: "So geht's: !video stumm @name (oder alle), !video kamera @name, !video raus @name, !video einlassen @name (oder alle), !video ende",
    nobody: "Gerade ist niemand (Passendes) in der Videostunde dieses Raums.",
    done: (action, who) =>
      ({
        mute: `${who} ist stummgeschaltet.`,
        mute_all: "Alle Schüler:innen sind stummgeschaltet.",
        camera_off: `Die Kamera von ${who} ist aus.`,
        remove: `${who} wurde aus der Videostunde entfernt.`,
        admit: `${who} darf herein.`,
        admit_all: "Alle Wartenden dürfen herein.",
        end: "Die Videostunde ist für alle beendet.",
      })[action],
    changed: (lobby, on) => (lobby ? `Warteraum ${on ? "an: Schüler:innen warten, bis eine Lehrkraft sie hereinlässt." : "aus."}` : `Bildschirm teilen für Schüler:innen ${on ? "erlaubt" : "nicht erlaubt"}.`),
  },
  en: {
    status: (lobby, screen) => `Video lesson in this room: lobby ${lobby ? "on" : "off"}, screen sharing for students ${screen ? "allowed" : "not allowed"}. Join: start the room's call (web app or Element).`,
    usage: "Usage: !video lobby on|off, !video screen on|off",
    teachersOnly: "Only teachers of this room may do that.",
    moderationUsage: "Usage: !video mute @name (or all), !video camera @name, !video remove @name, !video admit @name (or all), !video end",
    nobody: "Nobody (matching) is in this room's video lesson right now.",
    done: (action, who) =>
      ({
        mute: `${who} is muted.`,
        mute_all: "All students are muted.",
        camera_off: `${who}'s camera is off.`,
        remove: `${who} was removed from the video lesson.`,
        admit: `${who} may come in.`,
        admit_all: "Everyone waiting may come in.",
        end: "The video lesson has ended for everyone.",
      })[action],
    changed: (lobby, on) => (lobby ? `Lobby ${on ? "on: students wait until a teacher lets them in." : "off."}` : `Screen sharing for students ${on ? "allowed" : "not allowed"}.`),
  },
};
