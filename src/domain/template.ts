/**
 * Renders a WEBHOOK tool's request template (`$name` variables in the URL, header values and body)
 * into the request that would be sent. Pure: no I/O, no clock. Every place has its own encoding so a
 * variable's value can never change the structure around it (path, query, header lines, JSON).
 */
import { randomUUID } from 'node:crypto';
import { SwitchboardError } from './errors.ts';

export interface TemplateHeader {
  key: string;
  value: string;
}

export interface ToolRequestTemplate {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: TemplateHeader[];
  body?: unknown;
}

export interface RenderedRequest {
  method: string;
  url: string;
  headers: TemplateHeader[];
  /** JSON text, or undefined when the template has no body. */
  body: string | undefined;
  variablesUsed: Record<string, unknown>;
  unknownVariables: string[];
}

/** A rendered header value would contain CR, LF or NUL (header injection): the request is not sent. */
export class UnsafeHeaderValueError extends SwitchboardError {
  readonly header: string;
  readonly index: number;

  constructor(header: string, index: number) {
    super('unsafe_header_value', `The rendered value of header "${header}" contains CR, LF or NUL.`, `/webhook/headers/${index}/value`);
    this.name = 'UnsafeHeaderValueError';
    this.header = header;
    this.index = index;
  }
}

/** The rendered URL is not an http(s) URL, or a variable moved it to another host or path. */
export class InvalidRenderedUrlError extends SwitchboardError {
  constructor(message: string) {
    super('validation_failed', message, '/webhook/url');
    this.name = 'InvalidRenderedUrlError';
  }
}

/** The variables the platform defines; a client_data key or an argument of that name is never read. */
export const SYSTEM_VARIABLES = ['session.id', 'company.id', 'assistant.id', 'images'] as const;

/** Whether `name` is a system variable (`$session.id`, `$company.id`, `$assistant.id`, `$images`, `$images[N]`). */
export function isSystemVariable(name: string): boolean {
  return (SYSTEM_VARIABLES as readonly string[]).includes(name) || /^images\[\d+\]$/.test(name);
}

/**
 * The variables a tool call can use. Precedence, highest first: system variables, then client_data,
 * then arguments. The arguments come from the model (so from whoever talks to it), client_data from
 * the company's own systems: an argument can never replace a credential or a value a tool answer
 * stored, and neither can spoof the session's ids. The caller passes declared arguments only.
 */
export function buildVariables(input: {
  sessionId: string;
  companyId: string;
  assistantId: string | null;
  clientData: Record<string, unknown>;
  args: Record<string, unknown>;
  images: string[];
}): Record<string, unknown> {
  // A Map, then fromEntries: a `__proto__` key stays an ordinary own property.
  const vars = new Map<string, unknown>();
  for (const [k, v] of Object.entries(input.args ?? {})) vars.set(k, v);
  for (const [k, v] of Object.entries(input.clientData ?? {})) vars.set(k, v);
  for (const k of [...vars.keys()]) if (isSystemVariable(k)) vars.delete(k);
  vars.set('session.id', input.sessionId);
  vars.set('company.id', input.companyId);
  vars.set('assistant.id', input.assistantId);
  const images = input.images ?? [];
  images.forEach((url, i) => vars.set(`images[${i}]`, url));
  vars.set('images', [...images]);
  return Object.fromEntries(vars);
}

/* ---------- substitution core ---------- */

interface Ctx {
  vars: Record<string, unknown>;
  /** Longest first, so `$session_id` is never `$session` + `_id`. */
  names: string[];
  used: Map<string, unknown>;
  unknown: Set<string>;
}

/** What an unknown `$word` looks like; a trailing `.` is punctuation, not part of it. */
const TOKEN = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+|\[\d+\])*/y;

/** A name ends where the text cannot continue a longer name (`$order_numbers` is not `$order_number`). */
function atBoundary(s: string, j: number): boolean {
  const c = s[j];
  if (c === undefined) return true;
  if (/[A-Za-z0-9_]/.test(c)) return false;
  return !(c === '[' && /\d/.test(s[j + 1] ?? ''));
}

/** The longest defined name that starts at `i` (just after a `$`). */
function matchName(s: string, i: number, ctx: Ctx): string | undefined {
  for (const name of ctx.names) {
    if (s.startsWith(name, i) && atBoundary(s, i + name.length)) return name;
  }
  return undefined;
}

/** The unknown token at `i`, if the text there looks like a variable. */
function unknownToken(s: string, i: number): string | undefined {
  TOKEN.lastIndex = i;
  return TOKEN.exec(s)?.[0];
}

function textOf(v: unknown, nullText: string): string {
  if (typeof v === 'string') return v;
  if (v === null) return nullText;
  if (v === undefined) return '';
  return JSON.stringify(v) ?? '';
}

/**
 * One left-to-right pass: inserted values are never scanned again, so a value holding `$other` stays
 * literal. Returns the text and how many variables were substituted.
 */
function substitute(s: string, ctx: Ctx, encode: (t: string) => string, nullText = 'null'): { text: string; hits: number } {
  let out = '';
  let hits = 0;
  let i = 0;
  for (;;) {
    const d = s.indexOf('$', i);
    if (d < 0) return { text: out + s.slice(i), hits };
    out += s.slice(i, d);
    const name = matchName(s, d + 1, ctx);
    if (name !== undefined) {
      const value = ctx.vars[name];
      ctx.used.set(name, value);
      out += encode(textOf(value, nullText));
      hits++;
      i = d + 1 + name.length;
      continue;
    }
    const tok = unknownToken(s, d + 1);
    if (tok !== undefined) ctx.unknown.add(tok);
    const end = d + 1 + (tok?.length ?? 0);
    out += s.slice(d, end);
    i = end;
  }
}

/* ---------- URL ---------- */

// encodeURIComponent throws on lone surrogates; a value from client data may hold one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const uriEncode = (t: string): string => encodeURIComponent(t.replace(LONE_SURROGATE, '\uFFFD'));

// WHATWG URL resolves these (case-insensitively) even when percent-encoded, so no value may form one.
const DOT_SEGMENTS = new Set(['.', '..', '%2e', '.%2e', '%2e.', '%2e%2e']);

/** The template's scheme and authority (`https://user@host:port`), and the rest (path, query, fragment). */
function splitUrl(tpl: string): { scheme: string; head: string; rest: string } {
  // WHATWG URL treats `\` like `/` in http(s) URLs, so both end the authority.
  const schemeLen = /^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*/.exec(tpl)?.[0].length ?? 0;
  const authEnd = tpl.slice(schemeLen).search(/[/\\?#]/);
  const headEnd = authEnd < 0 ? tpl.length : schemeLen + authEnd;
  return { scheme: tpl.slice(0, schemeLen), head: tpl.slice(0, headEnd), rest: tpl.slice(headEnd) };
}

/**
 * Why a tool URL template cannot be saved, or null: its origin (scheme, host and port) must be
 * written out, never made of `$variables`, so no value (an argument, or client_data that a tool
 * answer wrote) can choose where a request carrying the tool's credentials goes. Variables stay
 * allowed in the userinfo, the path, the query and the fragment.
 */
export function urlOriginProblem(tpl: string): string | null {
  const { scheme, head } = splitUrl(tpl);
  const authority = head.slice(scheme.length);
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (scheme.includes('$') || hostPort.includes('$')) {
    return 'The scheme, host and port of a tool URL cannot contain $variables (a value must not choose where the request goes); write the origin out, e.g. https://erp.example.com/orders/$order_number.';
  }
  return null;
}

/** The origin (scheme://host[:port]) written in a tool URL template, or null when it has none that parses. */
export function templateOrigin(tpl: string): string | null {
  const origin = originOf(splitUrl(tpl).head);
  return origin === undefined || origin === 'null' ? null : origin;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function renderUrl(tpl: string, ctx: Ctx): string {
  // Split BEFORE substituting: the template, not the values, decides where path, query and fragment are.
  const split = splitUrl(tpl);
  const head = split.head;
  let rest = split.rest;
  let fragment: string | undefined;
  let query: string | undefined;
  const hashAt = rest.indexOf('#');
  if (hashAt >= 0) [rest, fragment] = [rest.slice(0, hashAt), rest.slice(hashAt + 1)];
  const qAt = rest.indexOf('?');
  if (qAt >= 0) [rest, query] = [rest.slice(0, qAt), rest.slice(qAt + 1)];

  const sub = (s: string) => substitute(s, ctx, uriEncode, '');
  const renderedHead = sub(head);
  // Segments end at `/` and at `\` (the URL parser reads both as separators), kept as written.
  const path = rest
    .split(/([/\\])/)
    .map((seg, i) => {
      if (i % 2 === 1) return seg;
      const r = sub(seg);
      if (r.hits > 0 && DOT_SEGMENTS.has(r.text.toLowerCase())) {
        throw new InvalidRenderedUrlError('A variable rendered a path segment as "." or "..".');
      }
      return r.text;
    })
    .join('');
  const renderedQuery = query
    ?.split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? sub(pair).text : `${sub(pair.slice(0, eq)).text}=${sub(pair.slice(eq + 1)).text}`;
    })
    .join('&');
  let rendered = renderedHead.text + path;
  if (renderedQuery !== undefined) rendered += `?${renderedQuery}`;
  if (fragment !== undefined) rendered += `#${sub(fragment).text}`;

  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw new InvalidRenderedUrlError('The rendered URL is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidRenderedUrlError('The rendered URL must use http or https.');
  }
  // Defence in depth behind the save-time rule (urlOriginProblem): whatever was stored, the request
  // goes to the origin written in the template or nowhere.
  if (originOf(head) !== url.origin) {
    throw new InvalidRenderedUrlError('The rendered URL goes to another origin (scheme, host or port) than the one written in the tool URL; variables cannot change it.');
  }
  return url.href;
}

/* ---------- headers ---------- */

function renderHeaders(headers: TemplateHeader[], ctx: Ctx): TemplateHeader[] {
  return headers.map((h, index) => {
    const value = substitute(h.value, ctx, (t) => t).text;
    if (/[\r\n\0]/.test(value)) throw new UnsafeHeaderValueError(h.key, index);
    return { key: h.key, value };
  });
}

/* ---------- body ---------- */

function renderValue(v: unknown, ctx: Ctx, marker?: { key: string; names: string[] }): unknown {
  if (typeof v === 'string') {
    // A string that is exactly one variable becomes that variable's JSON value (array, number...).
    if (v.startsWith('$')) {
      const name = matchName(v, 1, ctx);
      if (name !== undefined && name.length === v.length - 1) {
        ctx.used.set(name, ctx.vars[name]);
        return ctx.vars[name];
      }
    }
    // Plain JS string building: JSON.stringify of the whole body does the escaping, so it is always valid.
    return substitute(v, ctx, (t) => t).text;
  }
  if (Array.isArray(v)) return v.map((x) => renderValue(x, ctx, marker));
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (marker && keys.length === 1 && keys[0] === marker.key) {
      const name = marker.names[(v as Record<string, number>)[marker.key]];
      ctx.used.set(name, ctx.vars[name]);
      return ctx.vars[name];
    }
    // fromEntries keeps a `__proto__` key as data instead of setting the prototype.
    return Object.fromEntries(keys.map((k) => [k, renderValue((v as Record<string, unknown>)[k], ctx, marker)]));
  }
  return v;
}

/**
 * A body given as JSON text may hold bare `$name` tokens outside strings (`{"n": $count}`). Each one
 * becomes a marker object under a random key, so after parsing it is replaced by the value itself and
 * never scanned again. Undefined when the text is not JSON even then.
 */
function renderBodyText(text: string, ctx: Ctx): { value: unknown } | undefined {
  const key = `\u0000switchboard:${randomUUID()}`;
  const names: string[] = [];
  const unknown: string[] = [];
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '$') {
      const name = matchName(text, i + 1, ctx);
      const tok = name === undefined ? unknownToken(text, i + 1) : undefined;
      if (name !== undefined) {
        out += `{${JSON.stringify(key)}:${names.push(name) - 1}}`;
        i += name.length;
      } else if (tok !== undefined) {
        // Left as written, as a string, so the body stays JSON.
        unknown.push(tok);
        out += JSON.stringify(`$${tok}`);
        i += tok.length;
      } else {
        out += c;
      }
    } else {
      out += c;
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch {
    return undefined;
  }
  for (const tok of unknown) ctx.unknown.add(tok);
  return { value: renderValue(parsed, ctx, { key, names }) };
}

function renderBody(body: unknown, ctx: Ctx): string | undefined {
  if (body === undefined) return undefined;
  let value: unknown;
  if (typeof body === 'string') {
    // Not JSON text even with variables filled in: it is a plain string body.
    value = (renderBodyText(body, ctx) ?? { value: renderValue(body, ctx) }).value;
  } else {
    value = renderValue(body, ctx);
  }
  return JSON.stringify(value);
}

/** Renders the tool's request with the variables; throws UnsafeHeaderValueError or InvalidRenderedUrlError. */
export function renderRequest(tpl: ToolRequestTemplate, vars: Record<string, unknown>): RenderedRequest {
  const names = Object.keys(vars)
    .filter((n) => n.length > 0)
    .sort((a, b) => b.length - a.length);
  const ctx: Ctx = { vars, names, used: new Map(), unknown: new Set() };
  const url = renderUrl(tpl.url, ctx);
  const headers = renderHeaders(tpl.headers ?? [], ctx);
  const body = renderBody(tpl.body, ctx);
  return {
    method: tpl.method,
    url,
    headers,
    body,
    variablesUsed: Object.fromEntries(ctx.used),
    unknownVariables: [...ctx.unknown],
  };
}
