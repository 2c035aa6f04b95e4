import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, client, STORES, OWNER_KEY, ADMIN_TOKEN, type TestServer, type Client } from '../helpers/server.ts';
import { createEventValidator } from '../../src/domain/event-catalog.ts';

const validateEvent = createEventValidator();

/** Every event of a company, oldest first (walks the cursor). */
async function allEvents(api: Client, query = ''): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const res: any = await api.get(`/v1/events?limit=100${query}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status, 200, res.text);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
  } while (cursor);
  return out.reverse();
}

function assertError(res: { status: number; body: any }, status: number, type: string, param?: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error.type, type, JSON.stringify(res.body));
  assert.equal(typeof res.body.error.code, 'string');
  assert.equal(typeof res.body.error.message, 'string');
  if (param !== undefined) assert.equal(res.body.error.param, param, JSON.stringify(res.body));
}

for (const store of STORES) {
  describe(`platform API on ${store}`, () => {
    let t: TestServer;
    let api: Client;
    before(async () => {
      t = await startTestServer(store);
      api = t.api;
    });
    after(async () => {
      // Every event the API emitted in this suite validates against its catalog schema.
      const events = await allEvents(api);
      assert.ok(events.length > 20);
      for (const e of events) {
        const r = validateEvent(e);
        assert.ok(r.ok, `${e.type}: ${r.ok ? '' : r.errors}`);
      }
      await t.close();
    });

    it('answers health, readiness, metrics and the OpenAPI document without a key', async () => {
      const anon = client(t.url, '');
      assert.equal((await fetch(t.url + '/healthz')).status, 200);
      assert.equal((await fetch(t.url + '/readyz')).status, 200);
      const metrics = await (await fetch(t.url + '/metrics')).text();
      assert.match(metrics, /switchboard_http_requests_total/);
      assert.match(metrics, /switchboard_events_written_total/);
      const doc = await (await fetch(t.url + '/openapi.json')).json();
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.paths['/v1/users']);
      assert.equal((await fetch(t.url + '/docs')).status < 400, true);
      assertError(await anon.get('/v1/users'), 401, 'authentication');
    });

    it('refuses missing, malformed and unknown keys with 401', async () => {
      const res = await fetch(t.url + '/v1/users');
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error.code, 'missing_api_key');
      assertError(await client(t.url, 'sk_' + 'x'.repeat(40)).get('/v1/users'), 401, 'authentication');
      const basic = await fetch(t.url + '/v1/users', { headers: { authorization: 'Basic abc' } });
      assert.equal(basic.status, 401);
    });

    it('creates, reads, replaces, patches and deletes users with events', async () => {
      const created = await api.post('/v1/users', { name: 'Ada', email: 'ada@example.com', external_id: 'crm-1', attributes: { plan: 'gold', n: 1 } });
      assert.equal(created.status, 201, created.text);
      const u = created.body;
      assert.match(u.id, /^usr_[0-9A-Z]{26}$/);
      assert.deepEqual(u.tags, []);
      assert.equal(u.phone, null);
      assert.match(u.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual((await api.get(`/v1/users/${u.id}`)).body, u);

      const dup = await api.post('/v1/users', { external_id: 'crm-1' });
      assertError(dup, 409, 'conflict');

      const patched = await api.patch(`/v1/users/${u.id}`, { phone: '+15550001', attributes: { n: null, city: 'Paris' } });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.name, 'Ada');
      assert.deepEqual(patched.body.attributes, { plan: 'gold', city: 'Paris' });

      const replaced = await api.put(`/v1/users/${u.id}`, { name: 'Ada L.' });
      assert.equal(replaced.status, 200);
      assert.equal(replaced.body.email, null);
      assert.deepEqual(replaced.body.attributes, {});

      const same = await api.put(`/v1/users/${u.id}`, { name: 'Ada L.' });
      assert.equal(same.status, 200);

      const events = (await allEvents(api)).filter((e) => e.data.user?.id === u.id);
      assert.deepEqual(events.map((e) => e.type), ['user.created', 'user.updated', 'user.updated']);
      assert.equal(events[0].sequence, undefined);
      assert.equal('sequence' in events[0], false);
      assert.equal(events[2].data.user.name, 'Ada L.');

      assert.equal((await api.delete(`/v1/users/${u.id}`)).status, 204);
      assertError(await api.get(`/v1/users/${u.id}`), 404, 'not_found');
      assertError(await api.delete(`/v1/users/${u.id}`), 404, 'not_found');
    });

    it('paginates newest first with an opaque cursor and rejects a bad one', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await api.post('/v1/users', { name: `page ${i}` })).body.id);
      const p1 = await api.get('/v1/users?limit=2');
      assert.equal(p1.body.data.length, 2);
      assert.equal(p1.body.data[0].id, ids[4]);
      assert.equal(p1.body.data[1].id, ids[3]);
      const p2 = await api.get(`/v1/users?limit=2&cursor=${p1.body.next_cursor}`);
      assert.deepEqual(p2.body.data.map((u: any) => u.id), [ids[2], ids[1]]);
      assertError(await api.get('/v1/users?cursor=not-a-cursor!'), 400, 'invalid_request');
      assertError(await api.get(`/v1/users?cursor=${Buffer.from('conv_01JD2X8Q4M6N7P8R9S0T1V2W3X').toString('base64url')}`), 400, 'invalid_request');
      assertError(await api.get('/v1/users?limit=101'), 422, 'validation', 'limit');
      assertError(await api.get('/v1/users?limit=0'), 422, 'validation', 'limit');
    });

    it('applies, counts and removes tags; a repeat is a no-op without an event', async () => {
      const u = (await api.post('/v1/users', { name: 'Tagged' })).body;
      const first = await api.post('/v1/tags', { user_id: u.id, tag: 'vip' });
      assert.equal(first.status, 201);
      assert.deepEqual(first.body.tags, ['vip']);
      const again = await api.post('/v1/tags', { user_id: u.id, tag: 'vip' });
      assert.equal(again.status, 200);
      await api.post('/v1/tags', { user_id: u.id, tag: 'churn-risk' });
      const counts = await api.get('/v1/tags');
      assert.deepEqual(counts.body.data.find((t: any) => t.tag === 'vip'), { tag: 'vip', count: 1 });
      const removed = await api.delete(`/v1/users/${u.id}/tags/vip`);
      assert.equal(removed.status, 200);
      assert.deepEqual(removed.body.tags, ['churn-risk']);
      const evs = (await allEvents(api)).filter((e) => e.data.user?.id === u.id);
      assert.deepEqual(evs.map((e) => [e.type, e.data.tag]), [
        ['user.created', undefined],
        ['tag.applied', 'vip'],
        ['tag.applied', 'churn-risk'],
        ['tag.removed', 'vip'],
      ]);
      assertError(await api.post('/v1/tags', { user_id: 'usr_01JD2X8Q4M6N7P8R9S0T1V2W3X', tag: 'x' }), 404, 'not_found');
      assertError(await api.post('/v1/tags', { user_id: u.id, tag: '' }), 422, 'validation', '/tag');
    });

    it('runs a conversation through its life with gapless sequences', async () => {
      const u = (await api.post('/v1/users', { name: 'Caller' })).body;
      const c = await api.post('/v1/conversations', { user_id: u.id, channel: 'chat', direction: 'inbound', context: { topic: 'billing' }, client_data: { a: 1 } });
      assert.equal(c.status, 201, c.text);
      const conv = c.body;
      assert.equal(conv.status, 'open');
      assert.deepEqual(conv.context, { topic: 'billing' });
      assert.deepEqual(conv.custom_fields, {});
      assert.deepEqual(conv.agent_config, {});

      const m1 = await api.post('/v1/messages', { conversation_id: conv.id, direction: 'inbound', text: 'Hi, my invoice is wrong' });
      assert.equal(m1.status, 201, m1.text);
      assert.equal(m1.body.status, 'received');
      const m2 = await api.post('/v1/messages', { conversation_id: conv.id, direction: 'outbound', text: 'Let me check', images: ['https://cdn.example.com/a.png'] });
      assert.equal(m2.body.status, 'sent');
      assert.equal((await api.post(`/v1/messages/${m2.body.id}/status`, { status: 'delivered' })).body.status, 'delivered');
      assert.equal((await api.post(`/v1/messages/${m2.body.id}/status`, { status: 'read' })).body.status, 'read');
      // a late "delivered" after "read" changes nothing
      assert.equal((await api.post(`/v1/messages/${m2.body.id}/status`, { status: 'delivered' })).body.status, 'read');
      assert.equal((await api.post(`/v1/messages/${m2.body.id}/clicks`, { url: 'https://shop.example.com/x' })).status, 200);

      const list = await api.get(`/v1/conversations/${conv.id}/messages`);
      assert.deepEqual(list.body.data.map((m: any) => m.id), [m1.body.id, m2.body.id]);

      const cf1 = await api.put(`/v1/conversations/${conv.id}/custom_fields/order_id`, { value: 'A-1' });
      assert.deepEqual(cf1.body.custom_fields, { order_id: 'A-1' });
      await api.put(`/v1/conversations/${conv.id}/custom_fields/order_id`, { value: 'A-1' }); // unchanged: no event
      await api.put(`/v1/conversations/${conv.id}/custom_fields/order_id`, { value: { n: 2 } });

      const patched = await api.patch(`/v1/conversations/${conv.id}`, { client_data: { b: 2, a: null } });
      assert.deepEqual(patched.body.client_data, { b: 2 });

      const assigned = await api.post(`/v1/conversations/${conv.id}/assign`, { assignee: { id: 'ag-7', name: 'Grace', department: 'support' } });
      assert.equal(assigned.body.assignee.name, 'Grace');
      assert.equal(assigned.body.department, 'support');
      assert.equal((await api.post(`/v1/conversations/${conv.id}/close`)).body.status, 'closed');
      assert.equal((await api.post(`/v1/conversations/${conv.id}/close`)).status, 200); // no-op
      const ended = await api.post(`/v1/conversations/${conv.id}/end`, { status: 'completed' });
      assert.equal(ended.body.status, 'ended');
      assert.equal(ended.body.end_status, 'completed');
      assertError(await api.post(`/v1/conversations/${conv.id}/end`, { status: 'completed' }), 409, 'conflict');
      assertError(await api.post('/v1/messages', { conversation_id: conv.id, direction: 'inbound', text: 'late' }), 409, 'conflict');
      const nowhere = 'conv_' + '0'.repeat(26);
      assertError(await api.post('/v1/messages', { conversation_id: nowhere, direction: 'inbound', text: 'lost' }), 404, 'not_found', 'conversation_id');

      const events = await allEvents(api, `&conversation_id=${conv.id}`);
      assert.deepEqual(events.map((e) => e.type), [
        'conversation.created',
        'message.received',
        'message.sent',
        'message.delivered',
        'message.read',
        'message.link_clicked',
        'conversation.custom_fields.updated',
        'conversation.custom_fields.updated',
        'conversation.assigned',
        'conversation.closed',
        'conversation.ended',
      ]);
      assert.deepEqual(events.map((e) => e.sequence), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      const cfu = events.filter((e) => e.type === 'conversation.custom_fields.updated');
      assert.deepEqual([cfu[0].data.key, cfu[0].data.value, cfu[0].data.previous_value], ['order_id', 'A-1', null]);
      assert.deepEqual(cfu[1].data.previous_value, 'A-1');
      assert.equal(events[1].data.message.text, 'Hi, my invoice is wrong');
      // The message's event shows the conversation as the message left it.
      assert.equal(events[1].data.conversation.updated_at, m1.body.created_at);
      assert.deepEqual(events[1].data.conversation.context, { topic: 'billing' });
      assert.equal(events[1].data.conversation.status, 'open');
      assert.equal(events[4].data.status, 'read');
      assert.equal(events[5].data.url, 'https://shop.example.com/x');
      assert.equal(events[10].data.status, 'completed');
      assert.equal(events[10].data.conversation.status, 'ended');
      for (const e of events) assert.equal(e.data.conversation.id, conv.id);

      const one = await api.get(`/v1/events/${events[0].id}`);
      assert.deepEqual(one.body, events[0]);
      assert.deepEqual(Object.keys(one.body), ['id', 'type', 'api_version', 'created_at', 'company_id', 'sequence', 'data']);
      const byType = await api.get('/v1/events?type=conversation.closed');
      assert.ok(byType.body.data.every((e: any) => e.type === 'conversation.closed'));
      const after = await api.get(`/v1/events?created_after=${encodeURIComponent(events[9].created_at)}&conversation_id=${conv.id}`);
      assert.ok(after.body.data.every((e: any) => e.created_at > events[9].created_at));
      assertError(await api.get('/v1/events?created_after=yesterday'), 422, 'validation', 'created_after');

      const filtered = await api.get(`/v1/conversations?status=ended&user_id=${u.id}`);
      assert.deepEqual(filtered.body.data.map((x: any) => x.id), [conv.id]);
      assert.equal((await api.get('/v1/conversations?channel=phone')).body.data.every((x: any) => x.channel === 'phone'), true);
    });

    it('records calls: progress events, a summary after the end, and a disposition', async () => {
      const conv = (await api.post('/v1/conversations', { channel: 'phone', direction: 'inbound', context: {}, department: 'sales' })).body;
      await api.post(`/v1/conversations/${conv.id}/assign`, { assignee: { id: 'a1', name: 'Alan', email: 'alan@example.com', extension: '204' } });
      for (const body of [
        { type: 'initiated', leg: { role: 'customer', number: '+15551234' } },
        { type: 'dial_begin', leg: { role: 'agent', number: '204', agent: 'Alan' } },
        { type: 'answered', leg: { role: 'agent', number: '204' } },
        { type: 'ended' },
      ]) {
        const r = await api.post(`/v1/conversations/${conv.id}/call_events`, body);
        assert.equal(r.status, 200, r.text);
      }
      assertError(await api.post(`/v1/conversations/${conv.id}/call_events`, { type: 'answered' }), 409, 'conflict');
      assert.equal((await api.post(`/v1/conversations/${conv.id}/disposition`, { tag: 'sale', note: 'bought 2' })).status, 200);
      const events = await allEvents(api, `&conversation_id=${conv.id}`);
      assert.deepEqual(events.map((e) => e.type), [
        'conversation.created',
        'conversation.assigned',
        'call.initiated',
        'call.dial_begin',
        'call.answered',
        'call.ended',
        'call.summary',
        'call.disposition',
      ]);
      assert.deepEqual(events.map((e) => e.sequence), [1, 2, 3, 4, 5, 6, 7, undefined]);
      const summary = events[6].data;
      assert.equal(summary.legs.length, 2);
      assert.deepEqual(summary.agent, { name: 'Alan', email: 'alan@example.com', extension: '204' });
      assert.deepEqual(summary.department, { id: 'sales', name: 'sales' });
      assert.equal(typeof summary.call.duration_ms, 'number');
      assert.equal(events[7].data.tag, 'sale');
      const chat = (await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', context: {} })).body;
      assertError(await api.post(`/v1/conversations/${chat.id}/call_events`, { type: 'initiated' }), 409, 'conflict');
    });

    it('keeps per-conversation sequences gapless under concurrent writes', async () => {
      const conv = (await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', context: {} })).body;
      const N = 60;
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) => api.post('/v1/messages', { conversation_id: conv.id, direction: i % 2 ? 'outbound' : 'inbound', text: `m${i}` })),
      );
      assert.ok(results.every((r) => r.status === 201));
      const events = await allEvents(api, `&conversation_id=${conv.id}`);
      const seqs = events.map((e) => e.sequence).sort((a, b) => a - b);
      assert.deepEqual(seqs, Array.from({ length: N + 1 }, (_, i) => i + 1));
      // the sequence follows commit order: event ids (time-ordered) sort the same way
      const byId = [...events].sort((a, b) => (a.id < b.id ? -1 : 1)).map((e) => e.sequence);
      assert.deepEqual(byId, seqs);
    });

    it('answers malformed JSON, wrong types and unknown fields with 400/422, never 500', async () => {
      assertError(await api.post('/v1/users', '{"name": '), 400, 'invalid_request');
      assertError(await api.post('/v1/users', '[1,2'), 400, 'invalid_request');
      assertError(await api.post('/v1/users', { name: 42 }), 422, 'validation', '/name');
      assertError(await api.post('/v1/users', { nickname: 'x' }), 422, 'validation', '/nickname');
      assertError(await api.post('/v1/users', [1, 2]), 422, 'validation');
      assertError(await api.post('/v1/conversations', { channel: 'fax', direction: 'inbound' }), 422, 'validation', '/channel');
      assertError(await api.post('/v1/conversations', { direction: 'inbound' }), 422, 'validation', '/channel');
      assertError(await api.post('/v1/messages', { conversation_id: 'conv_x', direction: 'inbound' }), 422, 'validation', '/text');
      assertError(await api.post('/v1/messages', { conversation_id: 'conv_01JD2X8Q4M6N7P8R9S0T1V2W3X', direction: 'inbound', text: 'x' }), 404, 'not_found');
      assertError(await api.post('/v1/users', '{"__proto__": {"admin": true}}'), 400, 'invalid_request');
      assertError(await api.post('/v1/users', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'invalid_request');
      const big = await api.post('/v1/users', { name: 'x', attributes: { blob: 'x'.repeat(1024 * 1024 + 10) } });
      assertError(big, 413, 'invalid_request');
      assertError(await api.get('/v1/nope'), 404, 'not_found');
      const badUtf8 = await fetch(t.url + '/v1/users', {
        method: 'POST',
        headers: { authorization: `Bearer ${OWNER_KEY}`, 'content-type': 'application/json' },
        body: Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), // {"name":"\xff"}
      });
      assert.equal(badUtf8.status, 400);
      assert.equal((await badUtf8.json()).error.type, 'invalid_request');
      const deep = '{"attributes":' + '{"a":'.repeat(200) + '1' + '}'.repeat(200) + '}';
      assertError(await api.post('/v1/users', deep), 400, 'invalid_request');
      assertError(await api.post('/v1/users', { name: 'a\u0000b' }), 422, 'validation', '/name');
    });

    it('replays an idempotent POST once, and refuses the same key with another body', async () => {
      const headers = { 'idempotency-key': 'create-user-42' };
      const a = await api.post('/v1/users', { name: 'Once' }, headers);
      const b = await api.post('/v1/users', { name: 'Once' }, headers);
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.deepEqual(b.body, a.body);
      assert.equal(b.headers.get('idempotent-replayed'), 'true');
      const c = await api.post('/v1/users', { name: 'Twice' }, headers);
      assertError(c, 409, 'conflict');
      const created = (await allEvents(api, '&type=user.created')).filter((e) => e.data.user.name === 'Once');
      assert.equal(created.length, 1);
      assertError(await api.post('/v1/users', { name: 'x' }, { 'idempotency-key': 'k'.repeat(256) }), 422, 'validation');
    });

    it('enforces roles: agent keys are limited to platform resources', async () => {
      const k = await api.post('/v1/keys', { name: 'bot', role: 'agent' });
      assert.equal(k.status, 201);
      assert.match(k.body.key, /^sk_[A-Za-z0-9_-]{32,}$/);
      assert.equal(k.body.prefix, k.body.key.slice(0, 11));
      const agent = client(t.url, k.body.key);
      assert.equal((await agent.post('/v1/users', { name: 'by agent' })).status, 201);
      assert.equal((await agent.get('/v1/conversations')).status, 200);
      assertError(await agent.get('/v1/keys'), 403, 'permission');
      assertError(await agent.post('/v1/keys', { role: 'owner' }), 403, 'permission');
      assertError(await agent.get('/v1/events'), 403, 'permission');
      assertError(await agent.get('/v1/event-types'), 403, 'permission');

      const admin = client(t.url, (await api.post('/v1/keys', { name: 'adm', role: 'admin' })).body.key);
      assertError(await admin.post('/v1/keys', { role: 'owner' }), 403, 'permission');
      const listed = await api.get('/v1/keys');
      assert.ok(listed.body.data.every((x: any) => !('key' in x)));
      assert.ok(listed.body.data.some((x: any) => x.id === k.body.id && x.last_used_at));
      assert.equal((await api.delete(`/v1/keys/${k.body.id}`)).status, 204);
      assertError(await agent.get('/v1/users'), 401, 'authentication');
    });

    it('isolates companies: another company sees 404 and changes nothing', async () => {
      const other = await t.newCompany('acme');
      const u = (await api.post('/v1/users', { name: 'Mine' })).body;
      const conv = (await api.post('/v1/conversations', { user_id: u.id, channel: 'chat', direction: 'inbound', context: {} })).body;
      const msg = (await api.post('/v1/messages', { conversation_id: conv.id, direction: 'inbound', text: 'secret' })).body;
      const ev = (await api.get('/v1/events?limit=1')).body.data[0];
      const key = (await api.post('/v1/keys', { name: 'k' })).body;
      const o = other.api;
      const probes = [
        o.get(`/v1/users/${u.id}`),
        o.put(`/v1/users/${u.id}`, { name: 'stolen' }),
        o.patch(`/v1/users/${u.id}`, { name: 'stolen' }),
        o.delete(`/v1/users/${u.id}`),
        o.post('/v1/tags', { user_id: u.id, tag: 'x' }),
        o.delete(`/v1/users/${u.id}/tags/x`),
        o.get(`/v1/conversations/${conv.id}`),
        o.patch(`/v1/conversations/${conv.id}`, { client_data: { x: 1 } }),
        o.post(`/v1/conversations/${conv.id}/assign`, { assignee: { id: 'x' } }),
        o.post(`/v1/conversations/${conv.id}/close`),
        o.post(`/v1/conversations/${conv.id}/end`, { status: 'failed' }),
        o.put(`/v1/conversations/${conv.id}/custom_fields/k`, { value: 1 }),
        o.get(`/v1/conversations/${conv.id}/messages`),
        o.post(`/v1/conversations/${conv.id}/call_events`, { type: 'initiated' }),
        o.post(`/v1/conversations/${conv.id}/disposition`, { tag: 'x' }),
        o.post('/v1/messages', { conversation_id: conv.id, direction: 'inbound', text: 'x' }),
        o.get(`/v1/messages/${msg.id}`),
        o.post(`/v1/messages/${msg.id}/status`, { status: 'read' }),
        o.post(`/v1/messages/${msg.id}/clicks`, { url: 'https://x.example.com' }),
        o.get(`/v1/events/${ev.id}`),
        o.delete(`/v1/keys/${key.id}`),
      ];
      for (const res of await Promise.all(probes)) assertError(res, 404, 'not_found');
      assert.equal((await o.get('/v1/users')).body.data.length, 0);
      assert.equal((await o.get('/v1/events')).body.data.length, 0);
      assert.equal((await o.get('/v1/conversations')).body.data.length, 0);
      assert.equal((await o.get('/v1/tags')).body.data.length, 0);
      const still = await api.get(`/v1/conversations/${conv.id}`);
      assert.equal(still.body.status, 'open');
      assert.deepEqual(still.body.client_data, {});
      assert.equal((await api.get(`/v1/users/${u.id}`)).body.name, 'Mine');
    });

    it('creates companies only with the server admin token', async () => {
      assertError(await api.post('/v1/companies', { name: 'x' }), 401, 'authentication');
      const res = await client(t.url, ADMIN_TOKEN).post('/v1/companies', { name: 'Globex' });
      assert.equal(res.status, 201);
      assert.equal(res.body.key.role, 'owner');
      assert.match(res.body.company.id, /^cmp_/);
      const ownerOfNew = client(t.url, res.body.key.key);
      assert.equal((await ownerOfNew.get('/v1/users')).status, 200);
    });

    it('stores keys hashed and never logs them', async () => {
      const { db } = t.server.platform.database;
      const rows = await db.selectFrom('api_keys').selectAll().execute();
      for (const r of rows) {
        assert.ok(!r.key_hash.includes('sk_'));
        assert.notEqual(r.key_hash, OWNER_KEY);
      }
      t.server.platform.logger.info({ req: { headers: { authorization: `Bearer ${OWNER_KEY}` } }, secret: 'whsec_abc', password: 'pw' }, 'probe');
      const text = t.logs.join('');
      assert.match(text, /probe/);
      assert.ok(!text.includes(OWNER_KEY));
      assert.ok(!text.includes('whsec_abc'));
      assert.ok(!text.includes('"pw"'));
    });
  });
}

for (const store of STORES) describe(`rate limits on ${store}`, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(store, { SWITCHBOARD_RATE_LIMIT: '5' });
  });
  after(() => t.close());

  it('sets ratelimit headers and answers 429 with retry-after past the burst', async () => {
    const first = await t.api.get('/v1/users');
    assert.equal(first.headers.get('ratelimit-limit'), '5');
    assert.equal(first.headers.get('ratelimit-remaining'), '9');
    assert.ok(Number(first.headers.get('ratelimit-reset')) >= 0);
    let limited: any = null;
    for (let i = 0; i < 15 && !limited; i++) {
      const r = await t.api.get('/v1/users');
      if (r.status === 429) limited = r;
    }
    assert.ok(limited, 'no 429 after the burst');
    assert.equal(limited.body.error.type, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.headers.get('ratelimit-remaining'), '0');
  });
});

for (const store of STORES) describe(`rate limit of requests without a valid key on ${store}`, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(store, { SWITCHBOARD_UNAUTHENTICATED_RATE_LIMIT: '2' });
  });
  after(() => t.close());

  it('bounds key guessing per client address, with ratelimit-* headers and a 429 with retry-after', async () => {
    // requests with a valid key do not use the address's bucket
    for (let i = 0; i < 10; i++) assert.equal((await t.api.get('/v1/users')).status, 200);
    const guess = client(t.url, 'sk_guess_' + 'x'.repeat(32));
    const first = await guess.get('/v1/users');
    assert.equal(first.status, 401);
    assert.equal(first.headers.get('ratelimit-limit'), '2');
    assert.equal(first.headers.get('ratelimit-remaining'), '3');
    let limited: any = null;
    const kinds = [guess, client(t.url, ''), client(t.url, 'not-a-bearer')];
    for (let i = 0; i < 10 && !limited; i++) {
      const r = await kinds[i % kinds.length].get('/v1/users');
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 401, r.text);
    }
    assert.ok(limited, 'no 429 after the burst of keyless requests');
    assert.equal(limited.body.error.type, 'rate_limited');
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.match(limited.body.error.message, /without a valid API key from this address; wait \d+ s/);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.headers.get('ratelimit-remaining'), '0');
    // a wrong admin token counts the same
    const admin = await client(t.url, 'wrong-admin-token').post('/v1/companies', { name: 'x' });
    assert.equal(admin.status, 429, admin.text);
    // once limited, even the right key waits: a right guess must look like the others
    assert.equal((await t.api.get('/v1/users')).status, 429);
    // the bucket refills at the configured rate
    await new Promise((r) => setTimeout(r, Number(limited!.headers.get('retry-after')) * 1000 + 50));
    assert.equal((await t.api.get('/v1/users')).status, 200);
    assert.equal((await guess.get('/v1/users')).status, 401);
  });
});
