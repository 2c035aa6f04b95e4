import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess } from '../helpers/process.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { client, OWNER_KEY } from '../helpers/server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && !check()) await sleep(50);
  return check();
}

describe('graceful shutdown', () => {
  it('on SIGTERM stops claiming, finishes the attempts in flight, releases the rest and exits 0', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-shutdown-'));
    // Slow answers to the first two keep them in flight while the signal arrives.
    let answered = 0;
    const receiver = await startReceiver(() => ({ status: 200, delayMs: ++answered <= 2 ? 1500 : 0 }));
    // The default 60 s lease: a delivery that came back after the restart within seconds was
    // released at shutdown, not reclaimed after its lease ran out.
    const env = {
      SWITCHBOARD_BOOTSTRAP_KEY: OWNER_KEY,
      SWITCHBOARD_ALLOW_HTTP: 'true',
      SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128',
      SWITCHBOARD_RATE_LIMIT: '0',
      SWITCHBOARD_DATA_DIR: data,
    };
    try {
      const first = await startServerProcess([], env);
      const api = client(first.url!, OWNER_KEY);
      const wh = await api.post('/v1/webhooks', { url: `${receiver.url}/hook`, events: ['message.received'], max_in_flight: 2 });
      assert.equal(wh.status, 201, wh.text);
      const conv = await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', context: {} });
      assert.equal(conv.status, 201, conv.text);
      const TOTAL = 10;
      for (let i = 0; i < TOTAL; i++) {
        const res = await api.post('/v1/messages', { conversation_id: conv.body.id, direction: 'inbound', text: `m${i}` });
        assert.equal(res.status, 201, res.text);
      }
      assert.ok(await waitFor(() => receiver.arrivals.length === 2, 5000), 'two attempts in flight');

      const t0 = Date.now();
      const code = await first.stop();
      assert.equal(code, 0, first.stderr());
      // It waited for the two answers (1.5 s) and started nothing new.
      assert.ok(Date.now() - t0 >= 1000, `exited after ${Date.now() - t0} ms, before the attempts in flight ended`);
      // The process is gone: once its connections to the receiver are closed, all it sent was read.
      await receiver.waitForNoConnections();
      assert.equal(receiver.arrivals.length, 2, 'no attempt started after SIGTERM');

      const second = await startServerProcess([], env);
      try {
        assert.ok(await waitFor(() => receiver.counts.size === TOTAL, 15_000), `${receiver.counts.size} of ${TOTAL} delivered after the restart`);
        // The two finished attempts were recorded before exiting: nothing arrived twice.
        assert.deepEqual([...receiver.counts.values()].filter((n) => n > 1), []);
        // Every delivery ends succeeded with exactly one attempt.
        const api2 = client(second.url!, OWNER_KEY);
        let succeeded: any[] = [];
        const end = Date.now() + 5000;
        while (Date.now() < end && succeeded.length < TOTAL) {
          const list = await api2.get(`/v1/webhooks/${wh.body.id}/deliveries?status=succeeded&limit=100`);
          assert.equal(list.status, 200, list.text);
          succeeded = list.body.data;
          await sleep(100);
        }
        assert.equal(succeeded.length, TOTAL);
        for (const d of succeeded) {
          const full = await api2.get(`/v1/deliveries/${d.id}`);
          assert.equal(full.body.attempts.length, 1, `${d.id} was attempted ${full.body.attempts.length} times`);
        }
      } finally {
        assert.equal(await second.stop(), 0, second.stderr());
      }
    } finally {
      await receiver.close();
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
