import sjson from 'secure-json-parse';
import { SwitchboardError, invalid } from '../domain/errors.ts';
import { pointerEscape } from '../domain/json-pointer.ts';
import { MAX_JSON_DEPTH, jsonTooDeep } from '../domain/json-depth.ts';

/** Deepest nesting a request body may have: the one limit for JSON from outside (setup answers too). */
export const MAX_DEPTH = MAX_JSON_DEPTH;

/**
 * Parses a JSON request body. Beyond JSON.parse it refuses what would hurt later instead of at the
 * door: __proto__/constructor keys (prototype poisoning), nesting deeper than MAX_DEPTH (stack
 * exhaustion in validators and merges), and NUL characters (PostgreSQL text cannot store them).
 * An empty body is `{}` so `curl -X POST` without a body works.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return {};
  if (jsonTooDeep(text, MAX_DEPTH)) throw new SwitchboardError('invalid_request', `The JSON body is nested deeper than ${MAX_DEPTH} levels.`);
  let value: unknown;
  try {
    value = sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new SwitchboardError('malformed_json');
  }
  // Cheap pre-check on the text; the walk only runs when an escaped NUL might be there.
  const nulAt = text.includes('\\u0000') ? nulPath(value, '') : null;
  if (nulAt !== null) throw invalid(nulAt || '/', 'Strings may not contain the NUL character (\\u0000).');
  return value;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text; bytes that are not UTF-8 are a 400, not silently replaced with U+FFFD. */
export function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new SwitchboardError('invalid_request', 'The request body is not valid UTF-8.');
  }
}

/** The JSON pointer of the first string (or key) holding a NUL, or null. */
function nulPath(v: unknown, at: string): string | null {
  if (typeof v === 'string') return v.includes('\u0000') ? at : null;
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const here = `${at}/${pointerEscape(k)}`;
      if (k.includes('\u0000')) return here;
      const found = nulPath(x, here);
      if (found !== null) return found;
    }
  }
  return null;
}
