// Bilingual reasons (German first, English second) and the error class that carries one.

/** A user-visible reason in German (primary) and English. */
export interface Reason {
  de: string;
  en: string;
}

/** An error whose message is shown to people: it carries the reason in German and English. */
export class ModelError extends Error {
  readonly reason: Reason;

  constructor(reason: Reason) {
    super(reason.en);
    this.name = "ModelError";
    this.reason = reason;
  }
}

/** Builds a reason from its German and English text. */
export function reason(de: string, en: string): Reason {
  return { de, en };
}

/** Joins several reasons into one (German with German, English with English). */
export function joinReasons(reasons: readonly Reason[]): Reason {
  return { de: reasons.map((r) => r.de).join("; "), en: reasons.map((r) => r.en).join("; ") };
}
