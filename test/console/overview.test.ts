import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, STORES, type TestServer } from '../helpers/server.ts';
import { startHookReceiver, eventually, type HookReceiver } from '../helpers/webhook-receiver.ts';
import { ConsoleClient } from '../helpers/console-client.ts';
import { bucketOf, percentile, LATENCY_BOUNDS } from '../../src/store/attempt-rollup.ts';

const DEV = { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8' };

test('rollup percentiles are bucket upper bounds', () => {
  assert.equal(bucketOf(0), 0);
  assert.equal(bucketOf(25), 0);
  assert.equal(bucketOf(26), 1);
  assert.equal(bucketOf(1e9), LATENCY_BOUNDS.length);
  const h = new Array(LATENCY_BOUNDS.length + 1).fill(0);
  h[0] = 98;
  h[5] = 2;
  assert.equal(percentile(h, 0.5), 25);
  assert.equal(percentile(h, 0.99), 800);
  assert.equal(percentile(new Array(12).fill(0), 0.5), null);
});

for (const store of STORES) describe(`console overview (${store}, real worker and receivers)`, () => {
  let s: TestServer;
  let c: ConsoleClient;
  let ok: HookReceiver;
  let bad: HookReceiver;
  let goodId: string;
  let badId: string;
  let exhaustId: string;
  before(async () => {
    s = await startTestServer(store, DEV);
    ok = await startHookReceiver();
    bad = await startHookReceiver((_req, res) => void res.writeHead(500).end('down'));
    const m = s.server.platform.services.members;
    await m.add((await m.company('default')).id, { email: 'o@example.com', role: 'owner', password: 'a-long-password-1' });
    c = new ConsoleClient(s.url);
    const signed = await c.signIn('o@example.com', 'a-long-password-1');
    assert.equal(signed.headers.get('location'), '/console');
    goodId = (await s.api.post('/v1/webhooks', { url: ok.url + '/ok', events: ['user.created'] })).body.id;
    // Exhausts its deliveries (failed attempts) without tripping the failure rule.
    exhaustId = (await s.api.post('/v1/webhooks', { url: bad.url + '/exhaust', events: ['user.created'], retry: { schedule: [0] }, failure_threshold: 100 })).body.id;
    // Trips the failure rule at its first failure: a Failed endpoint.
    badId = (await s.api.post('/v1/webhooks', { url: bad.url + '/bad', events: ['user.created'], retry: { schedule: [0] }, failure_threshold: 1 })).body.id;
  });
  after(async () => {
    await s.close();
    await ok.close();
    await bad.close();
  });

  test('the home of an owner is the overview; after a delivery run it draws bars by outcome and latency points', async () => {
    const home = await c.get('/console');
    assert.equal(home.headers.get('location'), '/console/overview');
    const empty = await c.get('/console/overview?range=1h');
    assert.match(empty.text, /No attempts in this range/);
    for (let i = 0; i < 3; i++) await s.api.post('/v1/users', { name: `U${i}`, phone: `+44770090010${i}` });
    await ok.waitFor(3);
    await eventually(async () => (await s.api.get(`/v1/webhooks/${badId}`)).body.status === 'failed', 15_000, 'bad endpoint failed');
    await eventually(async () => (await s.api.get(`/v1/webhooks/${exhaustId}/deliveries?status=failed`)).body.data.length === 3, 15_000, 'deliveries exhausted');
    await eventually(async () => {
      const p = await c.get('/console/overview?range=1h');
      return /class="bar bar-succeeded"[^>]*data-count="3"/.test(p.text) && /class="bar bar-failed"/.test(p.text);
    }, 10_000, 'chart drawn');
    const p = await c.get('/console/overview?range=1h');
    assert.match(p.text, /class="bar bar-retrying"[^>]*data-count="\d+"/, 'the first failure was retried');
    assert.match(p.text, /<circle class="point point-p50"/);
    assert.match(p.text, /<circle class="point point-p99"/);
    assert.match(p.text, new RegExp(`class="banner banner-failed"[\\s\\S]*?href="/console/webhooks/${badId}\\?status=failed"`));
    const failing = p.text.slice(p.text.indexOf('id="failing-title"'));
    assert.match(failing, new RegExp(`<li><a href="/console/webhooks/${exhaustId}\\?status=failed">`), 'the endpoint failing most comes first');
    assert.match(failing, new RegExp(`href="/console/webhooks/${badId}\\?status=failed"`));
    for (const r of ['24h', '7d']) assert.match((await c.get(`/console/overview?range=${r}`)).text, /bar bar-succeeded[^>]*data-count="3"/);
    assert.match(p.text, /class="bar bar-failed"[^>]*data-count="3"/);
    const one = await c.get(`/console/overview?range=1h&webhook=${goodId}`);
    assert.doesNotMatch(one.text, /bar bar-failed/, 'one endpoint: only its own attempts');
  });

  test('an alert endpoint in one step: subscribed to the three operational events', async () => {
    const res = await c.post('/console/overview/alert', { url: ok.url + '/alerts' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/console/overview?toast=alert');
    const hooks = (await s.api.get('/v1/webhooks')).body.data;
    const alert = hooks.find((h: { url: string }) => h.url === ok.url + '/alerts');
    assert.deepEqual([...alert.events].sort(), ['delivery.exhausted', 'webhook.failed', 'webhook.recovered']);
    const p = await c.get('/console/overview');
    assert.match(p.text, new RegExp(`class="alert-list"><li><a href="/console/webhooks/${alert.id}"`));
  });
});
