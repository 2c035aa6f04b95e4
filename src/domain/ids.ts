import crypto from 'node:crypto';

/** Prefixes of every id kind in the public API. */
export type IdPrefix = 'usr' | 'conv' | 'msg' | 'evt' | 'wh' | 'dlv' | 'att' | 'agt' | 'key' | 'cmp' | 'log' | 'mbr';

// Crockford base32, as ULIDs spell it.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const B40 = 2 ** 40;
// Bits 40..63 of a same-millisecond step: with the low 40 bits random, one id is more than 2^40
// above the previous, at random within about 2^64, so knowing one id tells nothing useful about
// its neighbour's. The 80 random bits then carry over into the time part only after ~2^16 ids
// in one millisecond.
const STEP_HIGH_BITS = 24;

/**
 * Makes `newId(prefix)`: a prefix, an underscore and 26 characters in the ULID layout (48 bits of
 * milliseconds, then 80 random bits). Ids sort by creation time, which the store relies on: the id
 * is the pagination key, attempts and messages are listed in id order, and workers lock deliveries
 * in id order. Within one process they are strictly increasing even within one millisecond, but,
 * unlike ulid's monotonic factory (which adds 1, so the next id of another tenant is the previous
 * one plus one), each step adds a random amount of at least 2^40.
 */
export function createIdFactory(): (prefix: IdPrefix) => string {
  const random = bufferedRandom();
  let lastTime = -1;
  // The 80 random bits as two 40-bit halves, each exact in a double.
  let hi = 0;
  let lo = 0;
  let timeText = '';
  let timeTextOf = -1;
  return (prefix) => {
    const now = Date.now();
    if (now > lastTime) {
      lastTime = now;
      hi = random(40);
      lo = random(40);
    } else {
      // Same millisecond (or the clock stepped back): step up from the previous id.
      lo += random(40);
      hi += 1 + random(STEP_HIGH_BITS) + (lo >= B40 ? 1 : 0);
      if (lo >= B40) lo -= B40;
      if (hi >= B40) {
        // 80 bits used up: borrow the next millisecond, as a clock a hair fast would.
        hi -= B40;
        lastTime++;
      }
    }
    if (timeTextOf !== lastTime) {
      timeText = encode(lastTime, 10);
      timeTextOf = lastTime;
    }
    return `${prefix}_${timeText}${encode40(hi)}${encode40(lo)}`;
  };
}

/** True when `id` looks like an id of the given kind (cheap shape check before a lookup). */
export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.length === prefix.length + 27 && id.startsWith(prefix + '_');
}

/** `n` (a non-negative integer below 2^53) as `chars` base32 characters, most significant first. */
function encode(n: number, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/** A 40-bit integer as 8 base32 characters, in two 20-bit halves so bit operations apply. */
function encode40(n: number): string {
  const high = Math.floor(n / 2 ** 20);
  const low = n % 2 ** 20;
  return (
    ALPHABET[(high >>> 15) & 31] + ALPHABET[(high >>> 10) & 31] + ALPHABET[(high >>> 5) & 31] + ALPHABET[high & 31] +
    ALPHABET[(low >>> 15) & 31] + ALPHABET[(low >>> 10) & 31] + ALPHABET[(low >>> 5) & 31] + ALPHABET[low & 31]
  );
}

/**
 * Uniform random integers of up to 48 bits from a 4 KiB buffer of cryptographic randomness (asking
 * the OS for each few bytes costs several times more).
 */
function bufferedRandom(): (bits: number) => number {
  const buf = Buffer.alloc(4096);
  let i = buf.length;
  return (bits) => {
    if (i + 6 > buf.length) {
      crypto.randomFillSync(buf);
      i = 0;
    }
    const v = buf.readUIntBE(i, 6); // 48 random bits
    i += 6;
    return Math.floor(v / 2 ** (48 - bits));
  };
}
