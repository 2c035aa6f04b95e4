import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startTestServer, STORES, type TestServer } from '../helpers/server.ts';
import { startReceiver, type Answer, type Receiver } from '../helpers/receiver.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DEV_ENV = { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128' };

type Fault = 'ok' | 'error500' | 'reset' | 'hang' | 'slow' | 'throttle';
const FAULTS: Fault[] = ['ok', 'ok', 'error500', 'reset', 'hang', 'slow', 'throttle'];

/** The receiver's answer is a pure function of (event id, attempt), so the test knows the outcome. */
function faultOf(id: string, attempt: number): Fault {
  const h = crypto.createHash('sha256').update(`${id}#${attempt}`).digest();
  return FAULTS[h[0] % FAULTS.length];
}

function answerFor(f: Fault): Answer {
  switch (f) {
    case 'ok':
      return { status: 200 };
    case 'slow':
      return { status: 200, delayMs: 150 }; // slow but within the timeout
    case 'error500':
      return { status: 500, body: 'boom' };
    case 'reset':
      return 'reset';
    case 'hang':
      return 'hang'; // past the 400 ms timeout
    case 'throttle':
      return { status: 429, headers: { 'retry-after': '1' } };
  }
}

const succeeds = (f: Fault) => f === 'ok' || f === 'slow';

for (const store of STORES) {
  describe(`faults on ${store}`, () => {
    let t: TestServer;
    let receiver: Receiver;
    before(async () => {
      t = await startTestServer(store, DEV_ENV);
      receiver = await startReceiver((a) => answerFor(faultOf(a.id, a.attempt)));
    });
    after(async () => {
      await t.close();
      await receiver.close();
    });
    /** Waits until none of the endpoint's deliveries is pending (or leased): nothing more is sent. */
    async function drained(whId: string) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const row = await t.server.platform.database.db
          .selectFrom('deliveries')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('webhook_id', '=', whId)
          .where('status', '=', 'pending')
          .executeTakeFirstOrThrow();
        if (Number(row.n) === 0) return;
        assert.ok(Date.now() < deadline, `${row.n} deliveries of ${whId} still pending`);
        await sleep(25);
      }
    }

    it('ends every delivery succeeded or failed with exactly the attempts the policy allows', async () => {
      const schedule = [1, 1];
      const wh = await t.api.post('/v1/webhooks', {
        url: receiver.url + '/faulty',
        events: ['message.received'],
        retry: { schedule },
        timeout_ms: 400,
        failure_threshold: 100000,
        max_in_flight: 32,
      });
      assert.equal(wh.status, 201, wh.text);
      const conv = (await t.api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', context: {} })).body;
      const N = 120;
      const events: string[] = [];
      for (let i = 0; i < N; i++) {
        await t.api.post('/v1/messages', { conversation_id: conv.id, direction: 'inbound', text: `m${i}` });
      }
      const list = await t.api.get(`/v1/events?type=message.received&conversation_id=${conv.id}&limit=100`);
      const list2 = await t.api.get(`/v1/events?type=message.received&conversation_id=${conv.id}&limit=100&cursor=${list.body.next_cursor}`);
      for (const e of [...list.body.data, ...list2.body.data]) events.push(e.id);
      assert.equal(events.length, N);

      // Expected outcome per event from the deterministic fault plan.
      const expected = new Map<string, { status: string; attempts: number }>();
      for (const id of events) {
        let attempts = 0;
        let status = 'failed';
        for (let a = 1; a <= schedule.length + 1; a++) {
          attempts = a;
          if (succeeds(faultOf(id, a))) {
            status = 'succeeded';
            break;
          }
        }
        expected.set(id, { status, attempts });
      }
      // Wait until nothing is pending.
      const deadline = Date.now() + 60_000;
      let pending = Infinity;
      while (Date.now() < deadline) {
        const res = await t.api.get(`/v1/webhooks/${wh.body.id}/deliveries?status=pending&limit=1`);
        pending = res.body.data.length;
        if (pending === 0) break;
        await sleep(100);
      }
      assert.equal(pending, 0, 'deliveries still pending');
      let cursor: string | null = null;
      const seen = new Map<string, { status: string; attempts: number }>();
      do {
        const res: any = await t.api.get(`/v1/webhooks/${wh.body.id}/deliveries?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        for (const d of res.body.data) {
          const full = (await t.api.get(`/v1/deliveries/${d.id}`)).body;
          seen.set(full.event_id, { status: full.status, attempts: full.attempts.length });
        }
        cursor = res.body.next_cursor;
      } while (cursor);
      for (const id of events) assert.deepEqual(seen.get(id), expected.get(id), `event ${id}`);
      // The receiver saw exactly those attempts (hangs and resets included).
      for (const id of events) assert.equal(receiver.counts.get(id), expected.get(id)!.attempts, `arrivals of ${id}`);
      const exhausted = (await t.api.get('/v1/events?type=delivery.exhausted&limit=100')).body.data;
      const failedCount = [...expected.values()].filter((e) => e.status === 'failed').length;
      assert.equal(exhausted.length, failedCount);
    });

    it('trips the failure rule at the threshold, and a success resets the counter', async () => {
      let mode: 'fail' | 'ok' = 'fail';
      const flaky = await startReceiver(() => (mode === 'fail' ? { status: 503 } : { status: 200 }));
      try {
        const wh = (
          await t.api.post('/v1/webhooks', { url: flaky.url + '/x', events: ['user.created'], retry: { schedule: [] }, failure_threshold: 3 })
        ).body;
        // two failures, then a success: the counter resets, so two more failures do not trip it
        await t.api.post('/v1/users', { name: 'f1' });
        await t.api.post('/v1/users', { name: 'f2' });
        await flaky.waitForArrivals(2);
        mode = 'ok';
        await t.api.post('/v1/users', { name: 'ok' });
        await flaky.waitForArrivals(3);
        mode = 'fail';
        await t.api.post('/v1/users', { name: 'f3' });
        await t.api.post('/v1/users', { name: 'f4' });
        await flaky.waitForArrivals(5);
        // Every attempt recorded, so the failure count is final.
        await drained(wh.id);
        assert.equal((await t.api.get(`/v1/webhooks/${wh.id}`)).body.status, 'active');
        // the third failure in a row trips it
        await t.api.post('/v1/users', { name: 'f5' });
        await flaky.waitForArrivals(6);
        let status = '';
        for (let i = 0; i < 30 && status !== 'failed'; i++) {
          status = (await t.api.get(`/v1/webhooks/${wh.id}`)).body.status;
          await sleep(100);
        }
        assert.equal(status, 'failed');
        const failedEvents = (await t.api.get('/v1/events?type=webhook.failed')).body.data;
        assert.ok(failedEvents.some((e: any) => e.data.webhook.id === wh.id));
        // no new deliveries are queued for a failed endpoint
        // Deliveries are made with their event: none for a failed endpoint, so none can go out.
        await t.api.post('/v1/users', { name: 'while failed' });
        assert.equal((await t.api.get(`/v1/webhooks/${wh.id}/deliveries?limit=100`)).body.data.length, 6);
        await drained(wh.id);
        assert.equal(flaky.arrivals.length, 6);
        // enable resets it
        mode = 'ok';
        assert.equal((await t.api.post(`/v1/webhooks/${wh.id}/enable`)).body.status, 'active');
      } finally {
        await flaky.close();
      }
    });
  });
}
