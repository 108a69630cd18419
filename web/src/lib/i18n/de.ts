// German texts (the default language). Keys are grouped by page; every key must also be in en.ts (the type checks it).
import * as admin from "../../features/admin/i18n.ts";
import * as calendar from "../../features/calendar/i18n.ts";
import * as chats from "../../features/chats/i18n.ts";
import * as exams from "../../features/exams/i18n.ts";
import * as homework from "../../features/homework/i18n.ts";
import * as mail from "../../features/mail/i18n.ts";
import * as today from "../../features/today/i18n.ts";

/** Each section's texts live beside it in `features/<section>/i18n.ts`. */
export const FEATURE_TEXTS = { admin, calendar, chats, exams, homework, mail, today } as const;

export const de = {
  ...admin.de,
  ...calendar.de,
  ...chats.de,
  ...exams.de,
  ...homework.de,
  ...mail.de,
  ...today.de,
  "nav.today": "Heute",
  "nav.chats": "Chats",
  "nav.homework": "Aufgaben",
  "nav.calendar": "Kalender",
  "nav.exams": "Klausuren",
  "nav.mail": "Mail",
  "nav.video": "Video",
  "nav.admin": "Verwaltung",

  "shell.skip_to_content": "Zum Inhalt springen",
  "shell.navigation": "Hauptnavigation",
  "shell.menu": "Menü",
  "shell.logout": "Abmelden",
  "shell.reconnecting": "Die Verbindung zum Server ist unterbrochen. Der Schulhof versucht es weiter …",
  "prefs.dark_theme": "Dunkles Design",

  "start.loading": "Schulhof wird geladen",
  "start.loading_detail": "Einen Moment bitte …",
  "start.failed_title": "Der Schulhof kann nicht starten",
  "start.retry": "Erneut versuchen",

  "login.title": "Anmelden",
  "login.user": "Benutzername",
  "login.user_hint": "Zum Beispiel lena.koehler, wie im Zugangsbrief.",
  "login.password": "Passwort",
  "login.submit": "Anmelden",
  "login.submitting": "Anmeldung läuft …",
  "login.missing_input": "Bitte Benutzername und Passwort eingeben.",
  "login.session_expired": "Deine Sitzung ist abgelaufen. Bitte melde dich erneut an.",

  "error.server_unreachable": "Der Server der Schule ist gerade nicht erreichbar. Bitte gleich noch einmal versuchen.",
  "error.discovery_invalid": "Die Einstellungen dieser Schule sind unvollständig. Bitte wende dich an die Schul-IT.",
  "error.wrong_password": "Benutzername oder Passwort ist falsch.",
  "error.user_deactivated": "Dieses Konto ist gesperrt. Bitte wende dich an die Schul-IT.",
  "error.rate_limited": "Zu viele Versuche. Bitte kurz warten und erneut versuchen.",
  "error.rate_limited_seconds": "Zu viele Versuche. Bitte in {seconds} s erneut versuchen.",
  "error.session_expired": "Deine Sitzung ist abgelaufen. Bitte melde dich erneut an.",
  "error.unknown": "Etwas ist schiefgegangen. Bitte erneut versuchen.",
  "error.no_video_service": "Für diese Schule ist kein Videodienst eingerichtet.",
  "error.media_denied": "Kamera oder Mikrofon sind nicht verfügbar. Bitte erlaube den Zugriff im Browser.",
  "error.call_failed": "Das hat nicht geklappt. Bitte erneut versuchen.",

  "soon.text": "Dieser Bereich kommt bald.",

  "password.title": "Eigenes Passwort festlegen",
  "password.why": "Du meldest dich zum ersten Mal an. Bitte ersetze das Passwort aus deinem Zugangsbrief durch ein eigenes, das nur du kennst.",
  "password.current": "Passwort aus dem Brief",
  "password.new": "Neues Passwort",
  "password.repeat": "Neues Passwort wiederholen",
  "password.hint": "Mindestens {n} Zeichen. Ein Satz, den du dir gut merken kannst, ist ein gutes Passwort.",
  "password.too_short": "Das neue Passwort braucht mindestens {n} Zeichen.",
  "password.mismatch": "Die beiden neuen Passwörter sind nicht gleich.",
  "password.same": "Das neue Passwort muss sich vom alten unterscheiden.",
  "password.wrong_current": "Das Passwort aus dem Brief stimmt nicht.",
  "password.failed": "Das Passwort konnte nicht geändert werden. Bitte versuche es noch einmal.",
  "password.save": "Passwort speichern",
  "password.saving": "Wird gespeichert …",
  "nav.unread": "{n} ungelesen",
  "notfound.title": "Seite nicht gefunden",
  "notfound.home": "Zur Startseite",
  "rooms.loading": "Räume werden geladen …",

  "today.greeting": "Hallo, {name}!",

  "video.list_intro": "Wähle einen Raum, um seine Videostunde zu öffnen.",
  "video.no_rooms": "Du bist noch in keinem Raum, der eine Videostunde haben kann.",
  "video.running": "Stunde läuft",

  "call.room_unknown_title": "Raum nicht gefunden",
  "call.room_unknown": "Diesen Raum gibt es nicht, oder du bist nicht Mitglied.",
  "call.back_to_list": "Zurück zur Übersicht",
  "call.now_in_call": "Gerade in der Stunde: {names}",
  "call.nobody_in_call": "Gerade ist niemand in der Stunde.",
  "call.join": "Beitreten",
  "call.rejoin": "Erneut beitreten",
  "call.connecting": "Verbindung wird aufgebaut …",
  "call.waiting": "Bitte warten, die Lehrkraft lässt dich gleich herein.",
  "call.leave": "Verlassen",
  "call.left": "Du hast die Stunde verlassen.",
  "call.removed": "Du wurdest aus der Stunde entfernt.",
  "call.ended_by_teacher": "Die Lehrkraft hat die Stunde beendet.",
  "call.duplicate": "Du bist mit diesem Konto an einem anderen Gerät in die Stunde gegangen.",
  "call.connection_lost": "Die Verbindung zur Stunde ist abgebrochen.",
  "call.participants": "Teilnehmende",
  "call.controls": "Eigene Einstellungen",
  "call.you": "{name} (du)",
  "call.unknown_participant": "Unbekannt",
  "call.role_teacher": "Lehrkraft",
  "call.hand_raised": "Meldet sich",
  "call.mic_off_badge": "Stumm",
  "call.mic_on": "Mikrofon an",
  "call.mic_off": "Mikrofon aus",
  "call.camera_on": "Kamera an",
  "call.camera_off": "Kamera aus",
  "call.screen_start": "Bildschirm teilen",
  "call.screen_stop": "Teilen beenden",
  "call.raise_hand": "Hand heben",
  "call.muted_by_teacher": "Die Lehrkraft hat dein Mikrofon stummgeschaltet.",
  "call.camera_off_by_teacher": "Die Lehrkraft hat deine Kamera ausgeschaltet.",
  "call.screen_off_by_teacher": "Die Lehrkraft hat deine Bildschirmfreigabe beendet.",

  "mod.title": "Steuerung der Stunde",
  "mod.waiting_title": "Warteraum",
  "mod.waiting_empty": "Niemand wartet.",
  "mod.participants_title": "Schülerinnen und Schüler",
  "mod.participants_empty": "Noch niemand da.",
  "mod.admit": "Einlassen",
  "mod.admit_all": "Alle einlassen",
  "mod.mute": "Stummschalten",
  "mod.camera_off": "Kamera aus",
  "mod.screen_off": "Bildschirm aus",
  "mod.remove": "Entfernen",
  "mod.mute_all": "Alle stummschalten",
  "mod.end": "Stunde beenden",
  "mod.end_confirm": "Die Stunde für alle beenden?",
} as const;

/** A text's key. */
export type MessageKey = keyof typeof de;
