/**
 * The endpoint failure rule: each failed attempt adds one to the endpoint's counter, any success
 * resets it, and the endpoint fails when the counter reaches its threshold within 24 h (or at once
 * on a 410 Gone). The window starts at the first failure counted; a failure more than 24 h after
 * it starts a new window at 1.
 */

export const FAILURE_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface FailureCounter {
  count: number;
  /** ISO time of the first failure in the current window, or null when the count is 0. */
  windowStart: string | null;
}

export interface FailureVerdict extends FailureCounter {
  /** The endpoint must become `failed` now. */
  trip: boolean;
  /** Why, for the webhook.failed event. */
  reason: string;
}

/** The counter after one failed attempt and whether it trips the endpoint. */
export function countFailure(c: FailureCounter, threshold: number, nowMs: number, statusCode: number | null, lastError: string): FailureVerdict {
  const stale = c.windowStart === null || nowMs - Date.parse(c.windowStart) > FAILURE_WINDOW_MS;
  const count = stale ? 1 : c.count + 1;
  const windowStart = stale ? new Date(nowMs).toISOString() : c.windowStart;
  if (statusCode === 410) return { count, windowStart, trip: true, reason: 'The endpoint answered 410 Gone.' };
  const trip = count >= threshold;
  const plural = count === 1 ? 'attempt' : 'attempts';
  return { count, windowStart, trip, reason: `${count} failed ${plural} within 24 h (last: ${lastError}).` };
}

/** A one-line description of a failed attempt's outcome. */
export function describeFailure(statusCode: number | null, error: string | null): string {
  if (statusCode !== null) return `HTTP ${statusCode}`;
  return error ?? 'no answer';
}
