// Sending rate limit as pure state: a fixed window per sender, the caller keeps the state.

import { refusal, type Refusal } from "./smtp.ts";

/** The counting state of one sender: when the current window began and how many messages it holds. */
export interface RateState {
  windowStart: number;
  count: number;
}

/** One hour, the window of the policy's `rate_limit` numbers. */
export const RATE_WINDOW_MS = 3_600_000;

/**
 * Counts one message against `limit` per `windowMs`, as a fixed window that starts with the first
 * message after the previous window ran out (not at the full hour). The message that reaches
 * `limit` is allowed, the next one is not; refused attempts are not counted. `retryAfterMs` is the
 * time until the window ends (0 when allowed). Fixed windows are simple and need one number per
 * sender; the price is that up to 2 × limit messages fit around a window's end. A clock that went
 * back (`now` before `windowStart`) counts into the current window rather than opening a new one.
 */
export function rateLimit(state: RateState | null, now: number, limit: number, windowMs: number): { allowed: boolean; state: RateState | null; retryAfterMs: number } {
  const fresh = state === null || now >= state.windowStart + windowMs;
  if (limit < 1) return { allowed: false, state, retryAfterMs: fresh ? windowMs : state.windowStart + windowMs - Math.max(now, state.windowStart) };
  if (fresh) return { allowed: true, state: { windowStart: now, count: 1 }, retryAfterMs: 0 };
  if (state.count < limit) return { allowed: true, state: { windowStart: state.windowStart, count: state.count + 1 }, retryAfterMs: 0 };
  return { allowed: false, state, retryAfterMs: state.windowStart + windowMs - Math.max(now, state.windowStart) };
}

/** The refusal for a sender over the limit: 451 4.7.1, with the wait in minutes (rounded up). */
export function rateLimitRefusal(retryAfterMs: number): Refusal {
  const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
  return refusal(451, "4.7.1", `Sending rate limit reached, try again in ${minutes} minutes`, {
    de: `Du hast in der letzten Stunde zu viele Mails verschickt. Versuche es in ${minutes} ${minutes === 1 ? "Minute" : "Minuten"} wieder.`,
    en: `You have sent too many mails in the last hour. Try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`,
  });
}
