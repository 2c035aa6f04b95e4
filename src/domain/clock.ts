/** ISO 8601 UTC with milliseconds, the only timestamp format of the API. */
export function isoNow(): string {
  return new Date().toISOString();
}

/** ISO string for a millisecond epoch. */
export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
