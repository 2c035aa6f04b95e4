import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, STORES, type TestServer } from '../helpers/server.ts';
import { startHookReceiver, eventually, type HookReceiver } from '../helpers/webhook-receiver.ts';
import { ConsoleClient } from '../helpers/console-client.ts';
import { bucketOf, percentile, LATENCY_BOUNDS } from '../../src/store/attempt-rollup.ts';
import { alertText, deliveryBody } from '../../src/domain/alert-body.ts';
import { verify } from '../../src/domain/signing.ts';
import { catalogEntry } from '../../src/domain/event-catalog.ts';
import fs from 'node:fs';

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

test('the slack body is one line per operational event, with Slack markup characters escaped', () => {
  const failed = { id: 'evt_1', type: 'webhook.failed', data: { webhook: { id: 'wh_1', url: 'https://x.example/h?a=1&b=<2>', description: 'CRM\nsync' }, reason: '3 failed attempts in a row (last: HTTP 503).' } };
  assert.equal(alertText(failed), 'Switchboard: endpoint https://x.example/h?a=1&amp;b=&lt;2&gt; (CRM sync) failed and receives no more deliveries. 3 failed attempts in a row (last: HTTP 503). Endpoint wh_1.');
  assert.equal(
    alertText({ ...failed, type: 'webhook.recovered', data: { webhook: { id: 'wh_1', url: 'https://x.example/h' }, reason: 'The endpoint was enabled.' } }),
    'Switchboard: endpoint https://x.example/h recovered and receives deliveries again. The endpoint was enabled. Endpoint wh_1.',
  );
  const exhausted = { id: 'evt_2', type: 'delivery.exhausted', data: { delivery: { id: 'dlv_1', event_id: 'evt_0', event_type: 'user.created', attempts: 1, last_status_code: null, last_error: 'connection refused' }, webhook: { id: 'wh_1', url: 'https://x.example/h' } } };
  assert.equal(alertText(exhausted), 'Switchboard: delivery dlv_1 of user.created event evt_0 to https://x.example/h failed after 1 attempt (last: connection refused).');
  assert.deepEqual(JSON.parse(deliveryBody('slack', JSON.stringify(exhausted))), { text: alertText(exhausted) });
  const envelope = JSON.stringify(failed);
  assert.equal(deliveryBody('envelope', envelope), envelope, 'the envelope goes byte for byte');
});

test('docs/webhooks.md shows the slack bodies of the catalog examples as they are sent', () => {
  const doc = fs.readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  const bodies = ['webhook.failed', 'webhook.recovered', 'delivery.exhausted'].map((t) => deliveryBody('slack', JSON.stringify(catalogEntry(t)!.example)));
  assert.ok(doc.includes('```json\n' + bodies.join('\n') + '\n```'), bodies.join('\n'));
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
    assert.equal(alert.body_format, 'envelope', 'a form without the choice gets the API default');
    const p = await c.get('/console/overview');
    assert.match(p.text, new RegExp(`class="alert-list"><li><a href="/console/webhooks/${alert.id}"`));
  });

  test('a Slack-compatible alert endpoint from the overview receives {"text"} for webhook.failed and delivery.exhausted, signed', async () => {
    const slack = await startHookReceiver();
    try {
      const page = await c.get('/console/overview');
      assert.match(page.text, /<input type="radio" name="body_format" value="slack" checked>/, 'Slack-compatible is the choice already made: URL, then Create');
      const made = await c.post('/console/overview/alert', { url: slack.url + '/services/T0/B0/x', body_format: 'slack' });
      assert.equal(made.status, 303, made.text);
      const alert = (await s.api.get('/v1/webhooks')).body.data.find((h: { url: string }) => h.url.startsWith(slack.url));
      assert.equal(alert.body_format, 'slack');
      const secret = (await s.api.get(`/v1/webhooks/${alert.id}/secret`)).body.secret;
      // One more endpoint that trips the failure rule at once (webhook.failed); the exhausting
      // endpoint of the first test ends this event's delivery too (delivery.exhausted).
      const tripUrl = bad.url + '/trips';
      const trip = (await s.api.post('/v1/webhooks', { url: tripUrl, events: ['user.created'], retry: { schedule: [0] }, failure_threshold: 1 })).body.id;
      await s.api.post('/v1/users', { name: 'Alerted', phone: '+447700900200' });
      const got = await slack.waitFor(2, 15_000);
      const bodies = got.map((r) => JSON.parse(r.body) as Record<string, unknown>);
      for (const [i, r] of got.entries()) {
        assert.deepEqual(Object.keys(bodies[i]!), ['text'], r.body);
        assert.equal(r.headers['content-type'], 'application/json');
        assert.match(String(r.headers['webhook-id']), /^evt_/);
        assert.ok(verify(secret, { id: String(r.headers['webhook-id']), timestamp: String(r.headers['webhook-timestamp']), signature: String(r.headers['webhook-signature']) }, r.body), 'signed over the body as sent');
      }
      const texts = bodies.map((b) => String(b.text));
      assert.ok(texts.includes(`Switchboard: endpoint ${tripUrl} failed and receives no more deliveries. 1 failed attempt within 24 h (last: HTTP 500). Endpoint ${trip}.`), texts.join('\n'));
      // schedule [0]: the first attempt and one retry.
      assert.ok(texts.some((t) => new RegExp(`^Switchboard: delivery dlv_\\w+ of user\\.created event evt_\\w+ to ${bad.url}/exhaust failed after 2 attempts \\(last: HTTP 500\\)\\.$`).test(t)), texts.join('\n'));
    } finally {
      await slack.close();
    }
  });

  test('the webhook form sets the body format, shows it on edit, and refuses slack with other events at the events field', async () => {
    const base = { auth_type: 'none', retry_schedule: '3, 3', timeout_ms: '10000', ordering: 'none', max_in_flight: '16', rate_limit_per_s: '', failure_threshold: '3', filter_json: '' };
    await c.get('/console/webhooks/new');
    const refused = await c.post('/console/webhooks', { ...base, url: ok.url + '/form-slack', events: ['webhook.failed', 'user.created'], body_format: 'slack' });
    assert.equal(refused.status, 200);
    assert.match(refused.text, /id="err-events"[^>]*>body_format &quot;slack&quot; posts a one-line summary[^<]*&quot;user.created&quot; selects user.created/);
    assert.match(refused.text, /<option value="slack" selected>/, 'the form comes back as typed');
    const saved = await c.post('/console/webhooks', { ...base, url: ok.url + '/form-slack', events: ['webhook.failed', 'webhook.recovered'], body_format: 'slack' });
    assert.equal(saved.status, 303, saved.text);
    const wh = (await s.api.get('/v1/webhooks')).body.data.find((h: { url: string }) => h.url === ok.url + '/form-slack');
    assert.equal(wh.body_format, 'slack');
    const edit = await c.get(`/console/webhooks/${wh.id}/edit`);
    assert.match(edit.text, /<select id="body_format" name="body_format"[^>]*><option value="envelope">[^<]*<\/option><option value="slack" selected>/);
  });
});
