// Error types shared by every Schulhof package: a code, a log message and a user-facing text in German and English.

/** Texts shown to people, German first (the default language), English second. */
export interface UserText {
  de: string;
  en: string;
}

/**
 * The base error of every Schulhof package. `code` is stable (`SCHULHOF_…`) and can be matched on;
 * `message` is for logs; `user` is what a person sees. `httpStatus` and `errcode` shape HTTP answers.
 */
export class SchulhofError extends Error {
  readonly code: string;
  readonly user: UserText;
  readonly httpStatus: number;
  readonly errcode: string;

  constructor(
    code: string,
    message: string,
    user?: UserText,
    opts: { httpStatus?: number; errcode?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "SchulhofError";
    this.code = code;
    this.user = user ?? { de: message, en: message };
    this.httpStatus = opts.httpStatus ?? 500;
    this.errcode = opts.errcode ?? "M_UNKNOWN";
  }

  /** The `{errcode, error}` body that HTTP endpoints answer with, as Matrix does. */
  toMatrixError(lang: "de" | "en" = "en"): { errcode: string; error: string; schulhof_code: string } {
    return { errcode: this.errcode, error: this.user[lang], schulhof_code: this.code };
  }
}

/** A configuration value is missing or wrong; names the file and the key's path. */
export class ConfigError extends SchulhofError {
  readonly file: string;
  readonly key: string;

  constructor(file: string, key: string, problem: string) {
    const where = key === "" ? file : `${file}: ${key}`;
    super("SCHULHOF_CONFIG", `${where}: ${problem}`, {
      de: `Fehler in der Konfiguration ${where}: ${problem}`,
      en: `Configuration error in ${where}: ${problem}`,
    });
    this.name = "ConfigError";
    this.file = file;
    this.key = key;
  }
}

/** True when `e` is a SchulhofError with the given code. */
export function isSchulhofError(e: unknown, code?: string): e is SchulhofError {
  return e instanceof SchulhofError && (code === undefined || e.code === code);
}
