/**
 * IN-lists padded to a few fixed lengths. Every distinct list length is a distinct SQL text, and on
 * SQLite every distinct text is one more prepared statement held natively (~0.2 KB per id) by the
 * 500-entry statement cache in database.ts: draining a backlog prepared ~80 lengths of each hot
 * query (claim, events, lock, finish; up to 512 ids), ~400 statements with the attempt inserts,
 * so the cache filled up and churned. Padding to the next power of two (at least 8) by repeating
 * the last value leaves 8 lengths per query; a repeated value changes nothing, IN is set membership.
 */
export function padIn<T>(values: readonly T[]): T[] {
  const n = values.length;
  if (n <= 1) return values as T[];
  let size = 8;
  while (size < n) size *= 2;
  if (size === n) return values as T[];
  const out = values.slice();
  const last = values[n - 1]!;
  while (out.length < size) out.push(last);
  return out;
}
