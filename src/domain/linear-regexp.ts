import { RE2JS } from 're2js';

/**
 * A linear-time regular expression engine for customer-written schemas (tool `parameters`).
 * JavaScript's RegExp backtracks: `^(\w|\d)+$` takes exponential time on a 40-character argument
 * that almost matches, and it runs to completion on the event loop, stalling every request of the
 * process. RE2 (here its pure-JS port, re2js) never backtracks: time grows with the input's length
 * only. It has no lookaround and no backreferences; such a pattern does not compile, so the tool is
 * refused when it is saved.
 */

/** What Ajv calls a regular expression: something with `test`. */
export interface LinearRegExp {
  test(s: string): boolean;
  toString(): string;
}

/**
 * JSON Schema patterns are ECMA-262 regular expressions; RE2 spells a code point `\x{hhhh}` where
 * JavaScript writes `\uhhhh` or `\u{h…}`. Everything else is passed through for RE2 to accept or
 * refuse.
 */
function toRe2Syntax(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = pattern[i + 1];
    const four = /^[0-9A-Fa-f]{4}/.exec(pattern.slice(i + 2, i + 6));
    const braced = /^\{([0-9A-Fa-f]{1,6})\}/.exec(pattern.slice(i + 2));
    if (next === 'u' && braced) {
      out += `\\x{${braced[1]}}`;
      i += 1 + braced[0].length;
    } else if (next === 'u' && four) {
      out += `\\x{${four[0]}}`;
      i += 5;
    } else {
      out += c + (next ?? '');
      i++;
    }
  }
  return out;
}

/**
 * Compiles `pattern` with RE2; throws (with RE2's reason) when it uses syntax RE2 lacks. `test`
 * searches anywhere in the string, like RegExp#test. The signature is Ajv's `code.regExp` engine.
 */
export function linearRegExp(pattern: string, _flags?: string): LinearRegExp {
  let re: RE2JS;
  try {
    re = RE2JS.compile(toRe2Syntax(pattern));
  } catch (err) {
    throw new Error(`the pattern ${JSON.stringify(pattern)} is not supported by the linear-time engine (${(err as Error).message}); lookaround and backreferences are not available`);
  }
  // Ajv keys compiled patterns by toString(), so it must differ per pattern.
  return { test: (s: string) => re.test(s), toString: () => `/${pattern}/re2` };
}
// Ajv's standalone code generation would require the engine by this expression; we never generate it.
linearRegExp.code = 'require("re2js").RE2JS';
