import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer, type Client } from '../helpers/server.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { addSetupEndpoint } from '../helpers/setup-endpoint.ts';
import { createHttpClient, OUTBOUND_PATHS } from '../../src/delivery/http-client.ts';
import { parseAllowList } from '../../src/domain/address-policy.ts';

/**
 * One tenant's endpoint that never answers, with max_in_flight 256 (the whole worker) and a burst
 * of events, next to another tenant's healthy endpoint: the mechanism of slots.ts (company and
 * endpoint shares, round-robin) and of http-client.ts (pools per outbound path, deadlines that
 * cover the wait for a connection), end to end through the real server and real receivers.
 */

const DEV_ENV = { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128' };
const A_TIMEOUT_MS = 2000;
// More than the worker's 256 slots: without the company share A would take them all.
const A_EVENTS = 400;
const B_EVENTS = 20;
/** undici's connections per origin on each outbound path (http-client.ts default). */
const POOL = 32;
/** Of SWITCHBOARD_WORKER_CONCURRENCY 256: the company share while another company waits. */
const A_SHARE = 128;
// What a recorded attempt may add to its own deadline: timer latency and the record itself.
const MARGIN_MS = 1000;

interface Held {
  id: string;
  path: string;
  openedAt: number;
  closedAt: number | null;
}

/**
 * A receiver that answers /setup and hangs on everything else, noting when each hanging request
 * was closed by the sender (its timeout firing).
 */
async function startHangingReceiver() {
  const held: Held[] = [];
  const setups: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/setup') {
        setups.push(Date.now());
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ context: { answered: 'setup' } }));
        return;
      }
      const h: Held = { id: String(req.headers['webhook-id'] ?? ''), path: req.url ?? '', openedAt: Date.now(), closedAt: null };
      held.push(h);
      res.on('close', () => (h.closedAt = Date.now()));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    setups,
    open: () => held.filter((h) => h.closedAt === null).length,
    firstClose: () => Math.min(...held.map((h) => h.closedAt ?? Infinity)),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function until<T>(check: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `n` calls of `f` with at most `width` at once. */
async function inParallel(n: number, width: number, f: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await f(next++);
  }));
}

async function allDeliveries(c: Client, whId: string, status: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; text: string; body: any } = await c.get(`/v1/webhooks/${whId}/deliveries?status=${status}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(res.status, 200, res.text);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
  } while (cursor);
  return out;
}

describe('noisy neighbour, end to end', () => {
  let t: TestServer;
  let hanging: Awaited<ReturnType<typeof startHangingReceiver>>;
  let healthy: Receiver;

  before(async () => {
    t = await startTestServer('sqlite', DEV_ENV);
    hanging = await startHangingReceiver();
    healthy = await startReceiver();
  });
  after(async () => {
    // Receivers first: the attempts still hanging end at once instead of at their timeout.
    await hanging?.close();
    await healthy?.close();
    await t?.close();
  });

  it("a hanging endpoint with max_in_flight 256 and a burst holds only its company's share; the other company's deliveries and its own setup calls go through while it hangs, and every attempt ends within its own deadline", async () => {
    const a = await t.newCompany('tenant-a');
    const b = await t.newCompany('tenant-b');
    const stuck = await a.api.post('/v1/webhooks', {
      url: `${hanging.url}/hang`, events: ['user.created'], max_in_flight: 256, timeout_ms: A_TIMEOUT_MS, retry: { schedule: [] }, failure_threshold: 100,
    });
    assert.equal(stuck.status, 201, stuck.text);
    // Same origin as the hanging endpoint, on the setup path's own pool.
    await addSetupEndpoint(t, a.companyId, { url: `${hanging.url}/setup`, timeout_ms: A_TIMEOUT_MS, setup_failure: 'reject' });
    const fine = await b.api.post('/v1/webhooks', { url: `${healthy.url}/fine`, events: ['user.created'] });
    assert.equal(fine.status, 201, fine.text);

    // Both bursts are committed while their endpoints are disabled, then queued at once by
    // `recover` (one request each): the clock of A's timeouts starts with A's first send, not
    // with the time it takes this machine to commit 200 events one by one.
    const since = new Date().toISOString();
    for (const [c, wh] of [[a.api, stuck.body.id], [b.api, fine.body.id]] as const) assert.equal((await c.post(`/v1/webhooks/${wh}/disable`)).status, 200);
    await inParallel(A_EVENTS, 16, async (i) => {
      const res = await a.api.post('/v1/users', { name: `a${i}` });
      assert.equal(res.status, 201, res.text);
    });
    await inParallel(B_EVENTS, 8, async (i) => {
      const res = await b.api.post('/v1/users', { name: `b${i}` });
      assert.equal(res.status, 201, res.text);
    });
    const queue = async (c: Client, wh: string, n: number) => {
      assert.equal((await c.post(`/v1/webhooks/${wh}/enable`)).status, 200);
      const res = await c.post(`/v1/webhooks/${wh}/recover`, { since });
      assert.deepEqual(res.body, { count: n }, res.text);
    };

    // Tenant A's burst first. Its endpoint takes every connection of its origin's delivery pool.
    await queue(a.api, stuck.body.id, A_EVENTS);
    await until(() => hanging.held.length >= POOL, 10_000, `tenant A's requests to fill its ${POOL} connections`);
    // Then tenant B's: all delivered while A's requests still hang.
    await queue(b.api, fine.body.id, B_EVENTS);
    const got = await until(() => healthy.arrivals.length >= B_EVENTS && healthy.arrivals.slice(0, B_EVENTS), 10_000, `tenant B's ${B_EVENTS} deliveries`);
    const lastB = Math.max(...got.map((x) => x.at));
    assert.ok(lastB < hanging.firstClose(), `tenant B's last delivery came ${lastB - hanging.firstClose()} ms after tenant A's first timeout fired`);
    assert.ok(hanging.open() > 0, "tenant A's requests still hang");

    // A setup call to the very origin whose delivery connections all hang is answered at once
    // (setup_failure reject: a fallback would have been a 424).
    const conv = await a.api.post('/v1/conversations', { channel: 'chat', direction: 'inbound' });
    assert.equal(conv.status, 201, conv.text);
    assert.deepEqual(conv.body.context, { answered: 'setup' });
    assert.ok(hanging.setups[0] < hanging.firstClose(), 'the setup call was answered before any delivery to that origin timed out');
    assert.equal(hanging.held.length, POOL, 'only the pool reaches the origin; the rest of the share waits for a connection');

    // The first round ends: A's company share (128 attempts: 32 on the wire, 96 waiting for a
    // connection) times out, each within its own deadline, the waiting ones included.
    const failed = await until(async () => {
      const list = await allDeliveries(a.api, stuck.body.id, 'failed');
      return list.length >= A_SHARE && list;
    }, 20_000, `tenant A's first ${A_SHARE} attempts to be recorded`);
    const reached = new Set(hanging.held.map((h) => h.id));
    let waitedForConnection = 0;
    for (const d of failed) {
      const full = (await a.api.get(`/v1/deliveries/${d.id}`)).body;
      assert.equal(full.attempts.length, 1);
      const attempt = full.attempts[0];
      assert.equal(attempt.error, `timed out after ${A_TIMEOUT_MS} ms`);
      assert.ok(attempt.duration_ms >= A_TIMEOUT_MS - 50 && attempt.duration_ms <= A_TIMEOUT_MS + MARGIN_MS, `attempt of ${d.id} took ${attempt.duration_ms} ms for a ${A_TIMEOUT_MS} ms deadline`);
      if (!reached.has(d.event_id)) waitedForConnection++;
    }
    assert.ok(waitedForConnection > 0, 'some of the attempts measured never got a connection (they waited in the pool)');
    await a.api.post(`/v1/webhooks/${stuck.body.id}/disable`);
  });
});

describe('waiting for a pooled connection', () => {
  it('is bounded by the request\'s own deadline, and setup and tool calls never wait behind deliveries to the same origin', async () => {
    const hanging = await startHangingReceiver();
    const POOL_SIZE = 2;
    const httpClient = createHttpClient({ allowHttp: true, allowTargets: parseAllowList('127.0.0.0/8'), connectionsPerOrigin: POOL_SIZE, userAgent: 'test' });
    const post = (path: (typeof OUTBOUND_PATHS)[number], url: string, timeoutMs: number) =>
      httpClient.send({ path, method: 'POST', url: hanging.url + url, headers: { 'content-type': 'application/json', 'webhook-id': `${path}-${url}-${timeoutMs}` }, body: '{}', timeoutMs });
    try {
      // Every delivery connection to the origin hangs, for far longer than the next request's deadline.
      const holders = Array.from({ length: POOL_SIZE }, () => post('delivery', '/hang', 20_000));
      await until(() => hanging.held.length === POOL_SIZE, 5000, 'the delivery pool to fill');

      const queued = post('delivery', '/hang', 500);
      // The other paths have their own pools: answered at once, while deliveries still hang.
      const [setup, tool] = await Promise.all([post('setup', '/setup', 2000), post('tool', '/setup', 2000)]);
      assert.equal(setup.statusCode, 200, setup.error ?? '');
      assert.equal(tool.statusCode, 200, tool.error ?? '');
      assert.equal(hanging.open(), POOL_SIZE, 'the delivery connections still hang');

      const waited = await queued;
      assert.equal(waited.errorCode, 'TIMEOUT');
      assert.equal(waited.error, 'timed out after 500 ms');
      assert.ok(waited.durationMs >= 490 && waited.durationMs <= 500 + MARGIN_MS, `a 500 ms request took ${waited.durationMs} ms waiting for a connection`);
      assert.equal(hanging.held.length, POOL_SIZE, 'it never got a connection: its whole deadline went on the wait');
      assert.equal(hanging.open(), POOL_SIZE, 'it timed out on its own deadline, not when a connection came free');
      await hanging.close();
      await Promise.all(holders);
    } finally {
      await hanging.close().catch(() => {});
      await httpClient.close();
    }
  });
});
