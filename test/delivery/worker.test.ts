import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { startTestServer, STORES, type TestServer, type Client } from '../helpers/server.ts';
import { startHookReceiver, eventually, statusHandler, type HookReceiver, type Received } from '../helpers/webhook-receiver.ts';
import { VERSION } from '../../src/version.ts';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { seeded } from '../helpers/random.ts';

const DEV_ENV = { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A self-signed certificate for 127.0.0.1, made by the openssl CLI for this run. */
function selfSignedCert(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile };
}

function headersOf(r: Received): Record<string, string> {
  return Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
}

for (const store of STORES) {
  describe(`delivery worker on ${store}`, () => {
    let t: TestServer;
    let tmp: string;
    let tls: { key: string; cert: string; certFile: string };
    const receivers: HookReceiver[] = [];

    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-tls-'));
      tls = selfSignedCert(tmp);
      // The CA file makes the self-signed receiver trusted (NODE_EXTRA_CA_CERTS works as well).
      t = await startTestServer(store, { ...DEV_ENV, SWITCHBOARD_CA_FILE: tls.certFile });
    });
    after(async () => {
      // Receivers first: attempts still hanging on one end at once instead of at their timeout.
      await Promise.all(receivers.map((r) => r.close()));
      await t.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    const receiver = async (...args: Parameters<typeof startHookReceiver>) => {
      const r = await startHookReceiver(...args);
      receivers.push(r);
      return r;
    };
    const fresh = async () => (await t.newCompany()).api;
    async function endpoint(c: Client, url: string, body: Record<string, unknown> = {}) {
      const res = await c.post('/v1/webhooks', { url, events: ['user.created'], ...body });
      assert.equal(res.status, 201, res.text);
      return res.body as { id: string; status: string };
    }
    const deliveries = async (c: Client, whId: string, status?: string) =>
      (await c.get(`/v1/webhooks/${whId}/deliveries?limit=100${status ? `&status=${status}` : ''}`)).body.data as any[];
    const delivery = async (c: Client, id: string) => (await c.get(`/v1/deliveries/${id}`)).body;
    /** Waits until the endpoint's only delivery reaches `status` and returns it with its attempts. */
    async function settled(c: Client, whId: string, status: string, timeoutMs = 10_000) {
      const d = await eventually(async () => (await deliveries(c, whId, status))[0], timeoutMs, `a ${status} delivery`);
      return delivery(c, d.id);
    }
    const latestEvent = async (c: Client, type: string) => (await c.get(`/v1/events?type=${type}&limit=1`)).body.data[0];
    const webhookStatus = async (c: Client, id: string) => (await c.get(`/v1/webhooks/${id}`)).body.status;
    /**
     * Waits until none of these endpoints' deliveries is pending (a leased one is pending too).
     * Deliveries are created with their event, and a receiver records a request before it answers,
     * so from then on nothing more is sent: a count of requests taken after it is final.
     */
    async function drained(...whIds: string[]) {
      await eventually(
        async () => {
          const row = await t.server.platform.database.db
            .selectFrom('deliveries')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('webhook_id', 'in', whIds)
            .where('status', '=', 'pending')
            .executeTakeFirstOrThrow();
          return Number(row.n) === 0;
        },
        10_000,
        'no pending delivery',
      );
    }

    it('delivers the stored envelope byte for byte with the Standard Webhooks headers', async () => {
      const c = await fresh();
      const r = await receiver();
      const wh = await endpoint(c, `${r.url}/hook?src=sb`, { headers: [{ key: 'X-Source', value: 'switchboard' }] });
      const secret = (await c.get(`/v1/webhooks/${wh.id}/secret`)).body.secret;
      await c.post('/v1/users', { name: 'Ada', attributes: { note: 'ünïcödé ✓ "quotes"' } });
      const [got] = await r.waitFor(1);
      const event = await latestEvent(c, 'user.created');
      assert.equal(got.body, (await c.get(`/v1/events/${event.id}`)).text);
      assert.equal(got.method, 'POST');
      assert.equal(got.url, '/hook?src=sb');
      const h = headersOf(got);
      assert.equal(h['content-type'], 'application/json');
      assert.equal(h['user-agent'], `Switchboard-Webhooks/${VERSION}`);
      assert.equal(h['webhook-id'], event.id);
      assert.ok(Math.abs(Number(h['webhook-timestamp']) - Date.now() / 1000) < 10);
      assert.match(h['webhook-signature'], /^v1,[A-Za-z0-9+/]+={0,2}$/);
      assert.equal(h['x-source'], 'switchboard');
      assert.deepEqual(new Webhook(secret).verify(got.body, h), JSON.parse(got.body));
      assert.throws(() => new Webhook(secret).verify(got.body + ' ', h));

      // The delivery log.
      const d = await settled(c, wh.id, 'succeeded');
      assert.match(d.id, /^dlv_/);
      assert.deepEqual(Object.keys(d).sort(), ['attempts', 'created_at', 'event_id', 'event_type', 'id', 'next_attempt_at', 'status', 'test', 'updated_at', 'webhook_id']);
      assert.equal(d.test, false);
      assert.equal(d.event_id, event.id);
      assert.equal(d.event_type, 'user.created');
      assert.equal(d.webhook_id, wh.id);
      assert.equal(d.next_attempt_at, null);
      assert.equal(d.attempts.length, 1);
      const a = d.attempts[0];
      assert.match(a.id, /^att_/);
      assert.match(a.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(a.status_code, 200);
      assert.equal(a.error, null);
      assert.equal(typeof a.duration_ms, 'number');
      assert.equal(a.request_headers['webhook-id'], event.id);
      assert.equal(a.request_headers['X-Source'], 'switchboard');
      assert.equal(a.response_headers['content-type'], 'text/plain');
      assert.equal(a.response_body, 'ok');
      const list = await deliveries(c, wh.id);
      assert.equal(list.length, 1);
      assert.equal(list[0].attempts, undefined);
      assert.equal((await deliveries(c, wh.id, 'failed')).length, 0);

      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(metrics, /switchboard_deliveries_total\{outcome="succeeded"\} [1-9]/);
      assert.match(metrics, /switchboard_delivery_attempt_duration_seconds_count\{outcome="success"\} [1-9]/);
      assert.match(metrics, /switchboard_delivery_queue_depth \d/);
    });

    it('signs with both secrets for 24 h after a rotation', async () => {
      const c = await fresh();
      const r = await receiver();
      const wh = await endpoint(c, `${r.url}/rotating`);
      const old = (await c.get(`/v1/webhooks/${wh.id}/secret`)).body.secret;
      const next = (await c.post(`/v1/webhooks/${wh.id}/secret/rotate`)).body.secret;
      await c.post('/v1/users', { name: 'Rotated' });
      const [got] = await r.waitFor(1);
      const h = headersOf(got);
      assert.equal(h['webhook-signature'].split(' ').length, 2);
      assert.ok(h['webhook-signature'].split(' ').every((s) => s.startsWith('v1,')));
      assert.ok(new Webhook(old).verify(got.body, h));
      assert.ok(new Webhook(next).verify(got.body, h));
    });

    it('sends basic auth, an API key in a header or the query, and custom headers; the log masks them', async () => {
      const c = await fresh();
      const r = await receiver();
      const basic = await endpoint(c, `${r.url}/basic`, {
        auth: { type: 'basic', username: 'ada', password: 's3cret:x' },
        headers: [{ key: 'X-Tenant', value: 't1' }, { key: 'X-Session-Token', value: 'tok' }],
      });
      const header = await endpoint(c, `${r.url}/header`, { auth: { type: 'api_key', in: 'header', name: 'X-Api-Key', value: 'key-1' } });
      const query = await endpoint(c, `${r.url}/query?a=1&b=x%20y`, { auth: { type: 'api_key', in: 'query', name: 'api_key', value: 'k 2&=' } });
      await c.post('/v1/users', { name: 'Auth' });
      const got = await r.waitFor(3);
      const at = (p: string) => got.find((g) => g.url.startsWith(p))!;
      assert.equal(at('/basic').headers.authorization, 'Basic ' + Buffer.from('ada:s3cret:x').toString('base64'));
      assert.equal(at('/basic').headers['x-tenant'], 't1');
      assert.equal(at('/basic').headers['x-session-token'], 'tok');
      assert.equal(at('/header').headers['x-api-key'], 'key-1');
      assert.equal(at('/header').headers.authorization, undefined);
      const q = new URL(at('/query').url, 'http://x');
      assert.equal(q.searchParams.get('a'), '1');
      assert.equal(q.searchParams.get('b'), 'x y');
      assert.equal(q.searchParams.get('api_key'), 'k 2&=');
      assert.ok(at('/query').url.startsWith('/query?a=1&b=x%20y&'), at('/query').url);

      const logged = async (id: string) => (await settled(c, id, 'succeeded')).attempts[0].request_headers;
      const b = await logged(basic.id);
      assert.equal(b.authorization, 'Basic ••••');
      assert.equal(b['X-Tenant'], 't1');
      assert.equal(b['X-Session-Token'], '••••');
      assert.equal((await logged(header.id))['X-Api-Key'], '••••');
      const all = JSON.stringify(await Promise.all([basic.id, header.id, query.id].map(async (id) => delivery(c, (await deliveries(c, id))[0].id))));
      assert.doesNotMatch(all, /s3cret|key-1|k 2|tok"/);
    });

    it('sends a custom header without a value (absent or "") as an empty header', async () => {
      const c = await fresh();
      const r = await receiver();
      const wh = await endpoint(c, `${r.url}/empty`, { headers: [{ key: 'X-Flag' }, { key: 'X-Blank', value: '' }, { key: 'X-Set', value: 'v' }] });
      assert.deepEqual((await c.get(`/v1/webhooks/${wh.id}`)).body.headers, [{ key: 'X-Flag', value: '' }, { key: 'X-Blank', value: '' }, { key: 'X-Set', value: 'v' }]);
      await c.post('/v1/users', { name: 'Empty' });
      const [got] = await r.waitFor(1);
      assert.equal(got.headers['x-flag'], '');
      assert.equal(got.headers['x-blank'], '');
      assert.equal(got.headers['x-set'], 'v');
      const names = got.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      assert.ok(names.includes('x-flag') && names.includes('x-blank'), JSON.stringify(got.rawHeaders));
    });

    it('sends a custom user-agent instead of its own, once', async () => {
      const c = await fresh();
      const r = await receiver();
      const wh = await endpoint(c, `${r.url}/ua`, { headers: [{ key: 'User-Agent', value: 'acme-gateway/2.1' }] });
      await c.post('/v1/users', { name: 'UA' });
      const [got] = await r.waitFor(1);
      const agents = got.rawHeaders.filter((_, i) => i % 2 === 0 && got.rawHeaders[i].toLowerCase() === 'user-agent').length;
      assert.equal(agents, 1, JSON.stringify(got.rawHeaders));
      assert.equal(got.headers['user-agent'], 'acme-gateway/2.1');
      const logged = (await settled(c, wh.id, 'succeeded')).attempts[0].request_headers;
      assert.deepEqual(Object.keys(logged).filter((k) => k.toLowerCase() === 'user-agent'), ['User-Agent']);
    });

    it('retries per the schedule, then fails the delivery and emits delivery.exhausted (never to that endpoint)', async () => {
      const c = await fresh();
      const bad = await receiver(statusHandler(500));
      const ops = await receiver();
      const wh = await endpoint(c, `${bad.url}/bad`, { events: ['*'], retry: { schedule: [0, 1] }, failure_threshold: 100 });
      await endpoint(c, `${ops.url}/ops`, { events: ['delivery.exhausted', 'webhook.failed'] });
      await c.post('/v1/users', { name: 'Unlucky' });
      const got = await bad.waitFor(3, 8000);
      assert.ok(got[2].at - got[1].at >= 950, `second retry after ${got[2].at - got[1].at} ms`);
      assert.ok(got[1].at - got[0].at < 900, `first retry after ${got[1].at - got[0].at} ms`);
      const d = await settled(c, wh.id, 'failed');
      assert.equal(d.attempts.length, 3);
      assert.deepEqual(d.attempts.map((a: any) => a.status_code), [500, 500, 500]);
      assert.equal(d.attempts[0].response_body, 'status 500');
      assert.equal(d.next_attempt_at, null);
      const [exhausted] = await ops.waitFor(1);
      const env = JSON.parse(exhausted.body);
      assert.equal(env.type, 'delivery.exhausted');
      assert.deepEqual(env.data, {
        delivery: { id: d.id, event_id: d.event_id, event_type: 'user.created', attempts: 3, last_status_code: 500, last_error: null },
        webhook: { id: wh.id, url: `${bad.url}/bad` },
      });
      await drained(wh.id);
      assert.equal((await deliveries(c, wh.id)).length, 1, 'no delivery of the event about itself');
      assert.equal(bad.requests.length, 3, 'the endpoint never receives the event about itself');
      assert.equal(await webhookStatus(c, wh.id), 'active');
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(metrics, /switchboard_deliveries_total\{outcome="exhausted"\} [1-9]/);
    });

    it('fails the endpoint at the threshold, emits webhook.failed and queues nothing more for it', async () => {
      const c = await fresh();
      const bad = await receiver(statusHandler(503));
      const wh = await endpoint(c, `${bad.url}/x`, { retry: { schedule: [] }, failure_threshold: 2 });
      await c.post('/v1/users', { name: 'f1' });
      await settled(c, wh.id, 'failed');
      assert.equal(await webhookStatus(c, wh.id), 'active');
      await c.post('/v1/users', { name: 'f2' });
      await eventually(async () => (await webhookStatus(c, wh.id)) === 'failed', 5000, 'endpoint failed');
      const ev = await latestEvent(c, 'webhook.failed');
      assert.equal(ev.data.webhook.id, wh.id);
      assert.equal(ev.data.webhook.status, 'failed');
      assert.match(ev.data.reason, /2 failed attempts/);
      await c.post('/v1/users', { name: 'while failed' });
      assert.equal((await deliveries(c, wh.id)).length, 2);
      await drained(wh.id);
      assert.equal(bad.requests.length, 2);
    });

    it('resets the failure counter on success', async () => {
      const c = await fresh();
      let status = 500;
      const r = await receiver((_req, res) => void res.writeHead(status).end());
      const wh = await endpoint(c, `${r.url}/flaky`, { retry: { schedule: [] }, failure_threshold: 2 });
      for (const [i, s] of [500, 200, 500].entries()) {
        status = s;
        await c.post('/v1/users', { name: `u${i}` });
        await r.waitFor(i + 1);
        await eventually(async () => (await deliveries(c, wh.id, 'pending')).length === 0, 5000, 'no pending delivery');
      }
      assert.equal(await webhookStatus(c, wh.id), 'active');
      const row = await t.server.platform.database.db.selectFrom('webhooks').selectAll().where('id', '=', wh.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.failure_count), 1);
    });

    it('fails the endpoint at once on 410 Gone', async () => {
      const c = await fresh();
      const gone = await receiver(statusHandler(410));
      const wh = await endpoint(c, `${gone.url}/gone`, { retry: { schedule: [0, 0] }, failure_threshold: 50 });
      await c.post('/v1/users', { name: 'gone' });
      await eventually(async () => (await webhookStatus(c, wh.id)) === 'failed', 5000, 'endpoint failed');
      assert.match((await latestEvent(c, 'webhook.failed')).data.reason, /410/);
      // 410 says the URL is gone for good: the delivery ends now (no retries left to wait for)
      // and says so, instead of staying pending and going out again when someone enables it.
      const d = await settled(c, wh.id, 'failed');
      assert.equal(d.attempts.length, 1);
      assert.equal(d.next_attempt_at, null);
      const exhausted = await eventually(async () => latestEvent(c, 'delivery.exhausted'), 5000, 'delivery.exhausted');
      assert.equal(exhausted.data.delivery.id, d.id);
      assert.equal(exhausted.data.delivery.last_status_code, 410);
      assert.equal((await c.post(`/v1/webhooks/${wh.id}/enable`)).status, 200);
      await drained(wh.id);
      assert.equal(gone.requests.length, 1, 'not sent again when the endpoint is enabled');
    });

    it('honours retry-after on 429 beyond the scheduled delay', async () => {
      const c = await fresh();
      let n = 0;
      const r = await receiver((_req, res) => void (n++ === 0 ? res.writeHead(429, { 'retry-after': '2' }).end() : res.writeHead(204).end()));
      const wh = await endpoint(c, `${r.url}/throttled`, { retry: { schedule: [1] } });
      await c.post('/v1/users', { name: 'slow down' });
      const got = await r.waitFor(2, 6000);
      const gap = got[1].at - got[0].at;
      assert.ok(gap >= 1900 && gap < 3500, `retried after ${gap} ms`);
      const d = await settled(c, wh.id, 'succeeded');
      assert.deepEqual(d.attempts.map((a: any) => a.status_code), [429, 204]);
    });

    it('applies event patterns and the payload filter', async () => {
      const c = await fresh();
      const r = await receiver();
      const wh = await endpoint(c, `${r.url}/sales`, { events: ['conversation.*'], filter: { 'data.conversation.department': { $in: ['sales'] } } });
      const sales = (await c.post('/v1/conversations', { channel: 'chat', direction: 'inbound', department: 'sales', context: {} })).body;
      await c.post('/v1/conversations', { channel: 'chat', direction: 'inbound', department: 'support', context: {} });
      await c.post('/v1/users', { name: 'not a conversation event' });
      await c.post('/v1/messages', { conversation_id: sales.id, direction: 'inbound', text: 'not subscribed' });
      await c.post(`/v1/conversations/${sales.id}/close`);
      const got = await r.waitFor(2);
      await drained(wh.id);
      assert.equal(r.requests.length, 2);
      assert.deepEqual(got.map((g) => [JSON.parse(g.body).type, JSON.parse(g.body).data.conversation.id]), [
        ['conversation.created', sales.id],
        ['conversation.closed', sales.id],
      ]);
      assert.equal((await deliveries(c, wh.id)).length, 2);
    });

    it('keeps conversation order through random failures and delays', () => seeded(async (random) => {
      const c = await fresh();
      const seen: { conv: string; seq: number; ok: boolean }[] = [];
      const r = await receiver(async (req, res) => {
        const env = JSON.parse(req.body);
        const ok = random.next() >= 0.3;
        seen.push({ conv: env.data.conversation.id, seq: env.sequence, ok });
        await sleep(random.int(15));
        res.writeHead(ok ? 200 : 500).end();
      });
      const wh = await endpoint(c, `${r.url}/ordered`, {
        events: ['message.received'],
        ordering: 'conversation',
        retry: { schedule: Array(12).fill(0) },
        failure_threshold: 1_000_000,
        max_in_flight: 16,
      });
      const CONVS = 4;
      const MESSAGES = 10;
      const convs: string[] = [];
      for (let i = 0; i < CONVS; i++) convs.push((await c.post('/v1/conversations', { channel: 'chat', direction: 'inbound', context: {} })).body.id);
      await Promise.all(
        convs.map(async (id) => {
          for (let m = 0; m < MESSAGES; m++) assert.equal((await c.post('/v1/messages', { conversation_id: id, direction: 'inbound', text: `m${m}` })).status, 201);
        }),
      );
      await eventually(async () => seen.filter((s) => s.ok).length >= CONVS * MESSAGES, 20_000, 'every message delivered');
      await drained(wh.id);
      for (const conv of convs) {
        const mine = seen.filter((s) => s.conv === conv);
        // conversation.created is sequence 1 and not subscribed: messages are 2..11
        assert.deepEqual(mine.filter((s) => s.ok).map((s) => s.seq), Array.from({ length: MESSAGES }, (_, i) => i + 2));
        for (let i = 1; i < mine.length; i++) assert.ok(mine[i].seq >= mine[i - 1].seq, `out of order in ${conv}: ${mine.map((s) => s.seq)}`);
      }
    }));

    it('a switch to conversation ordering orders what is queued after it; what was queued before goes on its own', async () => {
      const c = await fresh();
      // Each message's first attempt fails; its retry comes a second later.
      const tried = new Set<string>();
      const r = await receiver((req, res) => {
        const text = JSON.parse(req.body).data.message.text as string;
        const first = !tried.has(text);
        tried.add(text);
        res.writeHead(first ? 500 : 200).end();
      });
      const wh = await endpoint(c, `${r.url}/switch`, { events: ['message.received'], retry: { schedule: [1] }, failure_threshold: 1000 });
      const conv = (await c.post('/v1/conversations', { channel: 'chat', direction: 'inbound', context: {} })).body.id;
      await c.post('/v1/messages', { conversation_id: conv, direction: 'inbound', text: 'before' });
      await r.waitFor(1);
      assert.equal((await c.patch(`/v1/webhooks/${wh.id}`, { ordering: 'conversation' })).status, 200);
      await c.post('/v1/messages', { conversation_id: conv, direction: 'inbound', text: 'after-1' });
      await c.post('/v1/messages', { conversation_id: conv, direction: 'inbound', text: 'after-2' });
      const got = await r.waitFor(6, 10_000);
      await drained(wh.id);
      const texts = got.map((g) => JSON.parse(g.body).data.message.text as string);
      assert.equal(texts.length, 6, texts.join(' '));
      // 'before' waits for its retry; the deliveries queued after the switch do not wait for it...
      assert.ok(texts.indexOf('after-1') < texts.lastIndexOf('before'), `queued before the switch, 'before' held nothing up: ${texts.join(' ')}`);
      // ...but one another: after-2 goes only once after-1 succeeded.
      assert.deepEqual(texts.filter((x) => x !== 'before'), ['after-1', 'after-1', 'after-2', 'after-2'], texts.join(' '));
    });

    it('does not let a hanging endpoint slow a healthy one', async () => {
      const c = await fresh();
      const hanging = await receiver(() => {});
      const healthy = await receiver();
      const stuck = await endpoint(c, `${hanging.url}/hang`, { timeout_ms: 5000, max_in_flight: 2, retry: { schedule: [] }, failure_threshold: 100 });
      await endpoint(c, `${healthy.url}/fine`);
      const started = Date.now();
      for (let i = 0; i < 10; i++) await c.post('/v1/users', { name: `u${i}` });
      await healthy.waitFor(10, 3000);
      assert.ok(Date.now() - started < 3000);
      assert.equal(hanging.requests.length, 2, 'the hanging endpoint holds only its own two slots');
      await c.post(`/v1/webhooks/${stuck.id}/disable`);
    });

    it('rate-limits an endpoint to rate_limit_per_s', async () => {
      const c = await fresh();
      const r = await receiver();
      await endpoint(c, `${r.url}/limited`, { rate_limit_per_s: 2 });
      for (let i = 0; i < 6; i++) await c.post('/v1/users', { name: `r${i}` });
      const got = await r.waitFor(6, 8000);
      const span = got[5].at - got[0].at;
      assert.ok(span >= 1500, `6 deliveries at 2/s took ${span} ms`);
    });

    it('never follows a redirect: a 3xx is a failure', async () => {
      const c = await fresh();
      const r = await receiver((req, res) => void res.writeHead(req.url === '/moved' ? 302 : 200, { location: '/elsewhere' }).end());
      const wh = await endpoint(c, `${r.url}/moved`, { retry: { schedule: [] } });
      await c.post('/v1/users', { name: 'redirected' });
      const d = await settled(c, wh.id, 'failed');
      assert.equal(d.attempts[0].status_code, 302);
      assert.equal(d.attempts[0].response_headers.location, '/elsewhere');
      await drained(wh.id);
      assert.deepEqual(r.requests.map((q) => q.url), ['/moved']);

      // A manual retry of the failed delivery makes exactly one more attempt.
      const retried = await c.post(`/v1/deliveries/${d.id}/retry`);
      assert.equal(retried.status, 200, retried.text);
      assert.equal(retried.body.status, 'pending');
      await r.waitFor(2);
      await eventually(async () => (await delivery(c, d.id)).attempts.length === 2 && (await delivery(c, d.id)).status === 'failed', 5000, 'second attempt');
      await drained(wh.id);
      assert.equal(r.requests.length, 2);
    });

    it('resends any delivery on request, and hides other companies\' deliveries', async () => {
      const c = await fresh();
      const r = await receiver();
      const wh = await endpoint(c, `${r.url}/again`);
      await c.post('/v1/users', { name: 'twice' });
      const d = await settled(c, wh.id, 'succeeded');
      const retried = await c.post(`/v1/deliveries/${d.id}/retry`);
      assert.equal(retried.status, 200, retried.text);
      const got = await r.waitFor(2);
      assert.equal(got[1].headers['webhook-id'], got[0].headers['webhook-id']);
      await eventually(async () => (await delivery(c, d.id)).attempts.length === 2, 5000, 'second attempt');
      assert.equal((await delivery(c, d.id)).status, 'succeeded');
      const other = (await t.newCompany()).api;
      assert.equal((await other.get(`/v1/deliveries/${d.id}`)).status, 404);
      assert.equal((await other.post(`/v1/deliveries/${d.id}/retry`)).status, 404);
      assert.equal((await c.get('/v1/deliveries/dlv_01JAAAAAAAAAAAAAAAAAAAAAAA')).status, 404);
    });

    it('retries a delivery whatever its endpoint\'s status, and the endpoint keeps that status', async () => {
      const c = await fresh();
      let answer = 500;
      const r = await receiver((_req, res) => void res.writeHead(answer).end());
      // Failed by the failure rule: one 500 trips it.
      const tripped = await endpoint(c, `${r.url}/tripped`, { retry: { schedule: [] }, failure_threshold: 1 });
      await c.post('/v1/users', { name: 'trips it' });
      const failed = await settled(c, tripped.id, 'failed');
      await eventually(async () => (await webhookStatus(c, tripped.id)) === 'failed', 5000, 'the endpoint failed');
      answer = 200;
      const again = await c.post(`/v1/deliveries/${failed.id}/retry`);
      assert.equal(again.status, 200, again.text);
      await r.waitFor(2);
      await eventually(async () => (await delivery(c, failed.id)).status === 'succeeded', 5000, 'the manual attempt succeeded');
      assert.equal((await delivery(c, failed.id)).attempts.length, 2);
      assert.equal(await webhookStatus(c, tripped.id), 'failed', 'a manual success does not re-enable a Failed endpoint');

      // Disabled by a person: the attempt is made, the endpoint stays inactive and gets nothing else.
      const disabled = await endpoint(c, `${r.url}/disabled`);
      await c.post('/v1/users', { name: 'before disabling' });
      const done = await settled(c, disabled.id, 'succeeded');
      assert.equal((await c.post(`/v1/webhooks/${disabled.id}/disable`)).status, 200);
      await c.post('/v1/users', { name: 'while disabled' });
      const retried = await c.post(`/v1/deliveries/${done.id}/retry`);
      assert.equal(retried.status, 200, retried.text);
      await eventually(async () => (await delivery(c, done.id)).attempts.length === 2, 5000, 'the manual attempt');
      assert.equal(await webhookStatus(c, disabled.id), 'inactive');
      const paths = r.requests.map((q) => q.url);
      assert.equal(paths.filter((u) => u === '/disabled').length, 2, 'the first attempt and the manual one');
      assert.equal((await deliveries(c, disabled.id)).length, 1, 'an event while disabled made no delivery');
    });

    it('answers concurrent retries of a failing delivery with 200 or 409, never a deadlock\'s 500', async () => {
      const c = await fresh();
      const r = await receiver((_req, res) => void res.writeHead(500).end());
      const wh = await endpoint(c, `${r.url}/failing`, { retry: { schedule: [] }, failure_threshold: 1 });
      await c.post('/v1/users', { name: 'keeps failing' });
      const d = await settled(c, wh.id, 'failed');
      const statuses = new Set<number>();
      // Each retry's attempt fails and is recorded (delivery, then endpoint locked) while the next
      // retries arrive.
      for (let round = 0; round < 10; round++) {
        for (const res of await Promise.all(Array.from({ length: 5 }, () => c.post(`/v1/deliveries/${d.id}/retry`)))) statuses.add(res.status);
      }
      assert.deepEqual([...statuses].filter((s) => s !== 200 && s !== 409), []);
      await drained(wh.id);
    });

    it('records a delivery whose endpoint credentials cannot be decrypted as failed attempts, on the retry schedule', async () => {
      const c = await fresh();
      const r = await receiver();
      const ops = await receiver();
      const wh = await endpoint(c, `${r.url}/sealed`, { auth: { type: 'basic', username: 'u', password: 'p' }, retry: { schedule: [0, 1] }, failure_threshold: 2 });
      await endpoint(c, `${ops.url}/ops`, { events: ['delivery.exhausted', 'webhook.failed'] });
      // As a process with another master key would have written it.
      const foreign = createSecretBox(crypto.randomBytes(32).toString('base64'));
      await t.server.platform.database.db
        .updateTable('webhooks')
        .set({ auth: foreign.seal(JSON.stringify({ type: 'basic', username: 'u', password: 'p' })) })
        .where('id', '=', wh.id)
        .execute();
      await c.post('/v1/users', { name: 'Sealed' });
      const d = await settled(c, wh.id, 'failed');
      const error = 'cannot decrypt endpoint credentials: the master key differs from the one that sealed them';
      assert.deepEqual(d.attempts.map((a: any) => [a.status_code, a.error]), [[null, error], [null, error], [null, error]]);
      assert.ok(Date.parse(d.attempts[2].at) - Date.parse(d.attempts[1].at) >= 900, 'the second retry waited its scheduled second');
      const listed = (await deliveries(c, wh.id))[0];
      assert.equal(listed.status, 'failed');
      const [exhausted] = await ops.waitFor(1);
      assert.equal(JSON.parse(exhausted.body).data.delivery.last_error, error);
      assert.equal(r.requests.length, 0, 'nothing is sent without its credentials');
      // Not the receiver's fault: the failure rule (threshold 2) did not trip.
      const row = await t.server.platform.database.db.selectFrom('webhooks').select(['status', 'failure_count']).where('id', '=', wh.id).executeTakeFirstOrThrow();
      assert.deepEqual([row.status, Number(row.failure_count)], ['active', 0]);
      // Reading the endpoint says why instead of an anonymous 500.
      const read = await c.get(`/v1/webhooks/${wh.id}`);
      assert.equal(read.status, 500);
      assert.match(read.body.error.message, /cannot be decrypted: the server's master key differs/);
    });

    it('records a refused private target as the attempt error', async () => {
      const strict = await startTestServer(store, { SWITCHBOARD_ALLOW_HTTP: 'true' });
      try {
        const r = await receiver();
        const c = strict.api;
        const wh = await endpoint(c, `${r.url}/private`, { retry: { schedule: [] } });
        await c.post('/v1/users', { name: 'refused' });
        const d = await settled(c, wh.id, 'failed');
        assert.equal(d.attempts[0].status_code, null);
        assert.match(d.attempts[0].error, /refused/i);
        assert.equal(r.requests.length, 0);
      } finally {
        await strict.close();
      }
    });

    it('tells the tenant which rule refused a name, and only the server log what it resolved to', async () => {
      const strict = await startTestServer(store, { SWITCHBOARD_ALLOW_HTTP: 'true' });
      try {
        const r = await receiver();
        const c = strict.api;
        const port = new URL(r.url).port;
        const wh = await endpoint(c, `http://localhost:${port}/resolved`, { retry: { schedule: [] } });
        await c.post('/v1/users', { name: 'refused by name' });
        const d = await settled(c, wh.id, 'failed');
        assert.equal(d.attempts[0].error, 'refused target localhost: it resolves to a loopback address; to allow it, list its network in SWITCHBOARD_ALLOW_TARGETS (serve --dev allows loopback addresses)');
        const tenantSees = JSON.stringify([d, (await c.get(`/v1/webhooks/${wh.id}/deliveries`)).body]);
        assert.doesNotMatch(tenantSees, /127\.0\.0\.1|::1/);
        const line = await eventually(
          async () => strict.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'refused outbound target' && l.webhook === wh.id),
          5000,
          'the refusal in the server log',
        );
        assert.equal(line.level, 40);
        assert.match(line.address, /^(127\.0\.0\.1|::1)$/);
        assert.equal(line.hostname, 'localhost');
        assert.equal(line.rule, 'loopback');
        assert.equal(line.delivery, d.id);
        assert.equal(r.requests.length, 0);
      } finally {
        await strict.close();
      }
    });

    it('recovers: re-queues failed deliveries and creates those skipped while failed', async () => {
      const c = await fresh();
      let status = 500;
      const r = await receiver((_req, res) => void res.writeHead(status).end());
      const since = new Date().toISOString();
      const wh = await endpoint(c, `${r.url}/recover`, { retry: { schedule: [] }, failure_threshold: 1 });
      await c.post('/v1/users', { name: 'first' });
      await eventually(async () => (await webhookStatus(c, wh.id)) === 'failed', 5000, 'endpoint failed');
      await settled(c, wh.id, 'failed');
      await c.post('/v1/users', { name: 'second' });
      await c.post('/v1/users', { name: 'third' });
      assert.equal((await deliveries(c, wh.id)).length, 1, 'nothing queued while failed');
      status = 200;
      const res = await c.post(`/v1/webhooks/${wh.id}/recover`, { since });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { count: 3 });
      assert.equal(await webhookStatus(c, wh.id), 'active');
      assert.equal((await latestEvent(c, 'webhook.recovered')).data.webhook.id, wh.id);
      const got = await r.waitFor(4);
      const names = got.slice(1).map((g) => JSON.parse(g.body).data.user.name).sort();
      assert.deepEqual(names, ['first', 'second', 'third']);
      await eventually(async () => (await deliveries(c, wh.id, 'succeeded')).length === 3, 5000, 'all succeeded');
      // A second recover finds nothing left to do.
      assert.deepEqual((await c.post(`/v1/webhooks/${wh.id}/recover`, { since })).body, { count: 0 });
    });

    it('creates the deliveries skipped while an endpoint was inactive', async () => {
      const c = await fresh();
      const r = await receiver();
      const wh = await endpoint(c, `${r.url}/paused`);
      await c.post(`/v1/webhooks/${wh.id}/disable`);
      const since = new Date().toISOString();
      await c.post('/v1/users', { name: 'missed 1' });
      await c.post('/v1/users', { name: 'missed 2' });
      await c.post(`/v1/webhooks/${wh.id}/enable`);
      assert.equal((await deliveries(c, wh.id)).length, 0, 'enabling creates nothing by itself');
      await drained(wh.id);
      assert.equal(r.requests.length, 0);
      assert.deepEqual((await c.post(`/v1/webhooks/${wh.id}/recover`, { since })).body, { count: 2 });
      await r.waitFor(2);
    });

    it('sends a test event to that endpoint only, as a real delivery', async () => {
      const c = await fresh();
      const r = await receiver();
      const others = await receiver();
      const wh = await endpoint(c, `${r.url}/test`, { events: ['user.created'] });
      const other = await endpoint(c, `${others.url}/all`, { events: ['*'] });
      const secret = (await c.get(`/v1/webhooks/${wh.id}/secret`)).body.secret;
      const res = await c.post(`/v1/webhooks/${wh.id}/test`, { type: 'message.received' });
      assert.equal(res.status, 201, res.text);
      assert.match(res.body.id, /^dlv_/);
      assert.equal(res.body.status, 'pending');
      assert.equal(res.body.event_type, 'message.received');
      assert.deepEqual(res.body.attempts, []);
      const [got] = await r.waitFor(1);
      const env = new Webhook(secret).verify(got.body, headersOf(got)) as any;
      assert.equal(env.type, 'message.received');
      assert.equal(env.id, res.body.event_id);
      assert.equal(got.headers['webhook-id'], res.body.event_id);
      assert.ok(env.data.message);
      // The API marks the stored event as a test; the delivered body is the envelope without it.
      const stored = (await c.get(`/v1/events/${env.id}`)).body;
      assert.deepEqual(stored, { ...JSON.parse(got.body), test: true });
      await settled(c, wh.id, 'succeeded');
      // Nothing was queued for the other endpoint (deliveries are made with their event), so
      // nothing can reach it later.
      assert.equal((await deliveries(c, other.id)).length, 0);
      await drained(other.id);
      assert.equal(others.requests.length, 0);
      // Recovering the other endpoint does not pick the test event up.
      assert.deepEqual((await c.post(`/v1/webhooks/${other.id}/recover`, { since: new Date(Date.now() - 60_000).toISOString() })).body, { count: 0 });
    });

    it('delivers over HTTPS to a receiver trusted through SWITCHBOARD_CA_FILE', async () => {
      const c = await fresh();
      const r = await receiver(undefined, tls);
      const wh = await endpoint(c, `${r.url}/tls`);
      await c.post('/v1/users', { name: 'secure' });
      await r.waitFor(1);
      const d = await settled(c, wh.id, 'succeeded');
      assert.equal(d.attempts[0].status_code, 200);
    });
  });
}
