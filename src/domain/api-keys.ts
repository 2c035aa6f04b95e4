import crypto from 'node:crypto';

/** A new API key: `sk_` and 40 url-safe random characters (240 bits). */
export function generateApiKey(): string {
  return 'sk_' + crypto.randomBytes(30).toString('base64url');
}

/**
 * The stored form of a key. Keys are long random strings, so a fast hash is enough (no salt or
 * stretching needed, unlike passwords) and keeps authentication cheap on every request.
 */
export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The part of a key shown in lists so people can recognise it. */
export function keyPrefix(key: string): string {
  return key.slice(0, 11);
}

/** Constant-time comparison of two strings (admin tokens). */
export function safeEqual(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}
