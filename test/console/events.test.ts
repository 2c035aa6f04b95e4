import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startHookReceiver, eventually, type HookReceiver } from '../helpers/webhook-receiver.ts';
import { ConsoleClient, toastOf } from '../helpers/console-client.ts';

describe('console events page (sqlite, real worker and receiver)', () => {
  let s: TestServer;
  let c: ConsoleClient;
  let receiver: HookReceiver;
  let webhookId: string;
  before(async () => {
    s = await startTestServer('sqlite', { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8' });
    receiver = await startHookReceiver((_req, res) => void res.writeHead(200).end('ok'));
    const m = s.server.platform.services.members;
    await m.add((await m.company('default')).id, { email: 'o@example.com', role: 'owner', password: 'a-long-password-1' });
    c = new ConsoleClient(s.url);
    await c.signIn('o@example.com', 'a-long-password-1');
    await c.get('/console/events');
    // Subscribed to conversations only: a user.created event reaches it only when resent.
    webhookId = (await s.api.post('/v1/webhooks', { url: receiver.url + '/h', events: ['conversation.created'] })).body.id;
  });
  after(async () => {
    await receiver.close();
    await s.close();
  });

  test('search by type and time, envelope pretty-printed and escaped, newest first', async () => {
    await s.api.post('/v1/users', { name: 'Ann <b>', phone: '+447700900001' });
    await s.api.post('/v1/users', { name: 'Bob', phone: '+447700900002' });
    const all = await c.get('/console/events?type=user.created');
    assert.equal(all.status, 200);
    const ids = [...all.text.matchAll(/id="event-(evt_[0-9A-Z]+)"/g)].map((m) => m[1]!);
    assert.equal(ids.length, 2);
    assert.ok(ids[0]! > ids[1]!, 'newest first');
    assert.match(all.text, /<span class="j-key">&quot;name&quot;<\/span>: <span class="j-str">&quot;Ann &lt;b&gt;&quot;<\/span>/);
    const none = await c.get('/console/events?type=user.created&after=2999-01-01T00:00&tz_offset=0');
    assert.match(none.text, /No events match/);
    const bad = await c.get('/console/events?after=yesterday');
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Pick a date and time for &quot;after&quot;/);
  });

  test('Resend to… makes a real delivery to an endpoint that does not subscribe to the event', async () => {
    const page = await c.get('/console/events?type=user.created');
    const id = /id="event-(evt_[0-9A-Z]+)"/.exec(page.text)![1]!;
    const res = await c.htmx('POST', `/console/events/${id}/resend`, { webhook_id: webhookId });
    assert.equal(toastOf(res)?.message, 'Resend queued');
    const [req] = await receiver.waitFor(1);
    assert.equal(JSON.parse(req!.body).id, id);
    const dlv = /Delivery (dlv_[0-9A-Z]+)/.exec(res.text)![1]!;
    await eventually(async () => (await s.api.get(`/v1/deliveries/${dlv}`)).body.status === 'succeeded', 10_000, 'delivered');
    // Again: the same delivery gets one more attempt.
    const again = await c.htmx('POST', `/console/events/${id}/resend`, { webhook_id: webhookId });
    assert.match(again.text, new RegExp(dlv));
    await receiver.waitFor(2);
    const missing = await c.htmx('POST', `/console/events/${id}/resend`, { webhook_id: 'wh_nope' });
    assert.equal(toastOf(missing)?.kind, 'error');
  });
});
