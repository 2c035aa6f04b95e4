import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer, type Client } from '../helpers/server.ts';
import { startHookReceiver, type HookReceiver } from '../helpers/webhook-receiver.ts';
import { EVENT_CATALOG } from '../../src/domain/event-catalog.ts';

describe('events API: the catalog pages, test events are marked', () => {
  let t: TestServer;
  let api: Client;
  let receiver: HookReceiver;
  before(async () => {
    t = await startTestServer('sqlite', { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8' });
    api = (await t.newCompany('events-api')).api;
    receiver = await startHookReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });

  it('GET /v1/event-types honours limit and cursor and walks the whole catalog in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: any; text: string } = await api.get(`/v1/event-types?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.data.length <= 7);
      seen.push(...res.body.data.map((e: { type: string }) => e.type));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    assert.deepEqual(seen, EVENT_CATALOG.map((e) => e.type));
    assert.equal(pages, Math.ceil(EVENT_CATALOG.length / 7));
    const all = await api.get('/v1/event-types?limit=100');
    assert.equal(all.body.data.length, EVENT_CATALOG.length);
    assert.equal(all.body.next_cursor, null);
    const first = await api.get('/v1/event-types');
    assert.equal(first.body.data.length, Math.min(20, EVENT_CATALOG.length), 'default limit 20');
    const bad = await api.get('/v1/event-types?cursor=bm90LWEtdHlwZQ');
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.param, 'cursor');
  });

  it('a test event is marked "test": true on GET /v1/events/{id} and in the delivery log, not in the delivered body', async () => {
    const wh = await api.post('/v1/webhooks', { url: receiver.url + '/in', events: ['message.received'] });
    assert.equal(wh.status, 201, wh.text);
    const real = await api.post('/v1/users', { name: 'Real' });
    assert.equal(real.status, 201, real.text);
    const sent = await api.post(`/v1/webhooks/${wh.body.id}/test`, { type: 'message.received' });
    assert.ok(sent.status === 200 || sent.status === 201, sent.text);
    assert.equal(sent.body.test, true);
    const [got] = await receiver.waitFor(1);
    const delivered = JSON.parse(got.body);
    assert.equal('test' in delivered, false, 'the delivered envelope is the catalog shape');

    const ev = await api.get(`/v1/events/${sent.body.event_id}`);
    assert.equal(ev.status, 200, ev.text);
    assert.equal(ev.body.test, true);
    assert.deepEqual({ ...ev.body, test: undefined }, { ...delivered, test: undefined });

    // Example ids inside a test event say they are examples: time 0 and the word EXAMP1E.
    assert.match(delivered.data.conversation.id, /^conv_0000000000EXAMP1E\d{9}$/);
    assert.match(delivered.data.message.id, /^msg_0000000000EXAMP1E\d{9}$/);

    const list = await api.get('/v1/events?limit=100');
    assert.ok(!list.body.data.some((e: { id: string }) => e.id === sent.body.event_id), 'left out of the list by default');
    assert.ok(list.body.data.some((e: { type: string }) => e.type === 'user.created'));
    const withTests = await api.get('/v1/events?limit=100&include_tests=true');
    const marked = withTests.body.data.find((e: { id: string }) => e.id === sent.body.event_id);
    assert.equal(marked?.test, true);
    assert.ok(withTests.body.data.filter((e: { id: string }) => e.id !== sent.body.event_id).every((e: { test?: boolean }) => e.test === undefined));

    const log = await api.get(`/v1/webhooks/${wh.body.id}/deliveries`);
    assert.equal(log.body.data[0].test, true);
    const realEvent = list.body.data.find((e: { type: string }) => e.type === 'user.created');
    assert.equal(realEvent.test, undefined);
  });
});
