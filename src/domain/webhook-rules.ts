import { validateEventPatterns, validateFilter, type ParamError } from './event-filter.ts';
import { validateRetrySchedule } from './retry-policy.ts';
import { MASK, isSecretHeader } from './masking.ts';
import { isClientOwnedHeader } from './http-headers.ts';
import { validateBodyFormat, type BodyFormat } from './alert-body.ts';

/**
 * The rules a webhook endpoint's settings must follow, each failure naming the field as a JSON
 * pointer (`/headers/2/key`). Pure: the store-dependent rules (endpoint count, one setup endpoint
 * per company) live in the webhook service.
 */

export type WebhookAuth =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'api_key'; in: 'header' | 'query'; name: string; value: string };

export interface HeaderPair {
  key: string;
  value: string;
}

/** An endpoint's settings as stored (decrypted), and as created or patched. */
export interface WebhookSettings {
  url: string;
  description: string;
  events: string[];
  filter: Record<string, unknown> | null;
  auth: WebhookAuth;
  headers: HeaderPair[];
  retry: { schedule: number[] };
  failure_threshold: number;
  timeout_ms: number;
  ordering: 'none' | 'conversation';
  max_in_flight: number;
  rate_limit_per_s: number | null;
  setup_failure: 'fallback' | 'reject';
  body_format: BodyFormat;
}

/** The auth object as the API accepts it: one flat shape, checked per type here (precise params). */
export interface AuthInput {
  type: 'none' | 'basic' | 'api_key';
  username?: string;
  password?: string;
  in?: 'header' | 'query';
  name?: string;
  value?: string;
}

/** The one event type that makes an endpoint the company's synchronous setup endpoint. */
export const SETUP_EVENT = 'conversation.setup';
/** What a secret or credential looks like on reads (the one masking policy: masking.ts). */
export { MASK };
export const MAX_HEADERS = 10;
export const MAX_URL_LENGTH = 2048;

// RFC 9110 token characters: what a header name may be made of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Header values: visible Latin-1 and spaces/tabs. CR, LF and NUL would split or end the header.
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/;
const CRLF_NUL = /[\r\n\0]/;
/** Headers no endpoint setting may set: the client's own (framing, hop-by-hop), content-type and the signature's. */
function setBySwitchboard(lower: string): boolean {
  return isClientOwnedHeader(lower) || lower === 'content-type' || lower.startsWith('webhook-');
}
/** Whether a custom header's value is masked on reads and in logs (the one rule: masking.ts). */
export function looksSecret(headerName: string): boolean {
  return isSecretHeader(headerName);
}

/** Whether `subscribes` makes the endpoint the setup endpoint (the exact name, never a wildcard). */
export function isSetupEndpoint(events: readonly string[]): boolean {
  return events.includes(SETUP_EVENT);
}

/** Checks the URL: absolute, https (http only when allowed), no credentials, bounded length. */
export function validateUrl(url: string, allowHttp: boolean): ParamError | null {
  const param = '/url';
  if (url.length > MAX_URL_LENGTH) return { param, message: `url may be at most ${MAX_URL_LENGTH} characters.` };
  // The URL parser silently drops tabs and newlines, so look before parsing.
  if (/[\x00-\x20\x7f]/.test(url)) return { param, message: 'url must not contain spaces or control characters.' };
  // Pasting a list of URLs is a common mistake; the URL parser would take it as one odd path.
  if (/,https?:\/\//i.test(url)) return { param, message: 'url holds more than one URL: one endpoint per URL (create one endpoint for each).' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { param, message: 'url must be an absolute URL.' };
  }
  if (u.protocol !== 'https:' && !(allowHttp && u.protocol === 'http:')) {
    return {
      param,
      message: allowHttp
        ? 'url must use https:// or http://.'
        : 'url must use https://. For local development, run the server with --dev (or SWITCHBOARD_ALLOW_HTTP=true) to accept http:// URLs.',
    };
  }
  if (u.hostname === '') return { param, message: 'url must name a host.' };
  if (u.username !== '' || u.password !== '') return { param, message: 'url must not carry credentials; use auth instead.' };
  if (u.hash !== '') return { param, message: 'url must not have a #fragment.' };
  return null;
}

/** Turns the accepted auth input into a typed auth object, or names the offending field. */
export function parseAuth(input: AuthInput): WebhookAuth | ParamError {
  const unused = (fields: (keyof AuthInput)[]): ParamError | null => {
    for (const f of fields) {
      if (input[f] !== undefined) return { param: `/auth/${f}`, message: `auth.${f} is not used by auth type ${input.type}.` };
    }
    return null;
  };
  switch (input.type) {
    case 'none':
      return unused(['username', 'password', 'in', 'name', 'value']) ?? { type: 'none' };
    case 'basic': {
      const bad = unused(['in', 'name', 'value']);
      if (bad) return bad;
      const { username, password } = input;
      if (typeof username !== 'string' || username.length === 0) return { param: '/auth/username', message: 'auth.username is required.' };
      if (username.includes(':')) return { param: '/auth/username', message: 'auth.username must not contain ":".' };
      if (/[\x00-\x1f\x7f]/.test(username)) return { param: '/auth/username', message: 'auth.username must not contain control characters.' };
      if (typeof password !== 'string') return { param: '/auth/password', message: 'auth.password is required.' };
      if (/[\x00-\x1f\x7f]/.test(password)) return { param: '/auth/password', message: 'auth.password must not contain control characters.' };
      return { type: 'basic', username, password };
    }
    case 'api_key': {
      const bad = unused(['username', 'password']);
      if (bad) return bad;
      const where = input.in;
      if (where !== 'header' && where !== 'query') return { param: '/auth/in', message: 'auth.in must be "header" or "query".' };
      const { name, value } = input;
      if (typeof name !== 'string' || name.length === 0) return { param: '/auth/name', message: 'auth.name is required.' };
      if (typeof value !== 'string' || value.length === 0) return { param: '/auth/value', message: 'auth.value is required.' };
      if (where === 'header') {
        if (!TOKEN.test(name)) return { param: '/auth/name', message: 'auth.name must be a valid HTTP header name.' };
        const lower = name.toLowerCase();
        if (setBySwitchboard(lower)) {
          return { param: '/auth/name', message: `auth.name "${name}" is a header Switchboard sets itself.` };
        }
        if (BAD_VALUE_CHAR.test(value)) return { param: '/auth/value', message: 'auth.value must not contain CR, LF, NUL or other control characters.' };
      } else if (CRLF_NUL.test(name) || CRLF_NUL.test(value)) {
        return { param: CRLF_NUL.test(name) ? '/auth/name' : '/auth/value', message: 'auth must not contain CR, LF or NUL.' };
      }
      return { type: 'api_key', in: where, name, value };
    }
    default:
      return { param: '/auth/type', message: 'auth.type must be "none", "basic" or "api_key".' };
  }
}

/**
 * Checks custom headers: at most MAX_HEADERS, valid non-empty names, no duplicates (ignoring
 * case), no CR/LF/NUL, and none of the headers Switchboard sets itself (`webhook-*`,
 * content-type, the HTTP client's framing and hop-by-hop headers of http-headers.ts, and
 * authorization when auth is basic; the api_key header's name when auth puts the key in a header,
 * which would be a duplicate). `user-agent` may be set: it replaces Switchboard's.
 */
export function validateHeaders(headers: HeaderPair[], auth: WebhookAuth): ParamError | null {
  if (headers.length > MAX_HEADERS) return { param: '/headers', message: `At most ${MAX_HEADERS} custom headers.` };
  const seen = new Set<string>();
  for (let i = 0; i < headers.length; i++) {
    const { key, value } = headers[i];
    const param = `/headers/${i}/key`;
    if (key.length === 0) return { param, message: 'A header key must not be empty.' };
    if (CRLF_NUL.test(key)) return { param, message: 'A header key must not contain CR, LF or NUL.' };
    if (!TOKEN.test(key)) return { param, message: `"${key}" is not a valid HTTP header name.` };
    const lower = key.toLowerCase();
    if (setBySwitchboard(lower) || (lower === 'authorization' && auth.type === 'basic')) {
      return { param, message: `"${key}" is a header Switchboard sets itself.` };
    }
    if (auth.type === 'api_key' && auth.in === 'header' && lower === auth.name.toLowerCase()) {
      return { param, message: `"${key}" is already sent by the api_key auth.` };
    }
    if (seen.has(lower)) return { param, message: `The header "${key}" is listed twice.` };
    seen.add(lower);
    if (BAD_VALUE_CHAR.test(value)) return { param: `/headers/${i}/value`, message: 'A header value must not contain CR, LF, NUL or other control characters.' };
  }
  return null;
}

/** Every settings rule that needs no store, in field order; null when valid. */
export function validateSettings(s: WebhookSettings, opts: { allowHttp: boolean; eventTypes: string[] }): ParamError | null {
  return (
    validateUrl(s.url, opts.allowHttp) ??
    validateEventPatterns(s.events, opts.eventTypes) ??
    (s.filter === null ? null : validateFilter(s.filter)) ??
    validateHeaders(s.headers, s.auth) ??
    validateRetrySchedule(s.retry.schedule) ??
    validateBodyFormat(s.body_format, s.events, opts.eventTypes)
  );
}

/** The endpoint's auth as shown on reads: credentials masked. */
export function maskAuth(auth: WebhookAuth): WebhookAuth {
  if (auth.type === 'basic') return { ...auth, password: MASK };
  if (auth.type === 'api_key') return { ...auth, value: MASK };
  return auth;
}

/** Custom headers as shown on reads: values of secret-looking names masked. */
export function maskHeaders(headers: HeaderPair[]): HeaderPair[] {
  return headers.map((h) => (looksSecret(h.key) ? { key: h.key, value: MASK } : h));
}

/**
 * A patch may send back what a read showed: a masked credential ("••••") means "keep the stored
 * one", so a read-modify-write round trip never overwrites a secret with the mask.
 */
export function unmaskAuth(next: WebhookAuth, stored: WebhookAuth): WebhookAuth {
  if (next.type === 'basic' && next.password === MASK && stored.type === 'basic') return { ...next, password: stored.password };
  if (next.type === 'api_key' && next.value === MASK && stored.type === 'api_key') return { ...next, value: stored.value };
  return next;
}

/** Same for custom headers: a masked value keeps the stored value of the same key (any case). */
export function unmaskHeaders(next: HeaderPair[], stored: HeaderPair[]): HeaderPair[] {
  return next.map((h) => {
    if (h.value !== MASK) return h;
    const old = stored.find((s) => s.key.toLowerCase() === h.key.toLowerCase());
    return old ? { key: h.key, value: old.value } : h;
  });
}

/** Whether two endpoint URLs share scheme, host and port; false when either does not parse. */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * What of the stored credentials may follow an endpoint whose URL moves to another origin: none.
 * The auth becomes `none` and custom headers whose names look like credentials are dropped (the
 * others stay), unless the same change supplies them again. A credential is only ever sent to the
 * origin it was written for.
 */
export function withoutCredentials(s: Pick<WebhookSettings, 'auth' | 'headers'>): Pick<WebhookSettings, 'auth' | 'headers'> {
  return { auth: { type: 'none' }, headers: s.headers.filter((h) => !looksSecret(h.key)) };
}

/**
 * After a move to another origin, a masked credential ("••••") sent back cannot mean "keep the
 * stored one": names the field that must be sent in full, or null.
 */
export function maskedAfterMove(auth: WebhookAuth, headers: HeaderPair[]): ParamError | null {
  const again = 'must be sent in full: the url moves to another origin, and a stored credential is never sent to an origin it was not written for.';
  if (auth.type === 'basic' && auth.password === MASK) return { param: '/auth/password', message: `auth.password ${again}` };
  if (auth.type === 'api_key' && auth.value === MASK) return { param: '/auth/value', message: `auth.value ${again}` };
  const i = headers.findIndex((h) => h.value === MASK && looksSecret(h.key));
  return i < 0 ? null : { param: `/headers/${i}/value`, message: `The value of header "${headers[i].key}" ${again}` };
}
