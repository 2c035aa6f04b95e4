import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import pg from 'pg';
import { startServerProcess } from '../helpers/process.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { client, OWNER_KEY } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

// 4,000 events over 100 conversations and 2+2 processes is enough for every claim below to meet
// contention (both workers claim from every endpoint, both apis commit into every conversation);
// SWITCHBOARD_MULTI_EVENTS=20000 (or more) is the long run, e.g. before a release.
const EVENTS = Number(process.env.SWITCHBOARD_MULTI_EVENTS ?? 4_000);
const ENDPOINTS = 10;
const CONVERSATIONS = 100;
const FANOUT = process.env.SWITCHBOARD_MULTI_FANOUT === '1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until no delivery is pending (leased ones are pending too): then no process sends again. */
async function queueDrained(url: string, timeoutMs: number): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'pending'`);
      if (rows[0].n === 0) return;
      if (Date.now() > deadline) throw new Error(`${rows[0].n} deliveries still pending after ${timeoutMs} ms`);
      await sleep(50);
    }
  } finally {
    await db.end();
  }
}

describe('several processes on one PostgreSQL', () => {
  // Each endpoint subscribes to the conversations of one department (a payload filter), so every
  // event has exactly one endpoint: N events make N deliveries, each to arrive once.
  // SWITCHBOARD_MULTI_FANOUT=1 subscribes every endpoint to every event instead (10x the deliveries).
  it(`2 api + 2 worker processes deliver ${EVENTS} events over ${ENDPOINTS} endpoints exactly once, in conversation order`, async () => {
    const db = await createTestDatabase();
    const receiver = await startReceiver((a) => ({ status: 200, delayMs: a.id.charCodeAt(a.id.length - 1) % 3 }));
    const env = {
      SWITCHBOARD_DATABASE_URL: db.url,
      SWITCHBOARD_BOOTSTRAP_KEY: OWNER_KEY,
      SWITCHBOARD_ALLOW_HTTP: 'true',
      SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128',
      SWITCHBOARD_RATE_LIMIT: '0',
      SWITCHBOARD_MASTER_KEY: db.masterKey,
      SWITCHBOARD_DATA_DIR: os.tmpdir(),
    };
    // Started together (concurrent starts on an empty database are safe, test/store/master-key.test.ts).
    const procs = await Promise.all(['api', 'api', 'worker', 'worker'].map((role) => startServerProcess(['--role', role], env)));
    const apis = procs.slice(0, 2);
    const workers = procs.slice(2);
    try {
      const a0 = client(apis[0].url!, OWNER_KEY);
      for (let i = 0; i < ENDPOINTS; i++) {
        const res = await a0.post('/v1/webhooks', {
          url: `${receiver.url}/ep${i}`,
          events: ['message.received'],
          ...(FANOUT ? {} : { filter: { 'data.conversation.department': `d${i}` } }),
          ordering: 'conversation',
          max_in_flight: 64,
        });
        assert.equal(res.status, 201, res.text);
      }
      const convs: string[] = [];
      for (let i = 0; i < CONVERSATIONS; i++) {
        const c = await a0.post('/v1/conversations', { channel: 'chat', direction: 'inbound', context: {}, department: `d${i % ENDPOINTS}` });
        convs.push(c.body.id);
      }

      const clients = apis.map((p) => client(p.url!, OWNER_KEY));
      let next = 0;
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 32 }, async (_, lane) => {
          while (next < EVENTS) {
            const i = next++;
            const res = await clients[lane % 2].post('/v1/messages', { conversation_id: convs[i % CONVERSATIONS], direction: 'inbound', text: `msg ${i}` });
            assert.equal(res.status, 201, res.text);
          }
        }),
      );
      const committedIn = (Date.now() - started) / 1000;
      const want = FANOUT ? EVENTS * ENDPOINTS : EVENTS;
      await receiver.waitForArrivals(want, 240_000);
      // Every delivery is recorded as done (none pending, none leased): nothing can be sent again,
      // so any arrival beyond `want` has happened by now and would be a duplicate.
      await queueDrained(db.url, 30_000);
      const took = (Date.now() - started) / 1000;
      console.log(`committed ${EVENTS} events in ${committedIn.toFixed(1)} s; ${receiver.arrivals.length} deliveries arrived in ${took.toFixed(1)} s`);

      assert.equal(receiver.arrivals.length, want, 'every delivery arrived exactly once');
      const perEndpoint = new Map<string, Set<string>>();
      const lastSeq = new Map<string, number>();
      for (const a of receiver.arrivals) {
        const set = perEndpoint.get(a.path) ?? new Set();
        assert.ok(!set.has(a.id), `duplicate ${a.id} at ${a.path}`);
        set.add(a.id);
        perEndpoint.set(a.path, set);
        const env = JSON.parse(a.body);
        const key = `${a.path} ${env.data.conversation.id}`;
        const prev = lastSeq.get(key) ?? 1; // sequence 1 is conversation.created, not subscribed
        assert.equal(env.sequence, prev + 1, `order broken for ${key}: ${prev} then ${env.sequence}`);
        lastSeq.set(key, env.sequence);
      }
      assert.equal(perEndpoint.size, ENDPOINTS);
      const delivered = [...perEndpoint.values()].reduce((n, set) => n + set.size, 0);
      assert.equal(delivered, want);
      if (FANOUT) for (const set of perEndpoint.values()) assert.equal(set.size, EVENTS);
      else for (const a of receiver.arrivals) assert.equal(a.path, `/ep${JSON.parse(a.body).data.conversation.department.slice(1)}`);
    } finally {
      await Promise.all([...apis, ...workers].map((p) => p.stop()));
      await receiver.close();
      await db.drop();
    }
  });
});
