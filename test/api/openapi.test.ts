import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { EVENT_CATALOG } from '../../src/domain/event-catalog.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

function operations(doc: any): { label: string; path: string; method: string; op: any }[] {
  const out = [];
  for (const [p, item] of Object.entries<any>(doc.paths)) {
    for (const m of METHODS) if (item[m]) out.push({ label: `${m.toUpperCase()} ${p}`, path: p, method: m, op: item[m] });
  }
  return out;
}

describe('OpenAPI document', () => {
  let t: TestServer;
  let doc: any;
  before(async () => {
    t = await startTestServer('sqlite');
    doc = await (await fetch(t.url + '/openapi.json')).json();
  });
  after(() => t.close());

  it('is a valid OpenAPI 3.1 document generated from the route schemas', async () => {
    assert.equal(doc.openapi, '3.1.0');
    // validate() throws with the list of problems when the document is invalid
    await SwaggerParser.validate(structuredClone(doc));
    for (const path of ['/v1/users', '/v1/users/{id}', '/v1/conversations', '/v1/messages', '/v1/events', '/v1/event-types', '/v1/keys', '/v1/tags']) {
      assert.ok(doc.paths[path], `missing ${path}`);
    }
    // The probes are part of the contract too, open (no key) and described.
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const op = doc.paths[path]?.get;
      assert.ok(op, `missing ${path}`);
      assert.deepEqual(op.security, [], `${path} needs no API key`);
      assert.ok(op.operationId && op.description, `${path} has an operationId and a description`);
    }
    assert.ok(doc.paths['/readyz'].get.responses['503']);
    assert.ok(doc.paths['/metrics'].get.responses['200'].content['text/plain']);
    const create = doc.paths['/v1/conversations'].post;
    assert.ok(create.requestBody.content['application/json'].schema.properties.channel);
    assert.ok(create.responses['201']);
  });

  it('names and describes every operation, under defined tags, with servers, contact and license', () => {
    assert.ok(doc.info.contact, 'info.contact');
    assert.ok(doc.info.license?.name, 'info.license');
    assert.ok(doc.servers?.length, 'servers');
    const defined = new Map<string, string>(doc.tags.map((t: any) => [t.name, t.description]));
    const ids = new Set<string>();
    for (const { label, op } of operations(doc)) {
      assert.match(op.operationId ?? '', /^[a-z][A-Za-z]+$/, `${label}: camelCase operationId`);
      assert.ok(!ids.has(op.operationId), `${label}: operationId ${op.operationId} is unique`);
      ids.add(op.operationId);
      assert.ok(op.summary && op.summary.length <= 60, `${label}: a short summary (${op.summary})`);
      assert.ok(op.description && op.description.length >= 20, `${label}: a description`);
      for (const tag of op.tags ?? []) assert.ok(defined.get(tag), `${label}: tag ${tag} is defined with a description`);
    }
    for (const id of ['listUsers', 'createUser', 'getUser', 'replaceUser', 'updateUser', 'deleteUser', 'rotateWebhookSecret', 'createConversation']) {
      assert.ok(ids.has(id), `operationId ${id}`);
    }
  });

  it('declares each error status a route can answer, with the error body and when it happens', () => {
    const errorSchema = (label: string, status: string, res: any) => {
      assert.ok(res, `${label}: declares ${status}`);
      assert.ok(res.description && res.description !== 'Default Response', `${label} ${status}: says when it happens`);
      const schema = res.content?.['application/json']?.schema;
      assert.deepEqual(schema?.required, ['error'], `${label} ${status}: the error body`);
      assert.deepEqual(Object.keys(schema.properties.error.properties).sort(), ['code', 'message', 'param', 'type']);
    };
    for (const { label, path: p, method, op } of operations(doc)) {
      if (!p.startsWith('/v1/')) continue;
      assert.ok(!op.responses['4XX'] && !op.responses['5XX'], `${label}: statuses, not 4XX/5XX`);
      const admin = p === '/v1/companies';
      const body = !!op.requestBody;
      const cursor = (op.parameters ?? []).some((x: any) => x.in === 'query' && x.name === 'cursor');
      const expected = ['401', '500'];
      if (!admin) expected.push('429');
      if (body || cursor) expected.push('400');
      if (p.includes('{')) expected.push('404');
      if (method === 'post') expected.push('409');
      if (body) expected.push('413');
      if (body || cursor || p.includes('{') || method === 'post') expected.push('422');
      for (const s of expected) errorSchema(label, s, op.responses[s]);
      if (!admin) assert.ok(op.responses['429'].headers?.['retry-after'], `${label}: 429 documents retry-after`);
      if (method === 'post') {
        const idem = (op.parameters ?? []).find((x: any) => x.in === 'header' && x.name === 'idempotency-key');
        assert.equal(idem?.schema?.maxLength, 255, `${label}: documents the Idempotency-Key header`);
      }
    }
    const ops = Object.fromEntries(operations(doc).map((o) => [o.label, o.op]));
    errorSchema('POST /v1/conversations', '424', ops['POST /v1/conversations'].responses['424']);
    assert.match(ops['POST /v1/conversations'].responses['424'].description, /setup_failed/);
    assert.match(ops['DELETE /v1/keys/{id}'].responses['409'].description, /last_owner_key/);
    assert.match(ops['POST /v1/users'].responses['409'].description, /external_id/);
    assert.match(ops['POST /v1/users'].responses['409'].description, /idempotency_key_reused/);
    assert.match(ops['POST /v1/keys'].responses['409'].description, /idempotent_secret/);
    errorSchema('GET /v1/webhooks', '403', ops['GET /v1/webhooks'].responses['403']);
    assert.match(ops['POST /v1/companies'].responses['401'].description, /invalid_admin_token/);
  });

  it('describes every outgoing event in the webhooks section, with its schema and the signature headers', async () => {
    assert.deepEqual(Object.keys(doc.webhooks).sort(), EVENT_CATALOG.map((e) => e.type).sort());
    for (const e of EVENT_CATALOG) {
      const op = doc.webhooks[e.type].post;
      assert.ok(op.operationId && op.description, `${e.type}: operationId and description`);
      assert.deepEqual(
        op.parameters.filter((p: any) => p.in === 'header' && p.required).map((p: any) => p.name),
        ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
      );
      const ref = op.requestBody.content['application/json'].schema.$ref as string;
      const schema = doc.components.schemas[ref.split('/').pop()!];
      // @fastify/swagger writes the catalog's `const` as a one-value enum.
      assert.deepEqual(schema.properties.type.enum ?? [schema.properties.type.const], [e.type], `${e.type}: the catalog's envelope schema`);
      assert.deepEqual(Object.keys(schema.properties), Object.keys((e.schema as any).properties));
      assert.deepEqual(schema.example, e.example);
    }
    const setup = doc.webhooks['conversation.setup'].post.responses['200'].content['application/json'].schema.$ref;
    assert.deepEqual(doc.components.schemas[setup.split('/').pop()].required, ['context']);
  });

  it('passes spectral:oas with no error and no warning', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      fs.writeFileSync(file, JSON.stringify(doc, null, 2));
      const bin = path.join(ROOT, 'node_modules', '.bin', 'spectral');
      const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
        execFile(
          bin,
          ['lint', file, '--ruleset', path.join(ROOT, '.spectral.yaml'), '--fail-severity=warn', '--format', 'text'],
          { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
        );
      });
      assert.equal(result.code, 0, `spectral found problems:\n${result.out}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("renders the docs page under Switchboard's name, without the framework logo", async () => {
    const res = await fetch(t.url + '/docs', { redirect: 'follow' });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /swagger-ui/i);
    assert.match(html, /<title>Switchboard API<\/title>/);
    const init = await (await fetch(t.url + '/docs/static/swagger-initializer.js')).text();
    const logo = /data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(init);
    assert.ok(logo, 'the initializer replaces the top bar logo');
    const svg = Buffer.from(logo[1], 'base64').toString('utf8');
    assert.match(svg, /Switchboard/);
    const fastifyLogo = fs.readFileSync(path.join(ROOT, 'node_modules/@fastify/swagger-ui/static/logo.svg'), 'utf8');
    assert.notEqual(svg, fastifyLogo);
  });
});
