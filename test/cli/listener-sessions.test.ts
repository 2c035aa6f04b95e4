import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, STORES, OWNER_KEY, type TestServer } from '../helpers/server.ts';
import { LISTENER_ABANDON_MS } from '../../src/services/listeners.ts';

/** Reads SSE messages from the session's stream until `count` arrived, then drops the connection. */
async function readMessages(url: string, count: number, lastEventId?: string, quietMs = 0): Promise<{ id: string; data: any }[]> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${OWNER_KEY}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
  const out: { id: string; data: any }[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  // With count 0 the stream is read until it sent its opening comment (and quietMs more): nothing else may come.
  let quiet: NodeJS.Timeout | null = null;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) out.push({ id, data: JSON.parse(data) });
        if (block.startsWith(': connected') && count === 0) quiet = setTimeout(() => ac.abort(), quietMs);
      }
      if (count > 0 && out.length >= count) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    if (quiet) clearTimeout(quiet);
    ac.abort();
  }
  return out;
}

for (const store of STORES) {
  describe(`listener sessions over SSE (${store})`, () => {
    let srv: TestServer;
    before(async () => {
      srv = await startTestServer(store);
    });
    after(() => srv.close());

    const message = async () => {
      const u = await srv.api.post('/v1/users', { name: 'Ada' });
      assert.equal(u.status, 201);
      return u.body.id as string;
    };

    it('streams signed deliveries; a reconnect with Last-Event-ID gets exactly the ones sent after it and not answered', async () => {
      const open = await srv.api.post('/v1/listeners', { events: ['user.created'] });
      assert.equal(open.status, 201, open.text);
      const { id, secret } = open.body;
      assert.match(secret, /^whsec_/);
      const stream = `${srv.url}/v1/listeners/${id}/stream`;

      await message();
      await message();
      await message();
      const first = await readMessages(stream, 3);
      assert.equal(first.length, 3);
      for (const m of first) {
        assert.equal(m.id, m.data.delivery_id);
        assert.equal(m.data.type, 'user.created');
        assert.equal(m.data.headers['webhook-id'], m.data.event_id);
        assert.match(m.data.headers['webhook-signature'], /^v1,/);
        assert.equal(JSON.parse(m.data.body).id, m.data.event_id);
      }
      // The client got only the first (the connection dropped) and answered it.
      const answered = await srv.api.post(`/v1/listeners/${id}/deliveries/${first[0].id}/result`, { status_code: 204, duration_ms: 3 });
      assert.equal(answered.status, 200, answered.text);
      assert.equal(answered.body.outcome, 'succeeded');
      assert.equal((await srv.api.post(`/v1/listeners/${id}/deliveries/${first[0].id}/result`, { status_code: 204, duration_ms: 3 })).status, 409, 'one result per delivery');

      const resumed = await readMessages(stream, 2, first[0].id);
      assert.deepEqual(resumed.map((m) => m.id), [first[1].id, first[2].id], 'the two sent after it, none before, none twice');
      // Having got all three, nothing is resent; a new event still comes.
      await message();
      const next = await readMessages(stream, 1, first[2].id);
      assert.equal(next.length, 1);
      assert.ok(!first.some((m) => m.id === next[0].id));
      assert.deepEqual(await readMessages(stream, 0, next[0].id, 300), []);

      // The stream is for owners and admins of the company only.
      const other = await srv.newCompany('other-listen');
      assert.equal((await other.api.get(`/v1/listeners/${id}/stream`)).status, 404);
      assert.equal((await srv.api.delete(`/v1/listeners/${id}`)).status, 204);
    });

    it('refuses bad patterns and conversation.setup with the error body', async () => {
      const bad = await srv.api.post('/v1/listeners', { events: ['mesage.received'] });
      assert.equal(bad.status, 422);
      assert.match(bad.body.error.message, /message\.received/);
      const setup = await srv.api.post('/v1/listeners', { events: ['conversation.setup'] });
      assert.equal(setup.status, 422);
      assert.match(setup.body.error.message, /synchronous/);
    });

    it('keeps a session out of the endpoints\' world: no alerts, no overview rows, no retry, test or resend', async () => {
      const open = await srv.api.post('/v1/listeners', { events: ['user.created'] });
      const id = open.body.id as string;
      await message();
      const [m] = await readMessages(`${srv.url}/v1/listeners/${id}/stream`, 1);
      // The local receiver keeps failing until the delivery has used its schedule.
      let outcome = '';
      for (let i = 0; i < 5 && outcome !== 'exhausted'; i++) {
        const r = await srv.api.post(`/v1/listeners/${id}/deliveries/${m.id}/result`, { status_code: 500, duration_ms: 2 });
        assert.equal(r.status, 200, r.text);
        outcome = r.body.outcome;
      }
      assert.equal(outcome, 'exhausted');
      const alerts = await srv.api.get('/v1/events?type=delivery.exhausted');
      assert.deepEqual(alerts.body.data.filter((e: any) => e.data.webhook.id === id), [], 'a failing local receiver is not an outage');
      const rows = await srv.server.platform.database.db.selectFrom('attempt_rollup').select('webhook_id').where('webhook_id', '=', id).execute();
      assert.deepEqual(rows, [], 'the overview charts endpoints only');

      const retry = await srv.api.post(`/v1/deliveries/${m.id}/retry`);
      assert.equal(retry.status, 409, retry.text);
      assert.match(retry.body.error.message, /switchboard listen/);
      assert.equal((await srv.api.post(`/v1/webhooks/${id}/test`, { type: 'user.created' })).status, 404);
      assert.equal((await srv.api.post(`/v1/webhooks/${id}/recover`, { since: new Date(0).toISOString() })).status, 404);
      assert.equal((await srv.api.get(`/v1/webhooks/${id}/deliveries`)).status, 404);
      assert.equal((await srv.api.delete(`/v1/listeners/${id}`)).status, 204);
    });

    it('removes a session abandoned for LISTENER_ABANDON_MS, with its deliveries', async () => {
      const open = await srv.api.post('/v1/listeners', {});
      const id = open.body.id;
      await message();
      const [m] = await readMessages(`${srv.url}/v1/listeners/${id}/stream`, 1);
      assert.equal((await srv.api.get(`/v1/deliveries/${m.id}`)).status, 200);
      const listeners = srv.server.platform.services.listeners;
      assert.equal(await listeners.sweep(Date.now() + LISTENER_ABANDON_MS - 5_000), 0, 'not yet abandoned');
      assert.equal(await listeners.sweep(Date.now() + LISTENER_ABANDON_MS + 5_000), 1);
      assert.equal((await srv.api.get(`/v1/listeners/${id}/stream`)).status, 404);
      assert.equal((await srv.api.get(`/v1/deliveries/${m.id}`)).status, 404);
    });
  });
}
