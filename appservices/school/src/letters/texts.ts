// The wording of credential letters in German (du for students, Sie for staff) and English.

import type { Role } from "../roster/types.ts";

/** Everything a letter says, filled in for one person. */
export interface LetterText {
  heading: string;
  confidential: string;
  labels: Record<"name" | "class" | "role" | "login" | "username" | "matrixId" | "server" | "password", string>;
  roles: Record<Role, string>;
  classLeader: (className: string) => string;
  warning: string;
  howToTitle: string;
  steps: (loginUrl: string, localpart: string) => string[];
  help: string;
}

const ROLES_DE: Record<Role, string> = { student: "Schülerin/Schüler", teacher: "Lehrkraft", admin: "Administration" };

const DE_STUDENT: LetterText = {
  heading: "Zugangsdaten für Schulhof",
  confidential: "Persönlich – bitte nicht weitergeben",
  labels: {
    name: "Name",
    class: "Klasse",
    role: "Rolle",
    login: "Anmeldung unter",
    username: "Benutzername",
    matrixId: "Vollständige Matrix-ID",
    server: "Server (für andere Matrix-Apps)",
    password: "Erstes Passwort",
  },
  roles: ROLES_DE,
  classLeader: (c) => `Klassenleitung ${c}`,
  warning:
    "Dieses Passwort gilt nur für die erste Anmeldung: Du musst es dabei ändern. Halte dein Passwort geheim " +
    "und gib es niemandem weiter, auch nicht Freundinnen und Freunden.",
  howToTitle: "So meldest du dich an",
  steps: (url, user) => [
    `Öffne ${url} im Browser (am Computer, Tablet oder Handy).`,
    `Gib als Benutzernamen „${user}“ und das Passwort von diesem Blatt ein.`,
    "Wähle ein neues Passwort, das nur du kennst, und merke es dir gut.",
    "Danach gilt das Passwort auf diesem Blatt nicht mehr. Bewahre das Blatt sicher auf oder vernichte es.",
  ],
  help: "Fragen? Wende dich an deine Klassenleitung oder an das Sekretariat.",
};

const DE_STAFF: LetterText = {
  ...DE_STUDENT,
  warning:
    "Dieses Passwort gilt nur für die erste Anmeldung: Sie müssen es dabei ändern. Halten Sie Ihr Passwort " +
    "geheim und geben Sie es nicht weiter.",
  howToTitle: "So melden Sie sich an",
  steps: (url, user) => [
    `Öffnen Sie ${url} im Browser.`,
    `Geben Sie als Benutzernamen „${user}“ und das Passwort von diesem Blatt ein.`,
    "Wählen Sie ein neues, sicheres Passwort, das nur Sie kennen.",
    "Danach gilt das Passwort auf diesem Blatt nicht mehr. Bewahren Sie das Blatt sicher auf oder vernichten Sie es.",
  ],
  help: "Bei Fragen hilft die Schul-Administration.",
};

const EN: LetterText = {
  heading: "Your Schulhof login",
  confidential: "Personal – do not pass on",
  labels: {
    name: "Name",
    class: "Class",
    role: "Role",
    login: "Sign in at",
    username: "User name",
    matrixId: "Full Matrix ID",
    server: "Server (for other Matrix apps)",
    password: "Initial password",
  },
  roles: { student: "Student", teacher: "Teacher", admin: "Administration" },
  classLeader: (c) => `class teacher of ${c}`,
  warning:
    "This password is only for your first sign-in, where you must change it. Keep your password secret " +
    "and never share it.",
  howToTitle: "How to sign in",
  steps: (url, user) => [
    `Open ${url} in a browser.`,
    `Enter the user name "${user}" and the password from this sheet.`,
    "Choose a new password that only you know.",
    "The password on this sheet then stops working. Keep this sheet safe or destroy it.",
  ],
  help: "Questions? Ask your class teacher or the school office.",
};

/** The wording for one person: German `du` for students, `Sie` for staff; English for all. */
export function letterText(role: Role, lang: "de" | "en"): LetterText {
  if (lang === "en") return EN;
  return role === "student" ? DE_STUDENT : DE_STAFF;
}
