import crypto from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `v1,<base64 HMAC-SHA256>` over
 * `<id>.<timestamp>.<body>`, keyed by the decoded bytes of a `whsec_<base64>` secret. Hand-written on
 * node:crypto because it runs once per delivery attempt.
 */

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return PREFIX + crypto.randomBytes(32).toString('base64');
}

/** The HMAC key of a `whsec_<base64>` secret; throws on an empty or malformed secret. */
export function decodeSecret(secret: string): Buffer {
  if (typeof secret !== 'string' || !secret.startsWith(PREFIX)) throw new Error('signing secret must start with "whsec_"');
  const b64 = secret.slice(PREFIX.length);
  // Buffer.from(…, 'base64') silently skips junk, so check the alphabet first; an empty key would
  // make every signature forgeable by anyone who guesses that it is empty.
  if (b64.length === 0 || !BASE64.test(b64) || b64.replace(/=+$/, '').length % 4 === 1) {
    throw new Error('signing secret is not valid base64 after "whsec_"');
  }
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new Error('signing secret is empty');
  return key;
}

/**
 * One `v1,<base64>` signature of a message. The body goes to the HMAC as a second update, not
 * joined to its prefix first: that join copies every envelope once more per delivery (garbage the
 * worker's young generation then has to collect).
 */
export function sign(key: Buffer, id: string, timestamp: number, body: string): string {
  return 'v1,' + crypto.createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(body, 'utf8').digest('base64');
}

/** The `webhook-signature` header value: one signature per key, space-separated (rotation signs with old and new). */
export function signatureHeader(keys: Buffer[], id: string, timestamp: number, body: string): string {
  return keys.map((k) => sign(k, id, timestamp, body)).join(' ');
}

export interface SignedHeaders {
  id: string;
  timestamp: string | number;
  signature: string;
}

/** Whether a message carries a valid `v1` signature for the secret and a timestamp within tolerance. */
export function verify(
  secret: string,
  h: SignedHeaders,
  body: string,
  opts: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  let key: Buffer;
  try {
    key = decodeSecret(secret);
  } catch {
    return false;
  }
  const ts = typeof h.timestamp === 'number' ? h.timestamp : /^\d{1,15}$/.test(h.timestamp) ? Number(h.timestamp) : NaN;
  if (!Number.isSafeInteger(ts)) return false;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;

  // Compare canonical base64 text rather than decoded bytes: lenient decoding would accept
  // several spellings of one signature.
  const expected = Buffer.from(sign(key, h.id, ts, body), 'utf8');
  let ok = false;
  for (const candidate of String(h.signature).split(' ')) {
    if (!candidate.startsWith('v1,')) continue;
    const given = Buffer.from(candidate, 'utf8');
    // Keep looping after a match so the time taken does not reveal which entry matched.
    if (given.length === expected.length && crypto.timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}
