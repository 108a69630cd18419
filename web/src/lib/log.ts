// The client's one place that writes to the browser console (eslint forbids `console` elsewhere).
/* eslint-disable no-console */

/** Console output with a `[schulhof]` prefix; never pass tokens or passwords. */
export const log = {
  info(message: string, ...details: unknown[]): void {
    console.info(`[schulhof] ${message}`, ...details);
  },
  warn(message: string, ...details: unknown[]): void {
    console.warn(`[schulhof] ${message}`, ...details);
  },
  error(message: string, ...details: unknown[]): void {
    console.error(`[schulhof] ${message}`, ...details);
  },
};
