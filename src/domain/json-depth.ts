/**
 * How deeply JSON from outside may nest. Recursive code (validators, merges, the template walker)
 * must never meet a document deep enough to exhaust the stack, so JSON that comes in (request
 * bodies, conversation.setup answers) is measured on its text, before it is parsed.
 */

/** Deepest nesting a JSON document from outside may have (request bodies, setup answers); real payloads stay far below it. */
export const MAX_JSON_DEPTH = 64;

/** Whether JSON text nests brackets deeper than `max` (outside strings), without parsing it. */
export function jsonTooDeep(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}
