/**
 * The one masking policy: which header, query, body and variable names carry secrets, and how a
 * request is redacted before anyone can see it. Every place that shows a request someone else
 * sent — tool-call previews and logs, conversation.setup logs, delivery attempt logs, webhook reads —
 * asks this module, so a name masked in one place is masked in all of them.
 */

import { isSystemVariable } from './template.ts';

/** What a secret looks like wherever it is shown. */
export const MASK = '••••';

// Header names whose values are credentials. A substring match on purpose: over-masking a header in
// a log costs nothing, leaking a token does.
const SECRET_HEADER = /auth|token|secret|passw|key|cookie|signature|credential|session|private|bearer|jwt/i;
// Switchboard's own Standard Webhooks headers: per-message values a receiver needs to debug its
// signature check, not credentials (the signing secret never leaves the server).
const PUBLIC_HEADERS = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature']);

/** Whether a header's value is a credential (`Authorization`, `X-Api-Key`, `X-Auth-User`, cookies, …). */
export function isSecretHeader(name: string): boolean {
  return !PUBLIC_HEADERS.has(name.toLowerCase()) && SECRET_HEADER.test(name);
}

const SECRET_WORDS = new Set([
  'auth', 'authorization', 'token', 'secret', 'key', 'apikey', 'password', 'passwd', 'pwd', 'pass',
  'signature', 'sig', 'credential', 'credentials', 'jwt', 'bearer', 'cookie', 'otp', 'pin',
]);

/** Whether a query parameter, body field or variable name looks secret; by word, so `keywords` is not `key`. */
export function isSecretName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z0-9]+/);
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  return /apikey|accesstoken|refreshtoken|clientsecret|password/.test(words.join(''));
}

/** A value as text, the way it would have been written into a request. */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  return JSON.stringify(v) ?? '';
}

/** The secrets worth searching for, longest first (so a longer secret is never half-replaced by a shorter one). */
function ordered(secrets: Iterable<string>): string[] {
  return [...new Set(secrets)].filter((s) => s.length > 0 && s !== MASK).sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each secret replaced by MASK. */
export function redactText(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of ordered(secrets)) out = out.split(s).join(MASK);
  return out;
}

/**
 * A copy of a JSON value safe to show: a field with a secret name becomes MASK (its value is added
 * to `found`), strings have the secrets redacted, and a number or boolean equal to a secret becomes
 * MASK.
 */
export function redactJson(value: unknown, secrets: Iterable<string>, found: string[] = []): unknown {
  const list = ordered(secrets);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v, list);
    if (typeof v === 'number' || typeof v === 'boolean') return list.includes(String(v)) ? MASK : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      // fromEntries keeps a `__proto__` key as data instead of setting the prototype.
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          if (!isSecretName(k) || x === null) return [k, walk(x)];
          found.push(textOf(x));
          return [k, MASK];
        }),
      );
    }
    return v;
  };
  return walk(value);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

// encodeURIComponent throws on lone surrogates.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** One URL component with the secrets redacted, compared decoded; left byte-for-byte as is when it holds none. */
function redactComponent(raw: string, secrets: string[]): string {
  const decoded = safeDecode(raw);
  if (!secrets.some((s) => decoded.includes(s))) return raw;
  return redactText(decoded, secrets)
    .split(MASK)
    .map((part) => encodeURIComponent(part.replace(LONE_SURROGATE, '\uFFFD')))
    .join(MASK);
}

/**
 * A URL safe to show: userinfo and the values of secret-named query parameters become MASK (their
 * values are added to `found`), and the secrets are redacted from the path, the query and the
 * fragment, however they were percent-encoded.
 */
export function redactUrl(raw: string, secrets: Iterable<string>, found: string[] = []): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return redactText(raw, secrets);
  }
  const list = ordered(secrets);
  let userinfo = '';
  if (u.username || u.password) {
    found.push(safeDecode(u.username), safeDecode(u.password));
    userinfo = `${MASK}${u.password ? `:${MASK}` : ''}@`;
  }
  const path = u.pathname
    .split('/')
    .map((seg) => redactComponent(seg, list))
    .join('/');
  const query = u.search
    .slice(1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      if (eq >= 0 && isSecretName(safeDecode(key))) {
        found.push(safeDecode(pair.slice(eq + 1)));
        return `${redactComponent(key, list)}=${MASK}`;
      }
      return eq < 0 ? redactComponent(pair, list) : `${redactComponent(key, list)}=${redactComponent(pair.slice(eq + 1), list)}`;
    })
    .join('&');
  const hash = u.hash ? `#${redactComponent(u.hash.slice(1), list)}` : '';
  return `${u.protocol}//${userinfo}${u.host}${path}${u.search ? `?${query}` : ''}${hash}`;
}

export interface HeaderPair {
  key: string;
  value: string;
}

/** Headers safe to show: secret-named ones become MASK (their values are added to `found`), the others have the secrets redacted. */
export function redactHeaders(headers: HeaderPair[], secrets: Iterable<string>, found: string[] = []): HeaderPair[] {
  const list = ordered(secrets);
  return headers.map((h) => {
    if (!isSecretHeader(h.key)) return { key: h.key, value: redactText(h.value, list) };
    found.push(h.value);
    return { key: h.key, value: MASK };
  });
}

/** A request as a preview or a log shows it. */
export interface ShownRequest {
  method: string;
  url: string;
  headers: HeaderPair[];
  /** JSON text (or plain text), or undefined when there is none. */
  body: string | undefined;
  /** Variables substituted into it, with their values (tool calls; empty for other requests). */
  variablesUsed: Record<string, unknown>;
  unknownVariables: string[];
}

/** A masked request, and the secret values it hid: redact them from anything logged beside it (the answer's body). */
export interface MaskedRequest extends ShownRequest {
  secrets: string[];
}

// A value this short sitting inside a masked header is more likely a coincidence than the secret.
const MIN_LEAK_LENGTH = 6;

/**
 * A copy of a request safe to show or log. Masked: secret-named headers, URL userinfo, secret-named
 * query parameters and body fields, secret-named variables, and every variable whose value went into
 * one of those places. Then every hidden value, and every secret the caller knows (an endpoint's
 * credentials), is replaced wherever else it appears: in the URL's path and query, in every header
 * and in the body.
 */
export function maskRequest(r: ShownRequest, knownSecrets: Iterable<string> = []): MaskedRequest {
  const known = ordered(knownSecrets);
  // First pass: what the names alone mask, to learn which values went into masked places.
  const found: string[] = [];
  redactHeaders(r.headers, known, found);
  redactUrl(r.url, known, found);
  let parsedBody: { value: unknown } | undefined;
  if (r.body !== undefined) {
    try {
      parsedBody = { value: JSON.parse(r.body) };
      redactJson(parsedBody.value, known, found);
    } catch {
      parsedBody = undefined;
    }
  }
  const leaks = (text: string) => text.length > 0 && found.some((m) => m === text || (text.length >= MIN_LEAK_LENGTH && m.includes(text)));
  // The session's ids are no secrets (every answer shows them), even sent in a header named like one.
  const hidden = Object.entries(r.variablesUsed).filter(([k, v]) => !isSystemVariable(k) && (isSecretName(k) || leaks(textOf(v))));
  const ids = new Set(Object.entries(r.variablesUsed).filter(([k]) => isSystemVariable(k)).map(([, v]) => textOf(v)));
  const fromPlaces = found.filter((f) => f.length >= MIN_LEAK_LENGTH && !ids.has(f));
  const secrets = ordered([...known, ...hidden.map(([, v]) => textOf(v)), ...fromPlaces]);
  const hiddenNames = new Set(hidden.map(([k]) => k));

  let body = r.body;
  if (parsedBody) body = JSON.stringify(redactJson(parsedBody.value, secrets));
  else if (body !== undefined) body = redactText(body, secrets);
  const variablesUsed = Object.fromEntries(
    Object.entries(r.variablesUsed).map(([k, v]) => [k, hiddenNames.has(k) ? MASK : redactJson(v, secrets)]),
  );
  return {
    method: r.method,
    url: redactUrl(r.url, secrets),
    headers: redactHeaders(r.headers, secrets),
    body,
    variablesUsed,
    unknownVariables: [...r.unknownVariables],
    secrets,
  };
}
