import { EVENT_TYPES } from '../domain/event-types.ts';
import { MASK, MAX_HEADERS, type HeaderPair } from '../domain/webhook-rules.ts';
import type { WebhookInput } from '../services/webhooks.ts';
import type { WebhookT } from '../store/webhooks.ts';

/**
 * The add/edit form as data: the fields the page shows, how a submitted form becomes the same
 * WebhookInput the API takes, and which field an API error's `param` pointer belongs to.
 */

export type FormBody = Record<string, string | string[] | undefined>;

/** Field values as the form shows them (strings, as typed). */
export interface FormValues {
  url: string;
  description: string;
  auth_type: 'none' | 'basic' | 'api_key';
  auth_username: string;
  auth_in: 'header' | 'query';
  auth_name: string;
  /** Edit: a stored secret of this auth type exists, so a blank field keeps it. */
  auth_secret_kept: boolean;
  /** Edit: the stored auth type (a blank secret keeps the stored one only under the same type). */
  auth_stored_type: string;
  /** `masked`: the stored value is hidden; `orig`: the stored key (a blank value keeps it only under that key). */
  headers: { key: string; value: string; masked: boolean; orig: string }[];
  events: string[];
  retry_schedule: string;
  timeout_ms: string;
  ordering: 'none' | 'conversation';
  body_format: 'envelope' | 'slack';
  max_in_flight: string;
  rate_limit_per_s: string;
  failure_threshold: string;
  filter_json: string;
}

export const EVENT_GROUPS: { id: string; title: string; types: { type: string; description: string }[] }[] = [
  { id: 'call', title: 'Call events', match: (t: string) => t.startsWith('call.') },
  { id: 'message', title: 'WhatsApp / message events', match: (t: string) => t.startsWith('message.') },
  { id: 'conversation', title: 'Conversation events', match: (t: string) => t.startsWith('conversation.') && t !== 'conversation.setup' },
  { id: 'user', title: 'User and tag events', match: (t: string) => t.startsWith('user.') || t.startsWith('tag.') },
  { id: 'operational', title: 'Operational events', match: (t: string) => t.startsWith('webhook.') || t.startsWith('delivery.') },
].map((g) => ({ id: g.id, title: g.title, types: EVENT_TYPES.filter((t) => g.match(t.type)).map((t) => ({ type: t.type, description: t.description })) }));

const GROUPED = new Set(EVENT_GROUPS.flatMap((g) => g.types.map((t) => t.type)));

/** Subscriptions the pickers do not show (patterns such as `message.*`, conversation.setup): kept as they are. */
export function otherSubscriptions(events: string[]): string[] {
  return events.filter((e) => !GROUPED.has(e));
}

export function emptyValues(): FormValues {
  return {
    url: '',
    description: '',
    auth_type: 'none',
    auth_username: '',
    auth_in: 'header',
    auth_name: '',
    auth_secret_kept: false,
    auth_stored_type: '',
    headers: [],
    events: [],
    retry_schedule: '3, 3',
    timeout_ms: '10000',
    ordering: 'none',
    body_format: 'envelope',
    max_in_flight: '16',
    rate_limit_per_s: '',
    failure_threshold: '3',
    filter_json: '',
  };
}

export function valuesOf(wh: WebhookT): FormValues {
  const auth = wh.auth;
  return {
    url: wh.url,
    description: wh.description,
    auth_type: auth.type,
    auth_username: auth.type === 'basic' ? auth.username : '',
    auth_in: auth.type === 'api_key' ? auth.in : 'header',
    auth_name: auth.type === 'api_key' ? auth.name : '',
    auth_secret_kept: auth.type !== 'none',
    auth_stored_type: auth.type,
    headers: wh.headers.map((h) => (h.value === MASK ? { key: h.key, value: '', masked: true, orig: h.key } : { key: h.key, value: h.value, masked: false, orig: '' })),
    events: wh.events,
    retry_schedule: wh.retry.schedule.join(', '),
    timeout_ms: String(wh.timeout_ms),
    ordering: wh.ordering,
    body_format: wh.body_format,
    max_in_flight: String(wh.max_in_flight),
    rate_limit_per_s: wh.rate_limit_per_s === null ? '' : String(wh.rate_limit_per_s),
    failure_threshold: String(wh.failure_threshold),
    filter_json: wh.filter === null ? '' : JSON.stringify(wh.filter, null, 2),
  };
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const one = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim();

/** The form as typed (to show it again with errors). */
export function valuesFromBody(body: FormBody, editing: boolean): FormValues {
  const keys = list(body.header_key);
  const vals = list(body.header_value);
  const kept = list(body.header_keep);
  const type = one(body.auth_type);
  return {
    url: one(body.url),
    description: one(body.description),
    auth_type: type === 'basic' || type === 'api_key' ? type : 'none',
    auth_username: one(body.auth_username),
    auth_in: one(body.auth_in) === 'query' ? 'query' : 'header',
    auth_name: one(body.auth_name),
    auth_secret_kept: editing && one(body.auth_secret_kept) === '1' && one(body.auth_stored_type) === type,
    auth_stored_type: editing ? one(body.auth_stored_type) : '',
    headers: keys.map((key, i) => ({ key: key.trim(), value: vals[i] ?? '', masked: editing && (kept[i] ?? '') !== '', orig: editing ? (kept[i] ?? '') : '' })),
    events: list(body.events),
    retry_schedule: one(body.retry_schedule),
    timeout_ms: one(body.timeout_ms),
    ordering: one(body.ordering) === 'conversation' ? 'conversation' : 'none',
    body_format: one(body.body_format) === 'slack' ? 'slack' : 'envelope',
    max_in_flight: one(body.max_in_flight),
    rate_limit_per_s: one(body.rate_limit_per_s),
    failure_threshold: one(body.failure_threshold),
    filter_json: one(body.filter_json),
  };
}

/** A form-level problem found before the service is called: [field, message]. */
export type FieldError = { field: string; message: string };

function int(field: string, label: string, text: string): number | FieldError {
  if (!/^\d+$/.test(text)) return { field, message: `${label} must be a whole number.` };
  return Number(text);
}

/**
 * The WebhookInput of a submitted form. Blank secrets on edit become the mask, which the service
 * reads as "keep the stored value" (the API's own rule). Number and JSON syntax are checked here,
 * every other rule by the service.
 */
export function inputFromValues(v: FormValues): WebhookInput | FieldError {
  const auth: WebhookInput['auth'] =
    v.auth_type === 'basic'
      ? { type: 'basic', username: v.auth_username, password: '' }
      : v.auth_type === 'api_key'
        ? { type: 'api_key', in: v.auth_in, name: v.auth_name, value: '' }
        : { type: 'none' };
  if (v.headers.length > MAX_HEADERS) return { field: 'headers', message: `At most ${MAX_HEADERS} headers.` };
  // A blank value keeps the stored one only for the same key: renamed, it is a new (empty) value.
  const headers: HeaderPair[] = v.headers.map((h) => ({ key: h.key, value: h.masked && h.value === '' && h.key.toLowerCase() === h.orig.toLowerCase() ? MASK : h.value }));
  const schedule = v.retry_schedule === '' ? [] : v.retry_schedule.split(/[\s,]+/).filter(Boolean).map(Number);
  if (schedule.some((n) => !Number.isFinite(n))) return { field: 'retry_schedule', message: 'Write the retry schedule as seconds separated by commas, like "3, 30, 300".' };
  const timeout = int('timeout_ms', 'Timeout', v.timeout_ms);
  if (typeof timeout !== 'number') return timeout;
  const inFlight = int('max_in_flight', 'Max in flight', v.max_in_flight);
  if (typeof inFlight !== 'number') return inFlight;
  const threshold = int('failure_threshold', 'Failure threshold', v.failure_threshold);
  if (typeof threshold !== 'number') return threshold;
  let rate: number | null = null;
  if (v.rate_limit_per_s !== '') {
    const r = int('rate_limit_per_s', 'Rate limit', v.rate_limit_per_s);
    if (typeof r !== 'number') return r;
    rate = r;
  }
  let filter: Record<string, unknown> | null = null;
  if (v.filter_json !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v.filter_json);
    } catch (err) {
      return { field: 'filter_json', message: `The filter is not valid JSON: ${(err as Error).message}` };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { field: 'filter_json', message: 'The filter must be a JSON object, like {"data.conversation.channel": "whatsapp"}.' };
    filter = Object.keys(parsed).length === 0 ? null : (parsed as Record<string, unknown>);
  }
  return {
    url: v.url,
    description: v.description,
    events: v.events,
    filter,
    auth,
    headers,
    retry: { schedule },
    timeout_ms: timeout,
    ordering: v.ordering,
    body_format: v.body_format,
    max_in_flight: inFlight,
    rate_limit_per_s: rate,
    failure_threshold: threshold,
  };
}

/** Fills the secrets typed in the form (kept apart so a re-rendered form never echoes them). */
export function withSecrets(input: WebhookInput, body: FormBody, v: FormValues): WebhookInput {
  const typed = v.auth_type === 'basic' ? one(body.auth_password) : v.auth_type === 'api_key' ? one(body.auth_value) : '';
  const secret = typed === '' && v.auth_secret_kept ? MASK : typed;
  if (input.auth?.type === 'basic') return { ...input, auth: { ...input.auth, password: secret } };
  if (input.auth?.type === 'api_key') return { ...input, auth: { ...input.auth, value: secret } };
  return input;
}

/** The form field an API error's JSON pointer names (`/headers/2/key` -> `header_key_2`). */
export function fieldOf(param: string | undefined): string {
  if (!param || param === '/') return 'form';
  const parts = param.split('/').slice(1);
  const [head, a, b] = parts;
  switch (head) {
    case 'url':
    case 'description':
    case 'timeout_ms':
    case 'ordering':
    case 'body_format':
    case 'max_in_flight':
    case 'rate_limit_per_s':
    case 'failure_threshold':
      return head;
    case 'events':
      return 'events';
    case 'filter':
      return 'filter_json';
    case 'retry':
      return 'retry_schedule';
    case 'auth':
      return a === 'username' || a === 'password' || a === 'name' || a === 'value' || a === 'in' ? `auth_${a}` : 'auth_type';
    case 'headers':
      return a !== undefined && /^\d+$/.test(a) ? `header_${b === 'value' ? 'value' : 'key'}_${a}` : 'headers';
    default:
      return 'form';
  }
}

/** The filter paths the pickers write. */
export const FILTER_PATHS = {
  department: 'data.conversation.department',
  agent: 'data.conversation.agent_id',
  direction: 'data.conversation.direction',
  channel: 'data.conversation.channel',
} as const;

/** The values a picker shows for one filter path: `"x"`, `{"$eq": "x"}` or `{"$in": [...]}`. */
export function pickerValues(filterJson: string, path: string): string[] {
  let f: unknown;
  try {
    f = filterJson ? JSON.parse(filterJson) : null;
  } catch {
    return [];
  }
  if (!f || typeof f !== 'object') return [];
  const c = (f as Record<string, unknown>)[path];
  if (typeof c === 'string') return [c];
  if (c && typeof c === 'object') {
    const o = c as Record<string, unknown>;
    if (typeof o.$eq === 'string') return [o.$eq];
    if (Array.isArray(o.$in)) return o.$in.filter((x): x is string => typeof x === 'string');
  }
  return [];
}
