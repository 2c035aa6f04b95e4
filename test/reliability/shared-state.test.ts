import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { ADMIN_TOKEN, client, OWNER_KEY, type Client } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Two `serve` processes on one PostgreSQL: what one process counts, the other must see. Each limit
 * kept in a process's memory would let twice as much through here.
 */
describe('state shared by two processes on one PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let procs: ServerProcess[] = [];
  let failing: Receiver;

  before(async () => {
    db = await createTestDatabase();
    failing = await startReceiver(() => ({ status: 500 }));
    const env = {
      SWITCHBOARD_DATABASE_URL: db.url,
      SWITCHBOARD_MASTER_KEY: db.masterKey,
      SWITCHBOARD_BOOTSTRAP_KEY: OWNER_KEY,
      SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
      SWITCHBOARD_ALLOW_HTTP: 'true',
      SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128',
      SWITCHBOARD_RATE_LIMIT: '5',
    };
    procs = await Promise.all([startServerProcess([], env), startServerProcess([], env)]);
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await failing.close();
    await db.drop();
  });

  /**
   * A new company's owner key, as a client of each process: its rate-limit bucket is new, so each
   * test starts with the whole burst without waiting for an old bucket to refill. (The admin token
   * that creates it is not rate-limited.)
   */
  async function fresh(): Promise<[Client, Client]> {
    const res = await client(procs[0].url!, ADMIN_TOKEN).post('/v1/companies', { name: 'shared' });
    assert.equal(res.status, 201, res.text);
    return [client(procs[0].url!, res.body.key.key), client(procs[1].url!, res.body.key.key)];
  }

  it('rate-limits one key across both processes', async () => {
    const [a, b] = await fresh();
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).get('/v1/users')));
    const elapsedS = (Date.now() - t0) / 1000;
    const ok = answers.filter((r) => r.status === 200).length;
    const limited = answers.filter((r) => r.status === 429);
    // A burst of 10 plus 5 per second for the whole key, not per process.
    assert.ok(ok <= 10 + Math.ceil(5 * elapsedS) + 1, `${ok} of 40 passed in ${elapsedS} s`);
    assert.ok(ok >= 10, `${ok} passed`);
    assert.ok(limited.length > 0);
    for (const r of limited) assert.equal(r.body.error.type, 'rate_limited');
  });

  it('runs an idempotent POST once whichever process receives the repeat', async () => {
    const [a, b] = await fresh();
    const key = { 'idempotency-key': 'shared-1' };
    const first = await a.post('/v1/users', { name: 'Shared once' }, key);
    assert.equal(first.status, 201, first.text);
    const again = await b.post('/v1/users', { name: 'Shared once' }, key);
    assert.equal(again.status, 201, again.text);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    assert.equal((await b.post('/v1/users', { name: 'Other body' }, key)).status, 409);

    // Both at once: one creates, the other replays or is told the first is still running.
    const both = await Promise.all([a, b].map((c) => c.post('/v1/users', { name: 'Raced' }, { 'idempotency-key': 'shared-2' })));
    for (const r of both) assert.ok([201, 409].includes(r.status), r.text);
    // Six requests so far: within the burst of 10.
    const users = await a.get('/v1/users?limit=100');
    assert.equal(users.status, 200, users.text);
    assert.equal(users.body.data.filter((u: any) => u.name === 'Raced').length, 1);
    assert.equal(users.body.data.filter((u: any) => u.name === 'Shared once').length, 1);
  });

  it('counts endpoint failures in one place: the endpoint fails once, at the threshold', async () => {
    const [a, b] = await fresh();
    const wh = await a.post('/v1/webhooks', { url: `${failing.url}/fail`, events: ['user.created'], failure_threshold: 4 });
    assert.equal(wh.status, 201, wh.text);
    for (const [i, c] of [a, b, a, b].entries()) assert.equal((await c.post('/v1/users', { name: `F${i}` })).status, 201);
    let status = '';
    // Polled slower than the bucket refills (5 a second), so the polls never empty it.
    for (let i = 0; i < 60 && status !== 'failed'; i++) {
      await sleep(250);
      status = (await (i % 2 ? a : b).get(`/v1/webhooks/${wh.body.id}`)).body.status;
    }
    assert.equal(status, 'failed');
    const events = await a.get('/v1/events?type=webhook.failed&limit=100');
    assert.equal(events.status, 200, events.text);
    assert.equal(events.body.data.filter((e: any) => e.data.webhook.id === wh.body.id).length, 1, 'webhook.failed emitted once');
  });
});
