import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { client, OWNER_KEY } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { seeded } from '../helpers/random.ts';

const BASE_ENV = {
  SWITCHBOARD_BOOTSTRAP_KEY: OWNER_KEY,
  SWITCHBOARD_ALLOW_HTTP: 'true',
  SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128',
  SWITCHBOARD_RATE_LIMIT: '0',
  SWITCHBOARD_LEASE_SECONDS: '5',
};
const MAX_IN_FLIGHT = 16;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Posts messages to a few conversations until stopped; failures while a process is down are fine. */
function startLoad(baseUrl: () => string | null, conversations: string[]) {
  let running = true;
  let sent = 0;
  let waiters: { n: number; resolve: () => void }[] = [];
  const done = (async () => {
    let i = 0;
    while (running) {
      const url = baseUrl();
      if (url) {
        const api = client(url, OWNER_KEY);
        await Promise.all(
          Array.from({ length: 8 }, () =>
            api
              .post('/v1/messages', { conversation_id: conversations[i++ % conversations.length], direction: 'inbound', text: `load ${i}` })
              .then((res) => {
                if (res.status !== 201) return;
                sent++;
                waiters = waiters.filter((w) => (sent >= w.n ? (w.resolve(), false) : true));
              })
              .catch(() => {}),
          ),
        );
      }
      await sleep(10);
    }
  })();
  return {
    /** Resolves once `n` more messages were committed (answered 201) from now. */
    more(n: number): Promise<void> {
      return new Promise((resolve) => waiters.push({ n: sent + n, resolve }));
    },
    async stop() {
      running = false;
      await done;
      return sent;
    },
  };
}

/** Every committed event id that should reach the endpoint (walks /v1/events). */
async function committedEventIds(url: string): Promise<string[]> {
  const api = client(url, OWNER_KEY);
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res: any = await api.get(`/v1/events?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status, 200, res.text);
    for (const e of res.body.data) if (e.type.startsWith('message.') || e.type.startsWith('conversation.')) ids.push(e.id);
    cursor = res.body.next_cursor;
  } while (cursor);
  return ids;
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

async function setUp(url: string, receiverUrl: string) {
  const api = client(url, OWNER_KEY);
  const wh = await api.post('/v1/webhooks', {
    url: receiverUrl + '/hook',
    events: ['message.*', 'conversation.*'],
    retry: { schedule: [1, 1, 1, 1, 1] },
    failure_threshold: 1000,
    max_in_flight: MAX_IN_FLIGHT,
  });
  assert.equal(wh.status, 201, wh.text);
  const conversations: string[] = [];
  for (let i = 0; i < 5; i++) {
    conversations.push((await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', context: {} })).body.id);
  }
  return conversations;
}

// A delivery arrives twice only when the process died before its outcome committed: its first
// arrival was then at most this long before a crash (the outcome batch's gathering, 25 ms, and its
// commit, on a machine the whole suite loads), or just after it (a request the process had
// written before it died still reaches the receiver, from the socket's buffer).
const UNRECORDED_WINDOW_MS = 3000;
const BUFFERED_AFTER_CRASH_MS = 1000;

function report(label: string, ids: string[], receiver: Receiver, crashedAt: number[]) {
  const missing = ids.filter((id) => !receiver.counts.has(id));
  const duplicated = new Set([...receiver.counts].filter(([, n]) => n > 1).map(([id]) => id));
  const duplicates = [...receiver.counts.values()].reduce((n, c) => n + (c - 1), 0);
  console.log(`${label}: ${ids.length} events committed, ${missing.length} missing, ${duplicates} duplicate arrivals after ${crashedAt.length} crashes`);
  assert.deepEqual(missing, [], 'every committed event reached the receiver');
  // Only attempts whose outcome a dead process had not committed can arrive twice.
  const unexplained = receiver.arrivals
    .filter((a) => a.attempt === 1 && duplicated.has(a.id))
    .filter((a) => !crashedAt.some((t) => a.at - t <= BUFFERED_AFTER_CRASH_MS && t - a.at <= UNRECORDED_WINDOW_MS))
    .map((a) => a.id);
  const when = (id: string) => receiver.arrivals.filter((a) => a.id === id).map((a) => a.at).join(' and ');
  assert.deepEqual(unexplained, [], `arrived twice though first delivered far from any crash (crashes at ${crashedAt.join(', ')}; arrivals at ${unexplained.map(when).join('; ')})`);
}

describe('crash recovery', () => {
  // The load runs all along, so any moment has deliveries in flight: a crash after 50-250 more
  // messages were committed since the last (re)start (seeded, the seed printed on failure) catches
  // some of them, however fast this machine is.
  it('SQLite: kill -9 of the server under load loses no committed event', () => seeded(async (random) => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-crash-'));
    const receiver = await startReceiver(() => ({ status: 200, delayMs: random.int(5) }));
    const env = { ...BASE_ENV, SWITCHBOARD_DATA_DIR: data };
    let server: ServerProcess | null = await startServerProcess([], env);
    let load: ReturnType<typeof startLoad> | null = null;
    try {
      const conversations = await setUp(server.url!, receiver.url);
      load = startLoad(() => server?.url ?? null, conversations);
      const crashedAt: number[] = [];
      for (let k = 0; k < 3; k++) {
        await load.more(50 + random.int(200));
        const s: ServerProcess = server!;
        server = null;
        crashedAt.push(Date.now());
        await s.crash();
        server = await startServerProcess([], env);
      }
      await load.more(50);
      await load.stop();
      const ids = await committedEventIds(server!.url!);
      assert.ok(ids.length > 100, `only ${ids.length} events`);
      await waitFor(() => ids.every((id) => receiver.counts.has(id)), 30_000);
      report('sqlite', ids, receiver, crashedAt);
      assert.equal(await server!.stop(), 0);
    } finally {
      // After a failure too: a load still posting, or a server still running, would keep the test alive.
      await load?.stop();
      await server?.stop();
      await receiver.close();
      fs.rmSync(data, { recursive: true, force: true });
    }
  }));

  it('SQLite: what the killed process had claimed is sent at once after the restart, with no lease to wait out', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-crash-'));
    // Hangs until the crash, so every delivery is claimed (in flight) when the process dies.
    let answer: 'hang' | 200 = 'hang';
    const receiver = await startReceiver(() => (answer === 'hang' ? 'hang' : { status: 200 }));
    // The default lease (60 s) plus the endpoint's timeout is what a written lease would make them wait.
    const env = { ...BASE_ENV, SWITCHBOARD_LEASE_SECONDS: '60', SWITCHBOARD_DATA_DIR: data };
    let server: ServerProcess | null = await startServerProcess([], env);
    try {
      const api = client(server.url!, OWNER_KEY);
      const wh = await api.post('/v1/webhooks', { url: receiver.url + '/hook', events: ['message.received'], timeout_ms: 30_000, max_in_flight: 4 });
      assert.equal(wh.status, 201, wh.text);
      const conversation = (await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', context: {} })).body.id;
      for (let i = 0; i < 10; i++) assert.equal((await api.post('/v1/messages', { conversation_id: conversation, direction: 'inbound', text: `m${i}` })).status, 201);
      // Four in flight (max_in_flight), the other six claimed and waiting in the worker.
      await receiver.waitForArrivals(4, 10_000);
      await server.crash();
      server = null;
      answer = 200;
      server = await startServerProcess([], env);
      const restarted = Date.now();
      await receiver.waitForArrivals(14, 15_000);
      assert.equal(new Set(receiver.arrivals.map((a) => a.id)).size, 10, 'every message was delivered after the restart');
      console.log(`sqlite: the 10 claimed deliveries arrived ${Date.now() - restarted} ms after the restart`);
    } finally {
      await server?.stop();
      await receiver.close();
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: kill -9 of one of two workers, several times, loses no committed event', () => seeded(async (random) => {
    const db = await createTestDatabase();
    const receiver = await startReceiver(() => ({ status: 200, delayMs: random.int(5) }));
    const env = { ...BASE_ENV, SWITCHBOARD_DATABASE_URL: db.url, SWITCHBOARD_MASTER_KEY: db.masterKey, SWITCHBOARD_DATA_DIR: os.tmpdir() };
    // Started together (concurrent starts on an empty database are safe, test/store/master-key.test.ts).
    const [api, ...workers] = await Promise.all([
      startServerProcess(['--role', 'api'], env),
      startServerProcess(['--role', 'worker'], env),
      startServerProcess(['--role', 'worker'], env),
    ]);
    try {
      const conversations = await setUp(api.url!, receiver.url);
      const load = startLoad(() => api.url, conversations);
      const crashedAt: number[] = [];
      for (let k = 0; k < 3; k++) {
        await load.more(50 + random.int(200));
        crashedAt.push(Date.now());
        await workers[0].crash();
        workers[0] = await startServerProcess(['--role', 'worker'], env);
      }
      await load.more(50);
      await load.stop();
      const ids = await committedEventIds(api.url!);
      assert.ok(ids.length > 100, `only ${ids.length} events`);
      await waitFor(() => ids.every((id) => receiver.counts.has(id)), 30_000);
      report('postgres', ids, receiver, crashedAt);
    } finally {
      await Promise.all([api.stop(), ...workers.map((w) => w.stop())]);
      await receiver.close();
      await db.drop();
    }
  }));
});
