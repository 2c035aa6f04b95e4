/**
 * Hostile input against every operation the server documents in /openapi.json: malformed JSON,
 * wrong types, huge strings, deep nesting, invalid UTF-8, unknown fields, bad path ids, bad query
 * values, wrong content types, bad credentials. Whatever comes in, the server answers below 500,
 * every 4xx is the contract's error body, and it still answers /healthz afterwards.
 *
 * Seeded and bounded: FUZZ_SEED replays a run, FUZZ_SCALE (default 1) scales the request count.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, OWNER_KEY, ADMIN_TOKEN, type TestServer, type StoreKind } from '../helpers/server.ts';
import {
  loadOperations,
  seed,
  fillPath,
  validBody,
  calibrate,
  propertyPaths,
  contractProblem,
  rawClient,
  PREFIXES,
  type Operation,
  type Seeds,
  type RawRequest,
  type RawReply,
  type Json,
  type Calibration,
} from '../helpers/openapi-ops.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const MiB = 1024 * 1024;

/** Requests per pass, spread over the operations (at least MIN_PER_OP each). */
const PASSES: { store: StoreKind; total: number; minPerOp: number; fullCorpus: boolean }[] = [
  { store: 'sqlite', total: Math.round(3000 * SCALE), minPerOp: 40, fullCorpus: true },
  { store: 'postgres', total: Math.round(1000 * SCALE), minPerOp: 15, fullCorpus: false },
];

// ---------------------------------------------------------------------------------------------
// Hostile values

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\u202e\u0000',
  '\uFEFF',
  '\r\n',
  'X\r\nInjected: 1',
  '%00',
  '%ff',
  '../../etc/passwd',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '$session.id',
  '$images',
  '${x}',
  '{{x}}',
  '<script>alert(1)</script>',
  '😀'.repeat(64),
  'null',
  'true',
  '-1',
  '1e309',
  'NaN',
  '__proto__',
  'constructor',
  'javascript:alert(1)',
  'file:///etc/passwd',
  'http://127.0.0.1:1/',
  'http://[::1]:1/',
  'http://0x7f000001:1/',
  'usr_01JD2X8Q4M6N7P8R9S0T1V2W3X',
  'conversation.*',
  '*',
  '2026-13-45T99:99:99.999Z',
];

const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.integer(),
  fc.double().map((d) => (Number.isFinite(d) ? d : 1e308)),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom<Json>({}, [], [null], [[]], { '': null }, -0, Number.MAX_SAFE_INTEGER + 2, 1e308, -1, 0),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxKeys: 4 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxLength: 5 }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom<Json>(...NASTY_STRINGS),
);

const MALFORMED = [
  '{',
  '}',
  '[',
  '{"a":}',
  '{"a" 1}',
  "{'a':1}",
  '{"a":1,}',
  '[1,]',
  'undefined',
  'NaN',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":01}',
  '{"a":"\\x"}',
  '{"a":"\\u12"}',
  '{"a":"\n"}',
  '\u0000',
  '{"a":1}}',
  '{"a":1} x',
  '//c\n{}',
  'nul',
  'tru',
  '"unterminated',
  '{"a":1e}',
  '-',
  '+1',
  '0x10',
  '{"a":[1,2}',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"a":{"__proto__":{"polluted":true}}}',
  '{"a"\u0000:1}',
];

const INVALID_UTF8: number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0xc3],
  [0xc3, 0x28],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
  [0xbf, 0xbf],
];

const CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'text/html',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;;',
  'application/jsonx',
  'application/*',
  '*/*',
  '',
  ';',
  'application/json, text/plain',
  'application/merge-patch+json',
  'application/octet-stream',
  'application/vnd.api+json',
  'json',
];

const BAD_AUTH = [
  'Bearer',
  'Bearer ',
  'Bearer  ',
  'Basic dXNlcjpwYXNz',
  'bearer sk_',
  'Bearer sk_' + 'x'.repeat(40),
  'Bearer ' + OWNER_KEY + ' extra',
  'Bearer ' + OWNER_KEY.slice(0, -1),
  'Bearer ' + OWNER_KEY.toUpperCase(),
  'Bearer ' + 'sk_' + 'a'.repeat(10_000),
  'Token ' + OWNER_KEY,
  OWNER_KEY,
  'Bearer %00',
  'Bearer null',
];

const BAD_PATH_LITERALS = [
  '..',
  '../',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%2e%2e%2f',
  '%00',
  'a%00b',
  'usr_%00',
  '%ff',
  '%fe%ff',
  '%',
  '%zz',
  '%C0%AF',
  '%ED%A0%80',
  '%E2%80%AE',
  '%20',
  '.',
  '*',
  '%27',
  '%22',
  '%5C',
  '%0d%0aX-Injected:%201',
  '%F0%9F%98%80',
  '%u0000',
  '%25',
  ';',
  ',',
  '%3B',
  '%2F',
  '%3F',
  '%23',
  '~',
  'null',
  'undefined',
  '0',
  '-1',
  'true',
  '[]',
  '{}',
];

const BAD_QUERY_LITERALS = [
  '-1',
  '0',
  'abc',
  '101',
  '1e2',
  '1.5',
  '',
  '%00',
  '%ff',
  '%',
  '99999999999999999999',
  'null',
  '[]',
  '{}',
  'true',
  '%0d%0a',
  'a%00b',
  '1%00',
  '0x10',
  '+1',
  '%20%201',
];

const printable = (max: number) =>
  fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: max }).map((codes) => String.fromCharCode(...codes));

const b64url = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');

// ---------------------------------------------------------------------------------------------
// Building requests

const PH = '@@PH_7f3a@@';

interface Case {
  kind: string;
  req: RawRequest;
  /** Exact statuses the contract demands for this input, when it demands one. */
  expect?: number[];
}

/** A deep copy of `body` with `value` at `path`, creating containers on the way. */
function setAt(body: Json | undefined, path: (string | number)[], value: Json): Json {
  const root: any = body && typeof body === 'object' && !Array.isArray(body) ? structuredClone(body) : {};
  if (path.length === 0) return value;
  let cur: any = root;
  for (let i = 0; i < path.length; i++) {
    const k = path[i];
    const last = i === path.length - 1;
    const next = last ? value : cur[k] && typeof cur[k] === 'object' ? cur[k] : typeof path[i + 1] === 'number' ? [] : {};
    Object.defineProperty(cur, k, { value: next, enumerable: true, writable: true, configurable: true });
    cur = next;
  }
  return root;
}

/** The body as JSON text with `raw` (JSON text) at `path`. */
function withRawAt(body: Json | undefined, path: (string | number)[], raw: string): string {
  if (path.length === 0) return raw;
  return JSON.stringify(setAt(body, path, PH)).replace(JSON.stringify(PH), raw);
}

function deepText(depth: number, shape: 'array' | 'object' | 'mixed'): string {
  if (shape === 'array') return '['.repeat(depth) + ']'.repeat(depth);
  if (shape === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const half = Math.floor(depth / 2);
  return '[{"a":'.repeat(half) + 'null' + '}]'.repeat(half);
}

function isMalformed(text: string): boolean {
  if (text.trim() === '' || text.startsWith('\uFEFF')) return false;
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}

interface OpContext {
  op: Operation;
  seeds: Seeds;
  auth: string;
  /** Methods the path has (for wrong-method requests). */
  methods: string[];
  calibrated: Calibration;
}

function baseRequest(ctx: OpContext, overrides: Partial<RawRequest> & { query?: string } = {}): RawRequest {
  const path = overrides.path ?? fillPath(ctx.op, ctx.seeds);
  return {
    method: overrides.method ?? ctx.op.method,
    path: path + (overrides.query ?? ''),
    headers: { authorization: ctx.auth, ...(overrides.headers ?? {}) },
    body: overrides.body,
  };
}

const jsonCt = { 'content-type': 'application/json' };

/** Every kind of hostile request for one operation, as one weighted arbitrary. */
function casesFor(ctx: OpContext): fc.Arbitrary<Case> {
  const { op, seeds } = ctx;
  const valid = validBody(op, seeds, ctx.calibrated);
  const validText = valid === undefined ? '' : JSON.stringify(valid);
  const paths = propertyPaths(op.bodySchema);
  const objectPaths: (string | number)[][] = [[], ...paths];
  const takesBody = ['POST', 'PUT', 'PATCH'].includes(op.method);
  const pathArb = paths.length ? fc.constantFrom(...paths) : fc.constant<(string | number)[]>([]);
  const withBody = (kind: string, body: string | Buffer, headers: Record<string, string> = jsonCt, expect?: number[]): Case => {
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    const big = size > MiB && takesBody ? [413] : undefined;
    return { kind, req: baseRequest(ctx, { body, headers }), expect: big ?? expect };
  };

  const validCase = fc.option(printable(40), { nil: undefined }).map(
    (idem): Case => ({
      kind: 'valid',
      req: baseRequest(ctx, {
        body: valid === undefined ? undefined : validText,
        headers: { ...(valid === undefined ? {} : jsonCt), ...(idem !== undefined && op.method === 'POST' ? { 'idempotency-key': idem || 'k' } : {}) },
      }),
    }),
  );

  const malformed = fc
    .oneof(
      fc.constantFrom(...MALFORMED),
      fc.nat({ max: Math.max(validText.length - 1, 0) }).map((n) => validText.slice(0, n) || '{'),
      fc.string({ maxLength: 30 }).map((g) => (validText || '{}') + g),
      fc.string({ maxLength: 60 }),
    )
    .map((text) => withBody('malformed-json', text, jsonCt, takesBody && isMalformed(text) ? [400] : undefined));

  const wrongType = fc
    .record({ path: pathArb, value: hostileValue })
    .map(({ path, value }) => withBody(`wrong-type ${path.join('/') || '(root)'}`, JSON.stringify(setAt(valid, path, value))));

  const huge = fc
    .record({
      path: fc.constantFrom(...objectPaths),
      size: fc.constantFrom(300_000, 300_000, 1_100_000),
      ch: fc.constantFrom('x', 'é', '😀', '\u0000', '"', '\\'),
    })
    .map(({ path, size, ch }) => {
      const s = ch.repeat(Math.ceil(size / Buffer.byteLength(ch)));
      return withBody(`huge-string ${size}`, JSON.stringify(setAt(valid, path, s)));
    });

  const deep = fc
    .record({
      depth: fc.oneof(fc.constantFrom(5000, 10_000, 50_000), fc.integer({ min: 500, max: 6000 })),
      shape: fc.constantFrom<'array' | 'object' | 'mixed'>('array', 'object', 'mixed'),
      path: fc.constantFrom(...objectPaths),
    })
    .map(({ depth, shape, path }) => withBody(`deep-nesting ${shape}`, withRawAt(valid, path, deepText(depth, shape))));

  const invalidUtf8 = fc
    .record({
      bytes: fc.oneof(
        fc.constantFrom(...INVALID_UTF8),
        fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 8 }),
      ),
      where: fc.constantFrom('value', 'key', 'whole'),
      path: pathArb,
    })
    .map(({ bytes, where, path }) => {
      let body: Buffer;
      if (where === 'whole') body = Buffer.concat([Buffer.from('{"'), Buffer.from(bytes), Buffer.from('":1}')]);
      else {
        const text = where === 'key' ? JSON.stringify(setAt(valid, [...path.slice(0, -1), PH], 'x')) : JSON.stringify(setAt(valid, path, 'a' + PH + 'b'));
        const [pre, post] = text.split(PH);
        body = Buffer.concat([Buffer.from(pre), Buffer.from(bytes), Buffer.from(post ?? '')]);
      }
      return withBody(`invalid-utf8 ${where}`, body);
    });

  const unknownField = fc
    .record({
      path: fc.constantFrom(...objectPaths),
      key: fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'company_id', 'created_at', 'status', '$where', '', 'x'.repeat(10_000)),
      ),
      value: hostileValue,
    })
    .map(({ path, key, value }) => {
      const parent = path.length ? path : [];
      return withBody(`unknown-field`, JSON.stringify(setAt(valid, [...parent, key], value)));
    });

  const otherIds = Object.values(seeds.ids);
  const badId = fc.oneof(
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
    fc.record({ p: fc.constantFrom(...Object.values(PREFIXES)), r: fc.stringMatching(/^[0-9A-Z]{26}$/) }).map(({ p, r }) => p + r),
    fc.constantFrom(...(otherIds.length ? otherIds : ['x'])),
    fc.constantFrom(63, 64, 65, 299, 300, 301, 2000, 10_000).map((n) => 'usr_' + 'A'.repeat(n)),
    fc.constantFrom(...BAD_PATH_LITERALS),
  );
  const badPath = op.pathParams.length
    ? fc.record({ param: fc.constantFrom(...op.pathParams), value: badId }).map(
        ({ param, value }): Case => ({
          kind: `bad-path ${param}`,
          req: baseRequest(ctx, { path: fillPath(op, seeds, { [param]: value }), body: valid === undefined ? undefined : validText, headers: valid === undefined ? {} : jsonCt }),
        }),
      )
    : undefined;

  const queryNames = [...new Set([...op.queryParams.map((q) => q.name), 'limit', 'cursor'])];
  const cursorGarbage = fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map(b64url),
    fc.jsonValue({ maxDepth: 2 }).map((v) => b64url(JSON.stringify(v))),
    fc.constantFrom(...otherIds, 'x').map((id) => b64url(id)),
    fc.constantFrom(...otherIds, 'x').map((id) => b64url(`${id}|2026-01-01T00:00:00.000Z`)),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
  );
  const badQuery = fc
    .record({
      name: fc.oneof(fc.constantFrom(...queryNames), fc.constantFrom('limit[]', 'limit[a]', 'unknown', '%00', '__proto__', 'constructor')),
      value: fc.oneof(fc.constantFrom(...BAD_QUERY_LITERALS), fc.string({ maxLength: 20 }).map(encodeURIComponent), cursorGarbage),
      dup: fc.boolean(),
    })
    .map(({ name, value, dup }): Case => {
      const declared = op.queryParams.some((q) => q.name === 'limit');
      const expect = name === 'limit' && !dup && declared && ['-1', '0', 'abc', '101'].includes(value) ? [422] : undefined;
      const query = `?${name}=${value}` + (dup ? `&${name}=${value}&${name}=1` : '');
      return { kind: `bad-query ${name}`, req: baseRequest(ctx, { query, body: valid === undefined ? undefined : validText, headers: valid === undefined ? {} : jsonCt }), expect };
    });

  const wrongContentType = fc
    .record({ ct: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }), text: fc.oneof(fc.constant(validText || '{}'), fc.constant('a=1&b=2'), fc.constant('<x/>')) })
    .map(({ ct, text }) => withBody(`content-type ${ct ?? '(none)'}`, text, ct === undefined ? {} : { 'content-type': ct }));

  const anyJson = fc.jsonValue({ maxDepth: 4 }).map((v) => withBody('any-json', JSON.stringify(v)));

  const badAuth = fc
    .oneof(fc.constantFrom(...BAD_AUTH), printable(80), printable(60).map((s) => 'Bearer ' + s))
    .map((authorization): Case => {
      const req = baseRequest(ctx, { body: valid === undefined ? undefined : validText, headers: valid === undefined ? {} : jsonCt });
      req.headers = { ...req.headers, authorization };
      if (authorization === '') delete req.headers.authorization;
      return { kind: 'bad-auth', req, expect: op.path.startsWith('/v1/') && authorization !== ctx.auth ? [401] : undefined };
    });

  const badHeaders = fc
    .record({
      idem: fc.oneof(fc.constantFrom('x'.repeat(256), 'x'.repeat(10_000), ' '), printable(300)),
      accept: fc.constantFrom('text/html', 'application/xml', '*/*', 'application/json;q=0', ''),
    })
    .map(({ idem, accept }): Case => ({
      kind: 'bad-headers',
      req: baseRequest(ctx, { body: valid === undefined ? undefined : validText, headers: { ...(valid === undefined ? {} : jsonCt), 'idempotency-key': idem, accept } }),
    }));

  const wrongMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].filter((m) => !ctx.methods.includes(m));
  const wrongMethod = wrongMethods.length
    ? fc.constantFrom(...wrongMethods).map((method): Case => ({ kind: `wrong-method ${method}`, req: baseRequest(ctx, { method, body: validText || undefined, headers: validText ? jsonCt : {} }) }))
    : undefined;

  const arbs: { weight: number; arbitrary: fc.Arbitrary<Case> }[] = [
    { weight: 2, arbitrary: validCase },
    { weight: 4, arbitrary: malformed },
    { weight: paths.length ? 8 : 2, arbitrary: wrongType },
    { weight: 1, arbitrary: huge },
    { weight: 2, arbitrary: deep },
    { weight: 3, arbitrary: invalidUtf8 },
    { weight: 3, arbitrary: unknownField },
    { weight: 4, arbitrary: badQuery },
    { weight: 3, arbitrary: wrongContentType },
    { weight: 2, arbitrary: anyJson },
    { weight: 2, arbitrary: badAuth },
    { weight: 1, arbitrary: badHeaders },
  ];
  if (badPath) arbs.push({ weight: 8, arbitrary: badPath });
  if (wrongMethod) arbs.push({ weight: 1, arbitrary: wrongMethod });
  return fc.oneof(...arbs);
}

/**
 * The fixed part: every hostile shape at every body property and every path parameter once, so
 * each is covered whatever the random part draws.
 */
function corpusFor(ctx: OpContext, full: boolean): Case[] {
  const { op, seeds } = ctx;
  const valid = validBody(op, seeds, ctx.calibrated);
  const validText = valid === undefined ? '' : JSON.stringify(valid);
  const takesBody = ['POST', 'PUT', 'PATCH'].includes(op.method);
  const out: Case[] = [];
  const bodyCase = (kind: string, body: string | Buffer, expect?: number[]) =>
    out.push({ kind, req: baseRequest(ctx, { body, headers: jsonCt }), expect: takesBody && Buffer.byteLength(body) > MiB ? [413] : expect });
  const bodyPaths: (string | number)[][] = [[], ...propertyPaths(op.bodySchema)];
  for (const path of bodyPaths) {
    const at = path.join('/') || '(root)';
    for (const shape of full ? (['array', 'object'] as const) : (['object'] as const))
      bodyCase(`deep-nesting ${shape} 5000 at ${at}`, withRawAt(valid, path, deepText(5000, shape)));
    if (full || path.length === 0) bodyCase(`huge-string at ${at}`, JSON.stringify(setAt(valid, path, 'x'.repeat(300_000))));
    bodyCase(`nul at ${at}`, JSON.stringify(setAt(valid, path, 'a\u0000b')));
    bodyCase(`lone-surrogate at ${at}`, withRawAt(valid, path, '"\\ud800"'));
    if (full) for (const v of [1, true, null, {}, [], 'x'] as Json[]) bodyCase(`wrong-type ${JSON.stringify(v)} at ${at}`, JSON.stringify(setAt(valid, path, v)));
    if (path.length) {
      const [pre, post] = JSON.stringify(setAt(valid, path, 'a' + PH + 'b')).split(PH);
      bodyCase(`invalid-utf8 at ${at}`, Buffer.concat([Buffer.from(pre), Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from(post ?? '')]));
    }
  }
  bodyCase('malformed-json', validText ? validText.slice(0, -1) : '{', takesBody ? [400] : undefined);
  bodyCase('over-1MiB', JSON.stringify(setAt(valid, ['zz'], 'x'.repeat(MiB + 10))));
  for (const param of op.pathParams)
    for (const value of ['%00', 'a%00b', '%ff', '%', '..%2F..', '../', 'usr_' + 'A'.repeat(2000), '%F0%9F%98%80', encodeURIComponent("'; --")])
      out.push({ kind: `bad-path ${param}=${value.slice(0, 12)}`, req: baseRequest(ctx, { path: fillPath(op, seeds, { [param]: value }), body: validText || undefined, headers: validText ? jsonCt : {} }) });
  for (const q of [...new Set([...op.queryParams.map((x) => x.name), 'limit', 'cursor'])])
    for (const value of ['-1', 'abc', '%00', 'a%00b', '%ff', b64url('usr_\u0000|x')]) {
      const expect = q === 'limit' && op.queryParams.some((x) => x.name === 'limit') && ['-1', 'abc'].includes(value) ? [422] : undefined;
      out.push({ kind: `bad-query ${q}=${value}`, req: baseRequest(ctx, { query: `?${q}=${value}`, body: validText || undefined, headers: validText ? jsonCt : {} }), expect });
    }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checking answers

interface Failure {
  op: string;
  kind: string;
  problem: string;
  request: string;
  response: string;
}

function describeRequest(req: RawRequest): string {
  const body = req.body === undefined ? '' : Buffer.isBuffer(req.body) ? `<buffer ${req.body.toString('hex').slice(0, 120)}>` : req.body;
  const headers = Object.entries(req.headers ?? {})
    .filter(([k]) => k !== 'authorization' || !String(req.headers?.[k]).includes(OWNER_KEY))
    .map(([k, v]) => `${k}: ${String(v).slice(0, 60)}`)
    .join('; ');
  return `${req.method} ${req.path.slice(0, 200)}${req.path.length > 200 ? `…(${req.path.length})` : ''} [${headers}] ${body.slice(0, 200)}${body.length > 200 ? `…(${body.length} chars)` : ''}`;
}

function check(c: Case, res: RawReply): string | null {
  if (c.req.method === 'HEAD') return res.status >= 500 ? `status ${res.status}` : null;
  const p = contractProblem(res.status, res.text);
  if (p) return p;
  if (c.expect && !c.expect.includes(res.status)) return `expected ${c.expect.join('|')}, got ${res.status}`;
  // A success is JSON unless the operation says otherwise (GET /metrics is Prometheus text).
  const type = String(res.headers['content-type'] ?? '');
  if (res.status < 300 && res.status !== 204 && res.text !== '' && !type.startsWith('text/plain')) {
    try {
      JSON.parse(res.text);
    } catch {
      return `${res.status} body is not JSON`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------

for (const pass of PASSES) {
  describe(`hostile input on ${pass.store}`, () => {
    let t: TestServer;
    let ops: Operation[];
    let raw: ReturnType<typeof rawClient>;
    let seeds: Seeds;
    let calibrated: Calibration;

    before(async () => {
      t = await startTestServer(pass.store, { SWITCHBOARD_ALLOW_HTTP: 'true' });
      ({ ops } = await loadOperations(t.url));
      raw = rawClient(t.url);
      seeds = await seed(t.api, ops);
      // Bodies the handlers accept (not just the schema), so hostile variants reach deep code.
      calibrated = await calibrate(t.api, ops, seeds);
    });
    after(async () => {
      await raw?.close();
      await t?.close();
    });

    it('answers every documented operation below 500 with the contract error body', async (tc) => {
      assert.ok(ops.length >= 20, `only ${ops.length} operations in /openapi.json`);
      const perOp = Math.max(pass.minPerOp, Math.floor(pass.total / ops.length));
      tc.diagnostic(`seed ${SEED}, ${ops.length} operations, ${perOp} requests each`);
      let sent = 0;
      const reported = new Set<string>();
      const timeByKind = new Map<string, number>();
      const statuses = new Map<string, number>();
      for (const [i, op] of ops.entries()) {
        await tc.test(op.label, async () => {
          // Fresh user, conversation and message for each operation: earlier ones may be closed or deleted.
          seeds = await seed(t.api, ops, { base: seeds });
          const methods = ops.filter((o) => o.path === op.path).map((o) => o.method);
          const ctx: OpContext = { op, seeds, auth: `Bearer ${OWNER_KEY}`, methods, calibrated };
          // Server-admin routes (POST /v1/companies) take the admin token, not a key.
          const probe = await raw.send(baseRequest(ctx, { body: JSON.stringify(validBody(op, seeds, calibrated) ?? {}), headers: jsonCt }));
          if (probe.status === 401) ctx.auth = `Bearer ${ADMIN_TOKEN}`;
          const failures = new Map<string, Failure>();
          const record = (c: Case, res: RawReply) => {
            sent++;
            const bucket = `${Math.floor(res.status / 100)}xx`;
            statuses.set(bucket, (statuses.get(bucket) ?? 0) + 1);
            const problem = check(c, res);
            if (!problem) return;
            // Router-level failures (fastify's own error bodies) are one bug whatever the route:
            // report them once per pass; anything else once per operation and kind.
            const frameworkCode = /"code":"(FST_[A-Z_]+)"/.exec(res.text)?.[1];
            const key = frameworkCode ? `framework|${res.status}|${frameworkCode}` : `${op.label}|${c.kind.split(' ')[0]}|${problem.replace(/\d{4,}/g, 'N')}`;
            if (reported.has(key) || failures.has(key)) return;
            failures.set(key, { op: op.label, kind: c.kind, problem, request: describeRequest(c.req), response: `${res.status} ${res.text.slice(0, 300)}` });
          };
          const send = async (c: Case) => {
            const started = performance.now();
            try {
              record(c, await raw.send(c.req));
              const k = c.kind.split(' ')[0];
              timeByKind.set(k, (timeByKind.get(k) ?? 0) + performance.now() - started);
            } catch (err) {
              const e = err as Error & { code?: string };
              // The client refused to send it (an invalid header or path): not the server's concern.
              if (e.code === 'UND_ERR_INVALID_ARG' || e.name === 'InvalidArgumentError') return;
              record(c, { status: 599, text: `connection error: ${e.code ?? ''} ${e.message}`, headers: {} });
            }
          };
          for (const c of corpusFor(ctx, pass.fullCorpus)) await send(c);
          await fc.assert(
            fc.asyncProperty(casesFor(ctx), async (c) => {
              await send(c);
              return true;
            }),
            { seed: SEED + i, numRuns: perOp, endOnFailure: true },
          );
          for (const k of failures.keys()) reported.add(k);
          const list = [...failures.values()];
          assert.equal(
            list.length,
            0,
            `${op.label}: ${list.length} kind(s) of contract violation (FUZZ_SEED=${SEED}):\n` +
              list.map((f) => `- [${f.kind}] ${f.problem}\n    > ${f.request}\n    < ${f.response}`).join('\n'),
          );
        });
      }
      const slowest = [...timeByKind].sort((a, b) => b[1] - a[1]).slice(0, 5);
      tc.diagnostic(`answers: ${[...statuses].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
      tc.diagnostic(`${sent} hostile requests sent; most time in ${slowest.map(([k, ms]) => `${k} ${Math.round(ms)} ms`).join(', ')}`);
    });

    it('still answers /healthz and /readyz, and the owner key still works', async () => {
      assert.equal((await fetch(t.url + '/healthz')).status, 200);
      assert.equal((await fetch(t.url + '/readyz')).status, 200);
      assert.equal((await t.api.get('/v1/users?limit=1')).status, 200);
    });
  });
}
