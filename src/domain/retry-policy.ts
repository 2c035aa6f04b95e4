/**
 * When the next delivery attempt happens. Attempt 1 goes at once; after attempt k fails the next
 * waits `schedule[k-1]` seconds; once the schedule is used up the delivery is exhausted.
 */

export interface ParamError {
  param: string;
  message: string;
}

const MAX_ENTRIES = 20;
const MAX_DELAY_SECONDS = 86_400;

// The three HTTP-date forms of RFC 9110 §5.6.7. Checked by shape first because Date.parse
// happily reads "1.5" or "2024" as dates.
const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * Milliseconds to wait before the next attempt after `attemptsMade` attempts, or null when the
 * schedule is exhausted. A receiver's retry-after replaces the scheduled delay, capped at twice it.
 */
export function nextDelayMs(schedule: number[], attemptsMade: number, retryAfterSeconds?: number | null): number | null {
  if (attemptsMade < 1) return 0;
  if (attemptsMade > schedule.length) return null;
  const scheduled = schedule[attemptsMade - 1]!;
  if (retryAfterSeconds == null || !Number.isFinite(retryAfterSeconds) || retryAfterSeconds < 0) return scheduled * 1000;
  // The cap keeps a hostile or confused receiver from parking a delivery for days.
  return Math.min(retryAfterSeconds, scheduled * 2) * 1000;
}

/** Seconds from a `retry-after` header (delay-seconds or HTTP-date); null when absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string') return null;
  const v = raw.trim();
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : null;
  }
  let at: number;
  if (IMF_FIXDATE.test(v) || RFC850_DATE.test(v)) at = Date.parse(v);
  else if (ASCTIME_DATE.test(v)) at = Date.parse(`${v} GMT`); // asctime carries no zone but means GMT
  else return null;
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** Checks an endpoint's `retry.schedule`; null when valid. */
export function validateRetrySchedule(x: unknown): ParamError | null {
  if (!Array.isArray(x) || x.length > MAX_ENTRIES) {
    return { param: '/retry/schedule', message: `retry.schedule must be an array of at most ${MAX_ENTRIES} delays in seconds.` };
  }
  for (let i = 0; i < x.length; i++) {
    const d: unknown = x[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_DELAY_SECONDS) {
      return { param: `/retry/schedule/${i}`, message: `Each delay is a whole number of seconds from 0 to ${MAX_DELAY_SECONDS}.` };
    }
  }
  return null;
}
