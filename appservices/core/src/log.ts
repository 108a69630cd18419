// Structured logs (pino) with secrets redacted.
import { pino, type Logger } from "pino";

export type { Logger } from "pino";

const REDACT = [
  "password",
  "*.password",
  "as_token",
  "hs_token",
  "*.as_token",
  "*.hs_token",
  "access_token",
  "*.access_token",
  "registration_shared_secret",
  "req.headers.authorization",
];

/** A logger for one component; level from the config or `SCHULHOF_LOG_LEVEL`. */
export function createLogger(component: string, level?: string): Logger {
  return pino({
    name: component,
    level: level ?? process.env.SCHULHOF_LOG_LEVEL ?? "info",
    redact: { paths: REDACT, censor: "[redacted]" },
  });
}
