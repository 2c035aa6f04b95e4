import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startTestServer, type TestServer, type Client } from '../helpers/server.ts';
import { eventually } from '../helpers/webhook-receiver.ts';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

interface Example {
  child: ChildProcess;
  url: string;
  /** Resolves with the first printed line matching `re` (lines already printed count). */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

function startExample(file: string, env: Record<string, string>): Promise<Example> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(EXAMPLES, file)], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const waiters: (() => void)[] = [];
    child.stdout!.on('data', (d) => {
      out += d;
      for (const w of waiters.splice(0)) w();
    });
    child.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const line = (re: RegExp, timeoutMs = 10_000) =>
      new Promise<string>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`${file}: no line ${re} in:\n${out}\n${err}`)), timeoutMs);
        const check = () => {
          const hit = out.split('\n').find((l) => re.test(l));
          if (hit !== undefined) {
            clearTimeout(timer);
            res(hit);
          } else waiters.push(check);
        };
        check();
      });
    child.once('exit', (code) => reject(new Error(`${file} exited ${code}: ${err}`)));
    line(/^listening on /).then(
      (l) => resolve({ child, url: l.slice('listening on '.length).trim(), line, stop: async () => void (child.kill('SIGTERM'), await exited) }),
      reject,
    );
  });
}

describe('examples/: receivers verify on the raw body, deduplicate on webhook-id, answer fast', () => {
  let t: TestServer;
  let api: Client;
  before(async () => {
    t = await startTestServer('sqlite', { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8' });
    api = (await t.newCompany('examples')).api;
  });
  after(() => t.close());

  for (const file of ['node-http.mjs', 'express.mjs', 'fastify.mjs']) {
    it(`${file} takes a real delivery, spots the redelivery and refuses a forged one`, async () => {
      // The secret exists once the endpoint does, and the receiver needs it to start: create the
      // endpoint, start the receiver, then point the endpoint at it.
      const created = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hooks', events: ['user.created'], retry: { schedule: [] } });
      assert.equal(created.status, 201, created.text);
      const wh = created.body;
      const { secret } = (await api.get(`/v1/webhooks/${wh.id}/secret`)).body;
      const ex = await startExample(file, { SWITCHBOARD_WEBHOOK_SECRET: secret });
      try {
        assert.equal((await api.patch(`/v1/webhooks/${wh.id}`, { url: ex.url })).status, 200);
        await api.post('/v1/users', { name: `for ${file}` });
        const verified = await ex.line(/^verified user\.created evt_/);
        const eventId = verified.split(' ')[2];

        // The receiver prints before the worker records its answer: retry once the delivery is
        // settled (a retry during the attempt is a 409).
        const d = await eventually(async () => {
          const [row] = (await api.get(`/v1/webhooks/${wh.id}/deliveries`)).body.data;
          return row?.status === 'succeeded' && row;
        }, 10_000, 'the first attempt recorded');
        assert.equal(d.event_id, eventId);
        // The same event again (a redelivery): answered 2xx, and spotted as a duplicate.
        assert.equal((await api.post(`/v1/deliveries/${d.id}/retry`)).status, 200);
        assert.equal(await ex.line(new RegExp(`^duplicate ${eventId}$`)), `duplicate ${eventId}`);
        // The receiver printed before the worker recorded the answer: wait for the record.
        const log = await eventually(async () => {
          const body = (await api.get(`/v1/deliveries/${d.id}`)).body;
          return body.attempts.length === 2 && body;
        }, 10_000, 'the second attempt recorded');
        assert.deepEqual(log.attempts.map((a: { status_code: number }) => a.status_code), [204, 204]);

        // A body that is not the signed one is refused.
        const forged = await fetch(ex.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
          body: '{"type":"user.created"}',
        });
        assert.equal(forged.status, 400);
        await ex.line(/^rejected: bad signature$/);
      } finally {
        await ex.stop();
      }
    });
  }
});
