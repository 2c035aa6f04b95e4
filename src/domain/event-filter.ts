/**
 * Which events an endpoint receives: type patterns (`message.received`, `conversation.*`, `*`) and
 * an optional payload filter (`{"data.conversation.department": {"$in": ["sales"]}}`) on the envelope.
 */
import { pointerEscape } from './json-pointer.ts';
import { unknownEventTypeMessage } from './event-names.ts';

export interface ParamError {
  param: string;
  message: string;
}

/** Synchronous types are called, not queued, so a wildcard must never subscribe an endpoint to them. */
const EXACT_ONLY = new Set(['conversation.setup']);
const MAX_PATTERNS = 50;
const MAX_FILTER_KEYS = 20;
const MAX_LIST = 100;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const OPERATORS = new Set(['$eq', '$ne', '$in', '$nin', '$exists']);

/** Whether any pattern (exact name, `prefix.*` or `*`) selects the event type. */
export function matchesEventType(patterns: string[], type: string): boolean {
  const exactOnly = EXACT_ONLY.has(type);
  for (const p of patterns) {
    if (p === type) return true;
    if (exactOnly) continue;
    if (p === '*') return true;
    if (p.endsWith('.*') && type.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

/** Checks an endpoint's `events` list against the catalog; null when valid. */
export function validateEventPatterns(patterns: unknown, catalog: string[]): ParamError | null {
  if (!Array.isArray(patterns)) return { param: '/events', message: 'events must be an array of event type names.' };
  if (patterns.length < 1 || patterns.length > MAX_PATTERNS) {
    return { param: '/events', message: `events must list between 1 and ${MAX_PATTERNS} event types.` };
  }
  for (let i = 0; i < patterns.length; i++) {
    const p: unknown = patterns[i];
    const param = `/events/${i}`;
    if (typeof p !== 'string' || p.length === 0) return { param, message: 'Each event must be a non-empty string.' };
    if (p === '*' || catalog.includes(p)) continue;
    if (p.endsWith('.*') && p.length > 2) {
      if (catalog.some((t) => matchesEventType([p], t))) continue;
      return { param, message: `The pattern "${p}" matches no event type; patterns are a catalog prefix and ".*" ("message.*"), see GET /v1/event-types.` };
    }
    return { param, message: unknownEventTypeMessage(p, catalog) };
  }
  return null;
}

/** Checks an endpoint's payload filter; null when valid. */
export function validateFilter(filter: unknown): ParamError | null {
  if (!isPlainObject(filter)) return { param: '/filter', message: 'filter must be an object of "dotted.path": condition.' };
  const keys = Object.keys(filter);
  if (keys.length > MAX_FILTER_KEYS) return { param: '/filter', message: `filter may have at most ${MAX_FILTER_KEYS} conditions.` };
  for (const path of keys) {
    const param = `/filter/${pointerEscape(path)}`;
    if (!path.split('.').every((s) => SEGMENT.test(s))) {
      return { param, message: 'A filter path is dot-separated non-empty segments of letters, digits, "_" and "-".' };
    }
    const cond = filter[path];
    if (cond === undefined) return { param, message: 'A filter condition must be a JSON value.' };
    if (!isPlainObject(cond)) continue;
    const ops = Object.keys(cond);
    if (!ops.some((k) => k.startsWith('$'))) continue; // a plain object literal, compared structurally
    if (ops.length !== 1) return { param, message: 'A condition object holds exactly one operator.' };
    const op = ops[0]!;
    const arg = cond[op];
    if (!OPERATORS.has(op)) return { param, message: `Unknown operator "${op}"; use $eq, $ne, $in, $nin or $exists.` };
    if ((op === '$in' || op === '$nin') && (!Array.isArray(arg) || arg.length > MAX_LIST)) {
      return { param, message: `${op} takes an array of at most ${MAX_LIST} values.` };
    }
    if (op === '$exists' && typeof arg !== 'boolean') return { param, message: '$exists takes true or false.' };
    if (arg === undefined) return { param, message: `${op} takes a JSON value.` };
  }
  return null;
}

/** Whether the envelope satisfies every condition of a (validated) filter. */
export function matchesFilter(filter: Record<string, unknown>, envelope: unknown): boolean {
  for (const path in filter) {
    if (!holds(filter[path], lookup(envelope, path))) return false;
  }
  return true;
}

const MISSING = Symbol('missing');

function holds(cond: unknown, value: unknown): boolean {
  if (isPlainObject(cond)) {
    const op = Object.keys(cond)[0];
    if (op !== undefined && op.startsWith('$')) {
      const arg = cond[op];
      switch (op) {
        case '$eq': return value !== MISSING && deepEqual(value, arg);
        case '$ne': return value === MISSING || !deepEqual(value, arg);
        case '$in': return value !== MISSING && (arg as unknown[]).some((a) => deepEqual(value, a));
        case '$nin': return value === MISSING || !(arg as unknown[]).some((a) => deepEqual(value, a));
        case '$exists': return (value !== MISSING) === arg;
        default: return false; // unknown operators never match, even if validation was skipped
      }
    }
  }
  return value !== MISSING && deepEqual(value, cond);
}

function lookup(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const seg of path.split('.')) {
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(seg) || Number(seg) >= cur.length) return MISSING;
      cur = cur[Number(seg)];
    } else if (isPlainObject(cur) && Object.hasOwn(cur, seg)) {
      cur = cur[seg];
    } else {
      return MISSING;
    }
  }
  return cur === undefined ? MISSING : cur;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

