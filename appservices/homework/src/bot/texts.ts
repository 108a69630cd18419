// What `@hausaufgaben` says, in German (default) and English.
export type Lang = "de" | "en";

export const T = {
  de: {
    help: [
      "Befehle für Hausaufgaben (englische Namen in Klammern):",
      "!aufgaben (!homework): Aufgaben dieses Kurses mit deinem Stand",
      "!aufgabe Titel | fällig am | Beschreibung [| Note/Punkte/ohne] (!assignment): neue Aufgabe (Lehrkräfte), z. B. !aufgabe Gedichtanalyse | 24.03.2026 18:00 | Seite 42 | Note",
      "!abgeben [Nr] (!submit): im Abgaberaum: deine letzten Nachrichten und Dateien als Abgabe",
      "!begonnen [Nr] (!started): als begonnen markieren",
      "!abgaben [Nr] (!submissions): wer abgegeben hat, wer verspätet ist, wer fehlt (Lehrkräfte)",
      "!verlängern Nr @schüler Datum (!extend): Frist für eine Person verlängern (Lehrkräfte)",
      "!note Nr Note [Kommentar] (!grade): im Abgaberaum bewerten (Lehrkräfte); !note Nr - Kommentar: nur ein Kommentar",
    ],
    newAssignment: (title: string, due: string) => `Neue Aufgabe: „${title}“, fällig ${due}.`,
    changedAssignment: (title: string, due: string) => `Aufgabe geändert: „${title}“, jetzt fällig ${due}.`,
    closedAssignment: (title: string) => `Aufgabe „${title}“ ist geschlossen; Abgaben sind nicht mehr möglich.`,
    received: (title: string, late: boolean) => `Abgabe für „${title}“ erhalten${late ? " (verspätet)" : ""}.`,
    submitted: (text: string, files: string[]) => [text === "" ? "" : `Abgegeben:\n${text}`, files.length === 0 ? "" : `Dateien: ${files.join(", ")}`].filter((x) => x !== "").join("\n"),
    tooLate: (title: string, cutoff: string) => `Abgabe für „${title}“ nicht angenommen: Abgabeschluss war ${cutoff}.`,
    closed: (title: string) => `Abgabe für „${title}“ nicht angenommen: die Aufgabe ist geschlossen.`,
    kindNotAllowed: (kinds: string) => `Für diese Aufgabe sind nur ${kinds} erlaubt.`,
    nothingToSubmit: "Ich finde keine Nachricht oder Datei von dir seit deiner letzten Abgabe. Schreib deine Lösung oder lade eine Datei hoch und dann !abgeben.",
    whichAssignment: (list: string) => `Welche Aufgabe? Bitte mit Nummer: ${list}`,
    noAssignments: "In diesem Kurs gibt es keine offenen Aufgaben.",
    onlyTeachers: "Das dürfen nur Lehrkräfte dieses Kurses.",
    onlyInSubmissionRoom: "Abgeben geht in deinem Abgaberaum für diesen Kurs. Ich habe dich eingeladen.",
    notHere: "Dieser Befehl geht nur in einem Kursraum.",
    invalid: (why: string) => `Das habe ich nicht verstanden: ${why}`,
    reminder: (title: string, due: string) => `Erinnerung: „${title}“ ist fällig ${due}. Du hast noch nichts abgegeben.`,
    feedback: (title: string, mark: string, comment: string) =>
      [`Rückmeldung zu „${title}“`, mark === "" ? "" : `Bewertung: ${mark}`, comment === "" ? "" : `Kommentar: ${comment}`].filter((l) => l !== "").join("\n"),
    markRefused: (title: string, why: "not_graded" | "bad_grade" | "bad_points" | "empty", input: string) =>
      ({
        not_graded:
          `„${title}“ wird nicht bewertet (ohne Note), deshalb habe ich „${input}“ nicht gespeichert, auch den Kommentar nicht. ` +
          "Nur einen Kommentar gibst du mit !note Nr - Kommentar; eine Aufgabe mit Noten veröffentlichst du mit !aufgabe Titel | fällig | Beschreibung | Note (oder | Punkte).",
        bad_grade: `„${input}“ ist keine Note: „${title}“ wird mit Noten von 1 bis 6 (mit + oder -) bewertet. Nichts wurde gespeichert.`,
        bad_points: `„${input}“ sind keine Punkte: „${title}“ wird mit 0 bis 15 Punkten bewertet. Nichts wurde gespeichert.`,
        empty: `Für „${title}“ fehlt die Bewertung oder ein Kommentar: !note Nr Note [Kommentar] oder !note Nr - Kommentar.`,
      })[why],
    gradings: { grade: "Noten 1 bis 6", points: "Punkte 0 bis 15", none: "ohne Bewertung" },
    gradingLine: (grading: string) => `Bewertung: ${grading}.`,
    extensionNotice: (title: string, due: string) => `Neue Frist für dich bei „${title}“: fällig ${due}.`,
    extended: (who: string, title: string, due: string) => `Frist für ${who} bei „${title}“ verlängert bis ${due}.`,
    started: (title: string) => `„${title}“ als begonnen markiert.`,
    statusLine: (n: number, title: string, due: string, status: string) => `${n}. ${title}, fällig ${due}: ${status}`,
    overview: (title: string, done: number, late: number, missing: string[]) =>
      `„${title}“: ${done} abgegeben (davon ${late} verspätet), ${missing.length} fehlen${missing.length > 0 ? `: ${missing.join(", ")}` : ""}.`,
    roomName: (course: string, student: string) => `Abgaben ${course}: ${student}`,
    teamRoomName: (course: string, title: string, n: number) => `Abgaben ${course}: ${title}, Team ${n}`,
    spaceName: (course: string) => `Abgaben ${course}`,
    kinds: { text: "Texte", file: "Dateien" },
  },
  en: {
    help: [
      "Homework commands (German names in brackets):",
      "!homework (!aufgaben): this course's assignments with your status",
      "!assignment title | due | description [| grade/points/none] (!aufgabe): new assignment (teachers), e.g. !assignment Poem analysis | 2026-03-24T18:00 | page 42 | grade",
      "!submit [no] (!abgeben): in your submission room: your latest messages and files as the submission",
      "!started [no] (!begonnen): mark as started",
      "!submissions [no] (!abgaben): who submitted, who is late, who is missing (teachers)",
      "!extend no @student date (!verlängern): extend the due date for one person (teachers)",
      "!grade no grade [comment] (!note): grade in the submission room (teachers); !grade no - comment: a comment only",
    ],
    newAssignment: (title: string, due: string) => `New assignment: "${title}", due ${due}.`,
    changedAssignment: (title: string, due: string) => `Assignment changed: "${title}", now due ${due}.`,
    closedAssignment: (title: string) => `Assignment "${title}" is closed; no more submissions.`,
    received: (title: string, late: boolean) => `Submission for "${title}" received${late ? " (late)" : ""}.`,
    submitted: (text: string, files: string[]) => [text === "" ? "" : `Submitted:\n${text}`, files.length === 0 ? "" : `Files: ${files.join(", ")}`].filter((x) => x !== "").join("\n"),
    tooLate: (title: string, cutoff: string) => `Submission for "${title}" not accepted: the cut-off was ${cutoff}.`,
    closed: (title: string) => `Submission for "${title}" not accepted: the assignment is closed.`,
    kindNotAllowed: (kinds: string) => `This assignment accepts ${kinds} only.`,
    nothingToSubmit: "I find no message or file from you since your last submission. Write your answer or upload a file, then !submit.",
    whichAssignment: (list: string) => `Which assignment? Please give its number: ${list}`,
    noAssignments: "This course has no open assignments.",
    onlyTeachers: "Only teachers of this course may do that.",
    onlyInSubmissionRoom: "Submitting works in your submission room for this course. I have invited you.",
    notHere: "This command only works in a course room.",
    invalid: (why: string) => `I did not understand that: ${why}`,
    reminder: (title: string, due: string) => `Reminder: "${title}" is due ${due}. You have not submitted yet.`,
    feedback: (title: string, mark: string, comment: string) =>
      [`Feedback on "${title}"`, mark === "" ? "" : `Grade: ${mark}`, comment === "" ? "" : `Comment: ${comment}`].filter((l) => l !== "").join("\n"),
    markRefused: (title: string, why: "not_graded" | "bad_grade" | "bad_points" | "empty", input: string) =>
      ({
        not_graded:
          `"${title}" is not graded, so I did not save "${input}", nor the comment. ` +
          "Give a comment only with !grade no - comment; publish a graded assignment with !assignment title | due | description | grade (or | points).",
        bad_grade: `"${input}" is not a grade: "${title}" is graded 1 to 6 (with + or -). Nothing was saved.`,
        bad_points: `"${input}" are not points: "${title}" is graded with 0 to 15 points. Nothing was saved.`,
        empty: `The grade or a comment for "${title}" is missing: !grade no grade [comment] or !grade no - comment.`,
      })[why],
    gradings: { grade: "grades 1 to 6", points: "points 0 to 15", none: "not graded" },
    gradingLine: (grading: string) => `Grading: ${grading}.`,
    extensionNotice: (title: string, due: string) => `New due date for you on "${title}": due ${due}.`,
    extended: (who: string, title: string, due: string) => `Due date for ${who} on "${title}" extended to ${due}.`,
    started: (title: string) => `"${title}" marked as started.`,
    statusLine: (n: number, title: string, due: string, status: string) => `${n}. ${title}, due ${due}: ${status}`,
    overview: (title: string, done: number, late: number, missing: string[]) =>
      `"${title}": ${done} submitted (${late} late), ${missing.length} missing${missing.length > 0 ? `: ${missing.join(", ")}` : ""}.`,
    roomName: (course: string, student: string) => `Submissions ${course}: ${student}`,
    teamRoomName: (course: string, title: string, n: number) => `Submissions ${course}: ${title}, team ${n}`,
    spaceName: (course: string) => `Submissions ${course}`,
    kinds: { text: "texts", file: "files" },
  },
} as const;
