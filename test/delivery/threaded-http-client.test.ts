import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, type HttpClient, type OutboundRequest } from '../../src/delivery/http-client.ts';
import { createThreadedHttpClient } from '../../src/delivery/threaded-http-client.ts';
import { parseAllowList } from '../../src/domain/address-policy.ts';

const UA = 'Switchboard-Webhooks/test';
const setup = { allowTargets: '127.0.0.0/8', allowHttp: true, userAgent: UA };

/** A receiver that answers each POST with its path, its webhook-id header and its body. */
let server: http.Server;
let base = '';
before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.writeHead(req.url === '/gone' ? 410 : 200, { 'content-type': 'application/json', 'x-seen-ua': String(req.headers['user-agent']) });
      res.end(JSON.stringify({ path: req.url, id: req.headers['webhook-id'], body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function recordingLocal(): HttpClient & { paths: string[] } {
  const real = createHttpClient({ allowTargets: parseAllowList('127.0.0.0/8'), allowHttp: true, userAgent: UA });
  const paths: string[] = [];
  return { paths, send: (r) => (paths.push(r.path ?? 'delivery'), real.send(r)), poolStats: real.poolStats, close: real.close };
}

const post = (i: number, path = `/hooks/${i}`): OutboundRequest => ({
  path: 'delivery', method: 'POST', url: base + path, headers: { 'content-type': 'application/json', 'webhook-id': `evt_${i}` }, body: `{"n":${i}}`, timeoutMs: 5000,
});

describe('deliveries sent from the sender thread', () => {
  test('answer each request with its own response, many at once, and leave setup and tool calls to the local client', async () => {
    const local = recordingLocal();
    const warnings: unknown[] = [];
    const client = createThreadedHttpClient({ local, setup, threaded: ['delivery'], logger: { warn: (o: unknown) => warnings.push(o), error: () => {} } as never });
    try {
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => client.send(post(i))));
      results.forEach((r, i) => {
        assert.equal(r.statusCode, 200, r.error ?? '');
        assert.deepEqual(JSON.parse(r.body), { path: `/hooks/${i}`, id: `evt_${i}`, body: `{"n":${i}}` });
        assert.equal(r.headers['x-seen-ua'], UA);
      });
      const gone = await client.send(post(1, '/gone'));
      assert.equal(gone.statusCode, 410);
      assert.deepEqual(local.paths, [], 'deliveries never went through the local client');
      const setupCall = await client.send({ ...post(7), path: 'setup' });
      const toolCall = await client.send({ ...post(8), path: 'tool' });
      assert.equal(setupCall.statusCode, 200);
      assert.equal(toolCall.statusCode, 200);
      assert.deepEqual(local.paths, ['setup', 'tool']);
      assert.deepEqual(warnings, []);
    } finally {
      await client.close();
    }
  });

  test('apply the target rules in the thread, logging a refusal through the main logger, and send nothing after close', async () => {
    const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger = { warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg }), error: () => {} };
    const client = createThreadedHttpClient({
      local: recordingLocal(),
      setup: { ...setup, allowTargets: '' },
      threaded: ['delivery'],
      logger: logger as never,
    });
    try {
      const refused = await client.send({ ...post(1), logContext: { webhook: 'wh_1', delivery: 'dlv_1' } });
      assert.equal(refused.statusCode, null);
      assert.equal(refused.errorCode, 'TARGET_REFUSED');
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.msg, 'refused outbound target');
      assert.equal(warnings[0]!.obj.webhook, 'wh_1');
      assert.equal(warnings[0]!.obj.address, '127.0.0.1');
    } finally {
      await client.close();
    }
    const late = await client.send(post(2));
    assert.equal(late.statusCode, null);
    assert.match(late.error ?? '', /sender thread stopped/);
  });
});
