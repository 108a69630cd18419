// Due dates in the school's time zone, correct across daylight-saving changes, and lateness by the event's own time.
import { DateTime, IANAZone } from "luxon";
import { HomeworkError } from "./errors.ts";

/**
 * Turns a wall-clock time at school (`2026-03-29T18:00` or `29.03.2026 18:00`) in `zone` into an
 * RFC 3339 timestamp with the offset in force then (+01:00 in winter, +02:00 in summer). A time
 * that does not exist (the hour skipped in March) is refused; in the repeated hour in October the
 * first (summer-time) instance is meant.
 */
export function localToRfc3339(local: string, zone = "Europe/Berlin"): string {
  if (!IANAZone.isValidZone(zone)) throw new HomeworkError("SCHULHOF_HOMEWORK_ZONE", `unknown time zone ${zone}`, { de: `Unbekannte Zeitzone ${zone}.`, en: `Unknown time zone ${zone}.` });
  const german = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(local.trim());
  const dt = german
    ? DateTime.fromObject(
        { day: Number(german[1]), month: Number(german[2]), year: Number(german[3]), hour: Number(german[4] ?? 23), minute: Number(german[5] ?? 59) },
        { zone },
      )
    : DateTime.fromISO(local.trim(), { zone });
  if (!dt.isValid) {
    throw new HomeworkError("SCHULHOF_HOMEWORK_DATE", `not a date: ${local}`, {
      de: `„${local}“ ist kein Datum (z. B. 24.03.2026 18:00).`,
      en: `"${local}" is not a date (e.g. 2026-03-24T18:00).`,
    });
  }
  // luxon moves a skipped wall-clock time forward; such a time does not exist at school.
  const wall = german ? `${german[4] ?? 23}:${german[5] ?? 59}`.padStart(5, "0") : local.trim().slice(11, 16);
  if (wall.length === 5 && dt.toFormat("HH:mm") !== wall) {
    throw new HomeworkError("SCHULHOF_HOMEWORK_DATE", `${local} does not exist in ${zone} (clock change)`, {
      de: `${local} gibt es wegen der Zeitumstellung nicht; bitte eine andere Uhrzeit wählen.`,
      en: `${local} does not exist because of the clock change; please choose another time.`,
    });
  }
  // In the repeated hour (October) luxon takes the later instant; the first one is meant.
  const earlier = DateTime.fromMillis(dt.toMillis() - 3_600_000, { zone });
  const chosen = earlier.toFormat("yyyy-MM-dd HH:mm") === dt.toFormat("yyyy-MM-dd HH:mm") ? earlier : dt;
  return chosen.toISO({ suppressMilliseconds: true }) ?? "";
}

/** Milliseconds since the epoch of an RFC 3339 timestamp. */
export function toMillis(rfc3339: string): number {
  return DateTime.fromISO(rfc3339, { setZone: true }).toMillis();
}

/** A timestamp shown to people at school: `Di, 24.03.2026, 18:00` (de) or `Tue, 24 Mar 2026, 18:00` (en). */
export function formatAtSchool(rfc3339: string, zone: string, lang: "de" | "en"): string {
  return DateTime.fromISO(rfc3339, { setZone: true })
    .setZone(zone)
    .setLocale(lang === "de" ? "de-DE" : "en-GB")
    .toFormat(lang === "de" ? "ccc, dd.MM.yyyy, HH:mm 'Uhr'" : "ccc, d LLL yyyy, HH:mm");
}

/** When a submission at `submittedAt` (ms, the event's origin_server_ts) stands: on time, late, or refused after the cut-off. */
export function judgeSubmission(submittedAt: number, due: string, cutoff: string | null): "on_time" | "late" | "too_late" {
  if (submittedAt <= toMillis(due)) return "on_time";
  if (cutoff === null || submittedAt <= toMillis(cutoff)) return "late";
  return "too_late";
}
