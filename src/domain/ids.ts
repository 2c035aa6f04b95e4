import crypto from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** Prefixes of every id kind in the public API. */
export type IdPrefix = 'usr' | 'conv' | 'msg' | 'evt' | 'wh' | 'dlv' | 'att' | 'agt' | 'key' | 'cmp' | 'log' | 'mbr';

/**
 * Makes `newId(prefix)`: a prefix, an underscore and a ULID. ULIDs sort by creation time (so the id
 * doubles as the pagination key) and carry 80 random bits (so they cannot be guessed). The factory
 * is monotonic so ids made within one millisecond by one process still sort in creation order.
 */
export function createIdFactory(): (prefix: IdPrefix) => string {
  const next = monotonicFactory(bufferedRandom());
  return (prefix) => `${prefix}_${next()}`;
}

/** True when `id` looks like an id of the given kind (cheap shape check before a lookup). */
export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.length === prefix.length + 27 && id.startsWith(prefix + '_');
}

/**
 * ulid's default source asks the OS for randomness one character at a time; drawing from a
 * 4 KiB buffer of the same cryptographic randomness is several times cheaper. 256 is a multiple
 * of 32, so byte/256 keeps every base-32 character equally likely.
 */
function bufferedRandom(): () => number {
  const buf = Buffer.alloc(4096);
  let i = buf.length;
  return () => {
    if (i === buf.length) {
      crypto.randomFillSync(buf);
      i = 0;
    }
    return buf[i++] / 256;
  };
}
