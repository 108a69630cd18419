// The errors of OpenID sign-in and sessions: each kind with its code, HTTP status, Matrix errcode and user-facing text.
import { SchulhofError } from "../errors.ts";

const KINDS = {
  bad_json: { code: "SCHULHOF_OPENID_BAD_JSON", status: 400, errcode: "M_BAD_JSON", de: "Die Anfrage ist fehlerhaft.", en: "The request is malformed." },
  not_json: { code: "SCHULHOF_OPENID_NOT_JSON", status: 400, errcode: "M_NOT_JSON", de: "Die Anfrage ist kein gültiges JSON.", en: "The request body is not valid JSON." },
  too_large: { code: "SCHULHOF_OPENID_TOO_LARGE", status: 413, errcode: "M_TOO_LARGE", de: "Die Anfrage ist zu groß.", en: "The request is too large." },
  untrusted_server: { code: "SCHULHOF_OPENID_UNTRUSTED_SERVER", status: 403, errcode: "M_FORBIDDEN", de: "Dieser Server ist nicht vertrauenswürdig.", en: "This server is not trusted." },
  invalid_openid_token: { code: "SCHULHOF_OPENID_INVALID_TOKEN", status: 401, errcode: "M_UNKNOWN_TOKEN", de: "Die Anmeldung konnte nicht bestätigt werden. Bitte erneut anmelden.", en: "The sign-in could not be confirmed. Please sign in again." },
  homeserver_unreachable: { code: "SCHULHOF_OPENID_HOMESERVER_UNREACHABLE", status: 502, errcode: "M_UNKNOWN", de: "Der Heimserver ist nicht erreichbar. Bitte später erneut versuchen.", en: "The homeserver is unreachable. Please try again later." },
  missing_session: { code: "SCHULHOF_SESSION_MISSING", status: 401, errcode: "M_MISSING_TOKEN", de: "Anmeldung erforderlich.", en: "Sign-in required." },
  invalid_session: { code: "SCHULHOF_SESSION_INVALID", status: 401, errcode: "M_UNKNOWN_TOKEN", de: "Ungültige Sitzung. Bitte erneut anmelden.", en: "Invalid session. Please sign in again." },
  expired_session: { code: "SCHULHOF_SESSION_EXPIRED", status: 401, errcode: "M_UNKNOWN_TOKEN", de: "Sitzung abgelaufen. Bitte erneut anmelden.", en: "Session expired. Please sign in again." },
  weak_secret: { code: "SCHULHOF_SESSION_WEAK_SECRET", status: 500, errcode: "M_UNKNOWN", de: "Interner Fehler.", en: "Internal error." },
  no_user: { code: "SCHULHOF_OPENID_NO_USER", status: 500, errcode: "M_UNKNOWN", de: "Interner Fehler.", en: "Internal error." },
} as const;

/** The kinds of OpenID and session errors. */
export type OpenIdErrorKind = keyof typeof KINDS;

/** Stable codes (`SCHULHOF_…`) of the OpenID and session errors, for matching with `isSchulhofError(e, code)`. */
export const OPENID_ERROR_CODES = Object.fromEntries(Object.entries(KINDS).map(([kind, k]) => [kind, k.code])) as Readonly<Record<OpenIdErrorKind, string>>;

/** Builds the error of one kind; `logMessage` is for logs only and must never contain a token. */
export function openIdError(kind: OpenIdErrorKind, logMessage: string): SchulhofError {
  const k = KINDS[kind];
  return new SchulhofError(k.code, logMessage, { de: k.de, en: k.en }, { httpStatus: k.status, errcode: k.errcode });
}
