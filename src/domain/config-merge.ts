/**
 * The merge `conversation.setup` uses to lay `override_config` over an agent's configuration: objects
 * merge key by key, arrays and scalars replace (so a `tools` list is replaced, never concatenated).
 */

// Keys that would reach Object.prototype (or a constructor) through a naive merge of untrusted JSON.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A fresh copy of JSON-like data without forbidden keys, so the result never aliases an input. */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!FORBIDDEN.has(k)) out[k] = copy(x);
  return out;
}

/** `override` deep-merged over `base` into a new value; inputs are never mutated. */
export function deepMerge(base: unknown, override: unknown): unknown {
  // An absent override keeps the base, as a missing key does inside objects.
  if (override === undefined) return copy(base);
  if (!isPlainObject(base) || !isPlainObject(override)) return copy(override);
  const out = copy(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(override)) {
    if (FORBIDDEN.has(k)) continue;
    out[k] = Object.hasOwn(out, k) ? deepMerge(out[k], v) : copy(v);
  }
  return out;
}
