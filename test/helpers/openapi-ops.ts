/**
 * The API surface as the server itself describes it: operations read from `GET /openapi.json`,
 * minimal valid request bodies built from their JSON Schemas, one seeded resource of each kind,
 * and a check of the contract's error body. Shared by the fuzz and tenancy tests so that a route
 * added to the server is covered without touching them.
 */
import { Pool } from 'undici';
import type { Client } from './server.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, any> | boolean;

export interface Operation {
  method: string;
  /** OpenAPI path template, e.g. `/v1/users/{id}/tags/{tag}`. */
  path: string;
  pathParams: string[];
  queryParams: { name: string; schema: Schema; required: boolean }[];
  /** The application/json request body schema (refs resolved), when the operation takes one. */
  bodySchema: Schema | undefined;
  bodyRequired: boolean;
  /** `users`, `conversations`, ...: the path segment after `/v1`. */
  area: string;
  label: string;
}

const SKIP_PATHS = new Set(['/docs', '/openapi.json']);
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'options', 'head'];

/** Every operation of the served OpenAPI document (but the docs themselves). */
export async function loadOperations(baseUrl: string): Promise<{ doc: any; ops: Operation[] }> {
  const res = await fetch(baseUrl + '/openapi.json');
  if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
  const doc = await res.json();
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    if (SKIP_PATHS.has(path) || path.startsWith('/docs')) continue;
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      // A Server-Sent Events stream answers 200 and never ends: the listener tests
      // (test/cli/listener-sessions.test.ts) cover it with a client that reads and hangs up.
      if (op.responses?.['200']?.content?.['text/event-stream']) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: any) => deref(doc, p));
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]);
      const queryParams = params
        .filter((p: any) => p.in === 'query')
        .map((p: any) => ({ name: p.name as string, schema: deref(doc, p.schema ?? {}) as Schema, required: !!p.required }));
      const rb = op.requestBody ? deref(doc, op.requestBody) : undefined;
      const media = rb?.content?.['application/json'];
      const bodySchema = media?.schema !== undefined ? (resolveAll(doc, media.schema) as Schema) : undefined;
      ops.push({
        method: m.toUpperCase(),
        path,
        pathParams,
        queryParams,
        bodySchema,
        bodyRequired: !!rb?.required,
        area: path.split('/')[2] ?? '',
        label: `${m.toUpperCase()} ${path}`,
      });
    }
  }
  return { doc, ops };
}

function deref(doc: any, node: any): any {
  let n = node;
  for (let i = 0; i < 32 && n && typeof n === 'object' && typeof n.$ref === 'string'; i++) {
    const ref: string = n.$ref;
    if (!ref.startsWith('#/')) break;
    n = ref
      .slice(2)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o: any, k) => o?.[k], doc);
  }
  return n;
}

/** A copy of a schema with every local `$ref` inlined (recursive refs stop after a few levels). */
function resolveAll(doc: any, node: any, depth = 0): any {
  if (depth > 12) return {};
  if (Array.isArray(node)) return node.map((x) => resolveAll(doc, x, depth + 1));
  if (!node || typeof node !== 'object') return node;
  const n = deref(doc, node);
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries<any>(n)) out[k] = k === 'example' || k === 'examples' || k === 'default' || k === 'const' || k === 'enum' ? v : resolveAll(doc, v, depth + 1);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ids and seeds

/** Collection (path segment) of the resources, by id prefix. */
export const PREFIXES: Record<string, string> = {
  users: 'usr_',
  conversations: 'conv_',
  messages: 'msg_',
  events: 'evt_',
  webhooks: 'wh_',
  deliveries: 'dlv_',
  attachments: 'att_',
  agents: 'agt_',
  keys: 'key_',
  companies: 'cmp_',
};

export interface Seeds {
  /** A seeded resource id per collection (`users` → `usr_...`). */
  ids: Record<string, string>;
  /** The tag applied to the seeded user. */
  tag: string;
  /** The custom field key set on the seeded conversation. */
  field: string;
  /** The tool of the seeded agent. */
  tool: string;
}

/** `user_id` → `users`, `delivery_id` → `deliveries`. */
export function collectionOfName(name: string): string | undefined {
  const m = /^(.*?)_?id$/i.exec(name);
  if (!m || !m[1]) return undefined;
  const base = m[1].replace(/_$/, '');
  if (base.endsWith('y')) return base.slice(0, -1) + 'ies';
  if (base.endsWith('s')) return base;
  return base + 's';
}

export function isIdParam(name: string): boolean {
  return name === 'id' || /_id$|Id$/.test(name);
}

/** The collection a path parameter names: `{id}` after `/users` is a user. */
export function collectionOfParam(path: string, name: string): string | undefined {
  if (name === 'id') {
    const segs = path.split('/');
    const i = segs.indexOf('{id}');
    return i > 0 ? segs[i - 1] : undefined;
  }
  return collectionOfName(name);
}

/** The value of one path parameter for the seeded resources (undefined when not seeded). */
export function paramValue(path: string, name: string, seeds: Seeds): string | undefined {
  if (isIdParam(name)) {
    const coll = collectionOfParam(path, name);
    return coll ? seeds.ids[coll] : undefined;
  }
  if (name === 'tag') return seeds.tag;
  if (name === 'key' || name === 'field') return seeds.field;
  if (name === 'tool' || name === 'name') return seeds.tool;
  return 'x';
}

/** The operation's path with every parameter filled from the seeds (or `overrides`). */
export function fillPath(op: Operation, seeds: Seeds, overrides: Record<string, string> = {}): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (name in overrides) return overrides[name];
    const v = paramValue(op.path, name, seeds);
    return encodeURIComponent(v ?? fakeId(collectionOfParam(op.path, name)));
  });
}

/** A well-formed id that exists nowhere. */
export function fakeId(collection: string | undefined): string {
  return (PREFIXES[collection ?? ''] ?? 'obj_') + '01JD2X8Q4M6N7P8R9S0T1V2W3X';
}

// ---------------------------------------------------------------------------------------------
// Minimal valid values from JSON Schema

const STRING_HINTS: Record<string, string> = {
  url: 'http://127.0.0.1:9/x',
  email: 'seed@example.com',
  tag: 'vip',
  key: 'tier',
  tool: 'lookup',
  type: 'message.received',
  event: 'message.received',
  since: '2020-01-01T00:00:00.000Z',
  name: 'seed',
  value: 'x',
  role: 'agent',
};
const ARRAY_HINTS: Record<string, Json> = { events: ['message.received'] };
const PATTERN_CANDIDATES = ['x', 'vip', 'tier', 'lookup', 'seed_1', 'A', '1', 'X-Seed', 'http://127.0.0.1:9/x', 'https://127.0.0.1:9/x', 'message.received'];

function firstType(s: Record<string, any>): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t: string) => t !== 'null') ?? s.type[0];
  if (typeof s.type === 'string') return s.type;
  if (s.properties || s.required) return 'object';
  if (s.items) return 'array';
  return undefined;
}

/**
 * The smallest value that satisfies `schema`: required properties only, hinted by name where the
 * server checks more than the schema says (`*_id` → a seeded id, `url` → a loopback URL, ...).
 */
export function minimalValue(schema: Schema | undefined, name: string, seeds: Seeds | undefined, depth = 0): Json {
  if (schema === undefined || schema === true || depth > 20) return hinted(name, seeds) ?? 'x';
  if (schema === false) return null;
  const s = schema;
  if ('const' in s) return s.const as Json;
  if (Array.isArray(s.enum) && s.enum.length) return (s.enum.find((v: unknown) => v !== null) ?? s.enum[0]) as Json;
  const alts: Schema[] | undefined = s.anyOf ?? s.oneOf;
  if (alts?.length) {
    const hint = hinted(name, seeds);
    const nonNull = alts.filter((a) => typeof a !== 'object' || (a as any).type !== 'null');
    if (hint !== undefined && nonNull.some((a) => typeof a === 'object' && firstType(a) === 'string' && !(a as any).enum && !('const' in a)))
      return hint;
    return minimalValue(nonNull[0] ?? alts[0], name, seeds, depth + 1);
  }
  if (Array.isArray(s.allOf) && s.allOf.length) {
    const parts = s.allOf.map((p: Schema) => minimalValue(p, name, seeds, depth + 1));
    if (parts.every((p: Json) => p && typeof p === 'object' && !Array.isArray(p))) return Object.assign({}, ...parts);
    return parts[0];
  }
  switch (firstType(s)) {
    case 'object': {
      const out: Record<string, Json> = {};
      for (const req of (s.required ?? []) as string[]) out[req] = minimalValue(s.properties?.[req], req, seeds, depth + 1);
      if (typeof s.minProperties === 'number' && Object.keys(out).length < s.minProperties) {
        for (const [k, v] of Object.entries<Schema>(s.properties ?? {})) {
          if (Object.keys(out).length >= s.minProperties) break;
          if (!(k in out)) out[k] = minimalValue(v, k, seeds, depth + 1);
        }
        for (let i = 0; Object.keys(out).length < s.minProperties; i++) out['k' + i] = 'x';
      }
      return out;
    }
    case 'array': {
      if (name in ARRAY_HINTS) return ARRAY_HINTS[name];
      const n = s.minItems ?? 0;
      return Array.from({ length: n }, () => minimalValue(s.items, singular(name), seeds, depth + 1));
    }
    case 'string':
      return minimalString(s, name, seeds);
    case 'integer':
    case 'number': {
      let v = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : 1;
      if (typeof s.maximum === 'number' && v > s.maximum) v = s.maximum;
      return firstType(s) === 'integer' ? Math.ceil(v) : v;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return hinted(name, seeds) ?? 'x';
  }
}

function singular(name: string): string {
  return name.endsWith('ies') ? name.slice(0, -3) + 'y' : name.endsWith('s') ? name.slice(0, -1) : name;
}

function hinted(name: string, seeds: Seeds | undefined): string | undefined {
  if (isIdParam(name)) {
    const coll = collectionOfName(name);
    return (coll && seeds?.ids[coll]) || fakeId(coll);
  }
  if (name === 'tag' && seeds) return seeds.tag;
  if (name === 'key' && seeds) return seeds.field;
  if (name === 'tool' && seeds) return seeds.tool;
  return STRING_HINTS[name];
}

function minimalString(s: Record<string, any>, name: string, seeds: Seeds | undefined): string {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? Infinity;
  const fits = (v: string) => v.length >= min && v.length <= max && (!s.pattern || new RegExp(s.pattern, 'u').test(v));
  const byFormat: Record<string, string> = {
    uri: 'http://127.0.0.1:9/x',
    url: 'http://127.0.0.1:9/x',
    'uri-reference': '/x',
    'date-time': new Date().toISOString(),
    date: '2026-01-01',
    email: 'seed@example.com',
    uuid: '00000000-0000-4000-8000-000000000000',
  };
  const candidates = [hinted(name, seeds), s.format ? byFormat[s.format] : undefined, ...PATTERN_CANDIDATES].filter((v): v is string => v !== undefined);
  for (const c of candidates) if (fits(c)) return c;
  for (const c of candidates) {
    const padded = c.padEnd(min, c.slice(-1) || 'x');
    if (fits(padded)) return padded;
  }
  return 'x'.repeat(Math.max(min, 1));
}

/** A minimal valid JSON body for the operation (undefined when it takes none). */
export function minimalBody(op: Operation, seeds: Seeds | undefined): Json | undefined {
  if (op.bodySchema === undefined) return undefined;
  return minimalValue(op.bodySchema, '', seeds);
}

/**
 * Valid-looking bodies for the operation, smallest first: the required properties only, then with
 * each optional top-level property added alone, then with all of them. The server may demand more
 * than the schema says (a message needs text, images or a template); `calibrate` picks the first
 * candidate it accepts.
 */
export function candidateBodies(op: Operation, seeds: Seeds | undefined): Json[] {
  const base = minimalBody(op, seeds);
  if (base === undefined) return [];
  const s = op.bodySchema;
  if (!s || s === true || !base || typeof base !== 'object' || Array.isArray(base)) return [base];
  const optional = Object.keys(s.properties ?? {}).filter((k) => !(k in base));
  const withProp = (k: string) => ({ ...base, [k]: minimalValue(s.properties[k], k, seeds) });
  const all = optional.reduce<Record<string, Json>>((acc, k) => ({ ...acc, [k]: minimalValue(s.properties[k], k, seeds) }), { ...base });
  return [base, ...optional.map(withProp), ...(optional.length > 1 ? [all] : [])];
}

export interface Calibration {
  /** Index into `candidateBodies` of the body each operation accepts, by operation label. */
  chosen: Map<string, number>;
  /** The status each operation answered with the chosen body, on the caller's own resources. */
  status: Map<string, number>;
}

/** Which of `candidateBodies` each operation accepts, tried on `api`'s own (seeded) resources. */
export async function calibrate(api: Client, ops: Operation[], seeds: Seeds): Promise<Calibration> {
  const chosen = new Map<string, number>();
  const status = new Map<string, number>();
  // Deletes last, sub-resources first: the other operations need the resources alive.
  const ordered = [...ops].sort(
    (a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE') || (a.method === 'DELETE' ? b.path.length - a.path.length : 0),
  );
  for (const op of ordered) {
    if (!op.path.startsWith('/v1/')) continue;
    const candidates = candidateBodies(op, seeds);
    if (!candidates.length) {
      status.set(op.label, (await api.request(op.method, fillPath(op, seeds))).status);
      continue;
    }
    for (let i = 0; i < candidates.length; i++) {
      const res = await api.request(op.method, fillPath(op, seeds), candidates[i]);
      if (i === 0 || (res.status !== 400 && res.status !== 422)) status.set(op.label, res.status);
      if (res.status !== 400 && res.status !== 422) {
        chosen.set(op.label, i);
        break;
      }
    }
  }
  return { chosen, status };
}

/** The calibrated body of the operation (the minimal one when calibration found none). */
export function validBody(op: Operation, seeds: Seeds | undefined, calibrated: Calibration): Json | undefined {
  const candidates = candidateBodies(op, seeds);
  if (!candidates.length) return undefined;
  return candidates[calibrated.chosen.get(op.label) ?? 0] ?? candidates[0];
}

/** Property paths (JSON pointer segments) of a body schema, including nested objects and items. */
export function propertyPaths(schema: Schema | undefined, prefix: (string | number)[] = [], depth = 0, out: (string | number)[][] = []): (string | number)[][] {
  if (!schema || schema === true || depth > 4) return out;
  const s = schema;
  for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) propertyPaths(alt, prefix, depth + 1, out);
  for (const [k, v] of Object.entries<Schema>(s.properties ?? {})) {
    const p = [...prefix, k];
    if (!out.some((x) => x.join('\u0000') === p.join('\u0000'))) out.push(p);
    propertyPaths(v, p, depth + 1, out);
  }
  if (s.items && typeof s.items === 'object') propertyPaths(s.items, [...prefix, 0], depth + 1, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Seeding

export interface SeedOptions {
  /** Resources of an earlier seed to reuse: the agent and webhook endpoint are kept while they exist. */
  base?: Seeds;
}

function has(ops: Operation[], method: string, path: string): boolean {
  return ops.some((o) => o.method === method && o.path === path);
}

async function create(api: Client, ops: Operation[], path: string, preferred: Json, seeds: Seeds): Promise<any | undefined> {
  const op = ops.find((o) => o.method === 'POST' && o.path === path);
  if (!op) return undefined;
  let res = await api.post(path, preferred);
  if (res.status >= 300) res = await api.post(path, minimalBody(op, seeds) ?? {});
  if (res.status >= 300) throw new Error(`seeding ${path} failed: ${res.status} ${res.text}`);
  return res.body;
}

/** The agent the seed creates: one GET tool aimed at a closed loopback port. */
export const SEED_AGENT = {
  name: 'Seed agent',
  config: {
    prompt: 'You help.',
    tools: [
      {
        name: 'lookup',
        type: 'WEBHOOK',
        description: 'Looks a thing up',
        parameters: { type: 'object', properties: { q: { type: 'string' } } },
        webhook: { url: 'http://127.0.0.1:9/x/$q', method: 'GET', timeout_ms: 1000 },
      },
    ],
  },
};

/**
 * Creates one resource of each kind with `api` (an owner key): a key, an agent with one tool and
 * a webhook endpoint (when those routes exist), a tagged user, a conversation with a custom field,
 * a message (so an event and a delivery exist). Collections the seed does not know are found
 * through their list routes or created with a minimal body. Returns the ids.
 */
export async function seed(api: Client, ops: Operation[], opts: SeedOptions = {}): Promise<Seeds> {
  const seeds: Seeds = { ids: {}, tag: 'vip', field: 'tier', tool: 'lookup' };
  for (const coll of ['agents', 'webhooks']) {
    const id = opts.base?.ids[coll];
    if (id && has(ops, 'GET', `/v1/${coll}/{id}`) && (await api.get(`/v1/${coll}/${id}`)).status === 200) seeds.ids[coll] = id;
  }
  const key = await create(api, ops, '/v1/keys', { name: 'seed', role: 'admin' }, seeds);
  if (key) seeds.ids.keys = key.id;
  if (!seeds.ids.agents) {
    const agent = await create(api, ops, '/v1/agents', SEED_AGENT, seeds);
    if (agent) seeds.ids.agents = agent.id;
  }
  if (!seeds.ids.webhooks && has(ops, 'POST', '/v1/webhooks')) {
    const wh = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['conversation.*', 'message.*', 'user.*', 'tag.*'] });
    if (wh.status < 300) seeds.ids.webhooks = wh.body.id;
    else {
      // The endpoint limit may be reached (fuzzing creates endpoints): take an existing one.
      const list = await api.get('/v1/webhooks?limit=1');
      if (list.status === 200 && list.body.data?.[0]) seeds.ids.webhooks = list.body.data[0].id;
      else throw new Error(`seeding /v1/webhooks failed: ${wh.status} ${wh.text}`);
    }
  }
  const user = await create(api, ops, '/v1/users', { name: 'Seed user', email: 'seed@example.com', external_id: null, attributes: { plan: 'gold' } }, seeds);
  if (user) seeds.ids.users = user.id;
  if (user && has(ops, 'POST', '/v1/tags')) await create(api, ops, '/v1/tags', { user_id: user.id, tag: seeds.tag }, seeds);
  const conv = await create(
    api,
    ops,
    '/v1/conversations',
    {
      ...(seeds.ids.users ? { user_id: seeds.ids.users } : {}),
      channel: 'chat',
      direction: 'inbound',
      context: { seeded: true },
      client_data: { order: 'A-1' },
      ...(seeds.ids.agents ? { agent_id: seeds.ids.agents } : {}),
    },
    seeds,
  );
  if (conv) {
    seeds.ids.conversations = conv.id;
    if (has(ops, 'PUT', '/v1/conversations/{id}/custom_fields/{key}')) {
      const cf = `/v1/conversations/${conv.id}/custom_fields/${seeds.field}`;
      const r = await api.put(cf, { value: 'gold' });
      if (r.status >= 300) throw new Error(`seeding ${cf} failed: ${r.status} ${r.text}`);
    }
  }
  const msg = await create(api, ops, '/v1/messages', { conversation_id: seeds.ids.conversations, direction: 'inbound', text: 'hello' }, seeds);
  if (msg) seeds.ids.messages = msg.id;
  if (has(ops, 'GET', '/v1/events')) {
    const ev = await api.get('/v1/events?limit=1');
    if (ev.status === 200 && ev.body.data?.[0]) seeds.ids.events = ev.body.data[0].id;
  }
  await discover(api, ops, seeds);
  return seeds;
}

/**
 * Finds an id for every collection a path names but the seed did not create: first from a list
 * route ending in that collection (`GET /v1/webhooks/{id}/deliveries`), then by creating one with
 * a minimal body.
 */
async function discover(api: Client, ops: Operation[], seeds: Seeds): Promise<void> {
  const wanted = new Set<string>();
  for (const op of ops) for (const p of op.pathParams) if (isIdParam(p)) {
    const c = collectionOfParam(op.path, p);
    if (c && !seeds.ids[c]) wanted.add(c);
  }
  for (const coll of wanted) {
    const lists = ops.filter((o) => o.method === 'GET' && o.path.endsWith('/' + coll) && o.pathParams.every((p) => paramValue(o.path, p, seeds) !== undefined));
    for (const op of lists) {
      const res = await api.get(fillPath(op, seeds));
      const first = res.status === 200 ? res.body?.data?.[0] : undefined;
      if (first && typeof first.id === 'string') {
        seeds.ids[coll] = first.id;
        break;
      }
    }
    if (seeds.ids[coll]) continue;
    const creators = ops.filter((o) => o.method === 'POST' && o.path.endsWith('/' + coll) && o.pathParams.every((p) => paramValue(o.path, p, seeds) !== undefined));
    for (const op of creators) {
      const res = await api.post(fillPath(op, seeds), minimalBody(op, seeds) ?? {});
      if (res.status < 300 && typeof res.body?.id === 'string') {
        seeds.ids[coll] = res.body.id;
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The contract's error body

export const ERROR_TYPES = ['invalid_request', 'authentication', 'permission', 'not_found', 'conflict', 'validation', 'rate_limited', 'internal'];
/** The type each status must carry (413 and 424 are documented as invalid_request). */
export const TYPE_OF_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'authentication',
  403: 'permission',
  404: 'not_found',
  409: 'conflict',
  413: 'invalid_request',
  422: 'validation',
  424: 'invalid_request',
  429: 'rate_limited',
};

/** What is wrong with an answer by the contract, or null: no 5xx, and every 4xx is the error body. */
export function contractProblem(status: number, text: string): string | null {
  if (status >= 500) return `status ${status}`;
  if (status < 400) return null;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} body is not JSON`;
  }
  const e = body?.error;
  if (!e || typeof e !== 'object' || Array.isArray(e)) return `${status} body has no error object`;
  if (!ERROR_TYPES.includes(e.type)) return `${status} error.type ${JSON.stringify(e.type)} not in the contract`;
  if (typeof e.code !== 'string' || !e.code) return `${status} error.code missing`;
  if (typeof e.message !== 'string') return `${status} error.message missing`;
  if ('param' in e && typeof e.param !== 'string') return `${status} error.param is not a string`;
  const extra = Object.keys(e).filter((k) => !['type', 'code', 'message', 'param'].includes(k));
  if (extra.length) return `${status} error has extra fields ${extra.join(',')}`;
  const want = TYPE_OF_STATUS[status];
  if (want && e.type !== want) return `${status} carries type ${e.type}, expected ${want}`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

export interface RawRequest {
  method: string;
  /** Sent as is (no normalisation of `..` or percent-escapes). */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawReply {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A keep-alive client for the test server that sends paths and bodies byte for byte. */
export function rawClient(baseUrl: string) {
  const url = new URL(baseUrl);
  if (url.hostname !== '127.0.0.1') throw new Error('raw client is for 127.0.0.1 only');
  const pool = new Pool(url.origin, { connections: 4 });
  return {
    async send(req: RawRequest): Promise<RawReply> {
      const res = await pool.request({
        method: req.method as any,
        path: req.path,
        headers: req.headers,
        body: req.body,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      const text = await res.body.text();
      return { status: res.statusCode, text, headers: res.headers };
    },
    close: () => pool.close(),
  };
}
