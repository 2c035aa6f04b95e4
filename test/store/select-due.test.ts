import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/store/database.ts';
import { storeForTests } from '../helpers/store.ts';
import { sql } from 'kysely';
import { selectDue, type SelectDueOptions } from '../../src/store/sql/select-due.ts';
import { leaseDeliveries } from '../../src/store/sql/lease-deliveries.ts';
import { claimDue, endClaims, holdsRow, isClaimed, releaseLeases, stillHeld } from '../../src/store/queue.ts';
import { STORES } from '../helpers/server.ts';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const STAMP = new Date(NOW).toISOString();

for (const store of STORES) describe(`due deliveries, leaving busy endpoints out (${store})`, () => {
  const fixture = storeForTests(store, STAMP);
  let database: Database;
  before(() => {
    database = fixture.database;
  });

  async function endpoint(id: string, status = 'active'): Promise<void> {
    await database.db
      .insertInto('webhooks')
      .values({
        id, company_id: 'cmp_1', url: 'https://example.test/hook', description: '', status, events: '[]', filter: null, auth: '{}', headers: '{}',
        retry: '{}', failure_threshold: 5, timeout_ms: 1000, ordering: 'none', max_in_flight: 16, rate_limit_per_s: null, setup_failure: 'continue',
        secret: 'x', created_at: STAMP, updated_at: STAMP,
      } as never)
      .execute();
  }
  /** Leases the rows as a claim does: written on PostgreSQL, held in memory on SQLite. */
  async function lease(ids: string[], now: number, until: number, trx = database.db): Promise<string[]> {
    if (!database.claims) return (await leaseDeliveries(trx, ids, now, until)).map((r) => r.id);
    const free = ids.filter((id) => !database.claims!.isHeld(id, now));
    const rows = await database.db.selectFrom('deliveries').select(['id', 'webhook_id']).where('id', 'in', free.length ? free : ['-']).execute();
    for (const r of rows) database.claims.hold(r.id, until, 0, r.webhook_id);
    return free;
  }
  /** selectDue as a claim calls it (on SQLite the claims held now are left out). */
  const due = (o: Omit<SelectDueOptions, 'held'>, db = database.db) => selectDue(db, database.dialect, { ...o, held: database.claims?.forClaim(o.now, false).held });
  let made = 0;
  /** `n` pending deliveries of `webhookId`, due from `dueFrom` on, one ms apart. */
  async function pending(webhookId: string, n: number, dueFrom: number, extra: Record<string, unknown> = {}): Promise<string[]> {
    const rows = Array.from({ length: n }, (_, i) => ({
      id: `dl_${String(made++).padStart(6, '0')}`, company_id: 'cmp_1', event_id: `ev_${made}`, webhook_id: webhookId,
      status: 'pending', attempt_count: 0, next_attempt_at: dueFrom + i, lease_until: null, created_at: STAMP, updated_at: STAMP, ...extra,
    }));
    for (let i = 0; i < rows.length; i += 500) await database.db.insertInto('deliveries').values(rows.slice(i, i + 500) as never).execute();
    return rows.map((r) => r.id);
  }

  test('without exclusions: the oldest due first, across endpoints, leased and future rows left out', async () => {
    await endpoint('wh_a');
    await endpoint('wh_b');
    const a = await pending('wh_a', 3, NOW - 100);
    const b = await pending('wh_b', 2, NOW - 150);
    await pending('wh_b', 2, NOW + 1000); // not due yet
    await pending('wh_a', 1, NOW - 500, { id: 'dl_leased', lease_until: NOW + 5000 }); // leased: due, and held
    const got = await due({ now: NOW, exclude: [], limit: 10 });
    assert.deepEqual(got.map((r) => r.id), [...b, ...a]);
    assert.deepEqual(got.map((r) => r.due_at), [NOW - 150, NOW - 149, NOW - 100, NOW - 99, NOW - 98]);
  });

  test('an endpoint left out whose backlog fills the front of the queue does not hide the endpoints behind it', async () => {
    await endpoint('wh_busy');
    await endpoint('wh_late');
    await endpoint('wh_later');
    await pending('wh_busy', 300, NOW - 10_000);
    const late = await pending('wh_late', 3, NOW - 50);
    const later = await pending('wh_later', 2, NOW - 40);
    // The front read is smaller than the busy endpoint's backlog: the others are behind it.
    const got = await due({ now: NOW, exclude: ['wh_busy'], limit: 10, frontRows: 64 });
    assert.deepEqual(got.map((r) => r.id), [...late, ...later], 'every due row of the others, oldest first');
    const some = await due({ now: NOW, exclude: ['wh_busy'], limit: 4, frontRows: 64 });
    assert.deepEqual(some.map((r) => r.id), [...late, later[0]], 'at most the limit');
    const none = await due({ now: NOW, exclude: ['wh_busy', 'wh_late', 'wh_later'], limit: 10, frontRows: 64 });
    assert.deepEqual(none, [], 'nothing when every endpoint with work is left out');
  });

  test('rows of other endpoints inside the front come from the front, and their older rows first', async () => {
    await endpoint('wh_busy');
    await endpoint('wh_mixed');
    await pending('wh_busy', 40, NOW - 10_000);
    const mixed = await pending('wh_mixed', 5, NOW - 9_000);
    const got = await due({ now: NOW, exclude: ['wh_busy'], limit: 3, frontRows: 64 });
    assert.deepEqual(got.map((r) => r.id), mixed.slice(0, 3));
    // A front smaller than the backlog, with the other endpoint's first rows inside it: still the oldest three.
    const small = await due({ now: NOW, exclude: ['wh_busy'], limit: 3, frontRows: 42 });
    assert.deepEqual(small.map((r) => r.id), mixed.slice(0, 3));
  });

  test('an inactive endpoint behind the front still shows up, so the claim parks its rows', async () => {
    await endpoint('wh_busy');
    await endpoint('wh_off', 'disabled');
    await pending('wh_busy', 100, NOW - 10_000);
    const off = await pending('wh_off', 2, NOW - 10);
    const got = await due({ now: NOW, exclude: ['wh_busy'], limit: 10, frontRows: 16 });
    assert.deepEqual(got.map((r) => [r.id, r.webhook_status]), off.map((id) => [id, 'disabled']));
  });

  test('a leased row keeps its place: left out while the lease runs, due first again when it has run out', async () => {
    await endpoint('wh_a');
    const rows = await pending('wh_a', 4, NOW - 100);
    const leased = await lease(rows.slice(0, 2), NOW, NOW + 5000);
    assert.deepEqual(leased.sort(), rows.slice(0, 2));
    const held = await due({ now: NOW, exclude: [], limit: 10 });
    assert.deepEqual(held.map((r) => r.id), rows.slice(2));
    const again = await lease(rows.slice(0, 2), NOW + 1, NOW + 6000);
    assert.deepEqual(again, [], 'a row under a live lease is not leased twice');
    // Its worker died: the rows are due again, in their old place (a lease leaves next_attempt_at as it was).
    const after = await due({ now: NOW + 5001, exclude: [], limit: 10 });
    assert.deepEqual(after.map((r) => [r.id, r.due_at]), rows.map((id, i) => [id, NOW - 100 + i]));
  });

  test('a claim holds its deliveries until it ends: the next claim takes the rows after them; given back, they are due in their place', async () => {
    await endpoint('wh_a');
    const rows = await pending('wh_a', 6, NOW - 100);
    const claim = (now: number) => claimDue(database, { now, limit: 3, leaseMs: 1000, exclude: [], room: () => 100 });
    const first = await claim(NOW);
    assert.deepEqual(first.claimed.map((c) => c.id), rows.slice(0, 3));
    if (store === 'sqlite') {
      // It read four (the scan reads a quarter more) and took three: the next claim reads from the
      // fourth on and has no held row to list.
      assert.deepEqual(database.claims!.forClaim(NOW, true), { floor: { dueAt: NOW - 97, webhookId: 'wh_a', id: rows[3] }, held: [] });
    }
    const second = await claim(NOW);
    assert.deepEqual(second.claimed.map((c) => c.id), rows.slice(3), 'the first claim still holds its rows');
    const lease = NOW + 1000 + 1000; // leaseMs + the endpoint's timeout
    assert.ok(first.claimed.every((c) => c.lease_until === lease));
    const stored = await database.db.selectFrom('deliveries').select(['id', 'lease_until', 'next_attempt_at']).orderBy('id').execute();
    if (store === 'sqlite') {
      // Held in memory: the rows are as they were.
      assert.deepEqual(stored.map((r) => [r.lease_until, Number(r.next_attempt_at)]), rows.map((_, i) => [null, NOW - 100 + i]));
    } else assert.ok(stored.every((r) => Number(r.lease_until) === lease), 'PostgreSQL writes the lease');
    const row = (id: string) => stored.find((r) => r.id === id)!;
    assert.equal(isClaimed(database, { id: rows[0]!, status: 'pending', lease_until: row(rows[0]!).lease_until }, NOW), true);
    assert.equal(holdsRow(database, first.claimed[0]!, { status: 'pending', lease_until: row(rows[0]!).lease_until }), true);
    assert.deepEqual(stillHeld(database, first.claimed).map((c) => c.id), rows.slice(0, 3));

    await releaseLeases(database, first.claimed, NOW - 100);
    assert.deepEqual((await claim(NOW)).claimed.map((c) => c.id), rows.slice(0, 3), 'given back: due again, first');

    // The lease ran out (its worker lost track of it): a new claim takes the rows, and the old
    // claim no longer holds them.
    const later = await claim(lease + 1);
    assert.deepEqual(later.claimed.map((c) => c.id), rows.slice(0, 3));
    if (store === 'sqlite') {
      assert.deepEqual(stillHeld(database, second.claimed), [], 'an expired claim holds nothing');
      assert.equal(holdsRow(database, first.claimed[0]!, { status: 'pending', lease_until: null }), false);
      assert.equal(holdsRow(database, later.claimed[0]!, { status: 'pending', lease_until: null }), true);
      endClaims(database, first.claimed); // an old claim's end leaves the new one alone
      assert.equal(holdsRow(database, later.claimed[0]!, { status: 'pending', lease_until: null }), true);
      endClaims(database, later.claimed);
      assert.equal(isClaimed(database, { id: rows[0]!, status: 'pending', lease_until: null }, lease + 1), false);
    }
  });

  test('a backlog due in one millisecond: each claim takes the rows after the last one, listing none of those held', async () => {
    await endpoint('wh_a');
    await endpoint('wh_b');
    // Due after the rows of the tests before (their claims' floor), as a writer stamps them.
    const dueAt = NOW + 50;
    const now = NOW + 100;
    const a = await pending('wh_a', 5, dueAt, { next_attempt_at: dueAt });
    const b = await pending('wh_b', 5, dueAt, { next_attempt_at: dueAt });
    const claim = () => claimDue(database, { now, limit: 4, leaseMs: 1000, exclude: [], room: () => 100 });
    const taken: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await claim();
      taken.push(...c.claimed.map((d) => d.id));
      if (store === 'sqlite' && i === 0) {
        // It read five (a quarter more) and took four: the floor is the fifth, in the index's
        // order (due time, endpoint, id), and none of the four held is listed.
        assert.deepEqual(database.claims!.forClaim(now, true), { floor: { dueAt, webhookId: 'wh_a', id: a[4] }, held: [] });
      }
    }
    assert.deepEqual(taken, [...a, ...b], 'in place order, each row once');
    assert.equal((await claim()).claimed.length, 0);
    if (database.claims) for (const id of taken) database.claims.release(id, now + 2000);
  });

  test('an endpoint behind the front whose oldest rows are leased is asked for the rows it can give', async () => {
    await endpoint('wh_busy');
    await endpoint('wh_late');
    await pending('wh_busy', 100, NOW - 10_000);
    const late = await pending('wh_late', 4, NOW - 50);
    await lease(late.slice(0, 2), NOW, NOW + 5000);
    const got = await due({ now: NOW, exclude: ['wh_busy'], limit: 10, frontRows: 16 });
    assert.deepEqual(got.map((r) => r.id), late.slice(2));
  });

  if (store === 'postgres') test('a lease writes no index entry: PostgreSQL makes it a HOT update', async () => {
    await endpoint('wh_a');
    const rows = await pending('wh_a', 200, NOW - 1000);
    await database.db.transaction().execute(async (trx) => {
      // The backend's counts not yet flushed from earlier transactions show up too: compare.
      const counts = async () => {
        const { rows: [r] } = await sql<{ upd: string; hot: string }>`SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_xact_user_tables WHERE relname = 'deliveries'`.execute(trx);
        return { upd: Number(r!.upd), hot: Number(r!.hot) };
      };
      const before = await counts();
      assert.equal((await leaseDeliveries(trx, rows, NOW, NOW + 5000)).length, 200);
      const after = await counts();
      assert.equal(after.upd - before.upd, 200);
      // A row whose page has no room left for its new version is the exception (the lease
      // version is 8 bytes longer): the fillfactor leaves room for nearly all of them.
      assert.ok(after.hot - before.hot >= 180, `${after.hot - before.hot} of 200 leases were HOT updates`);
    });
  });

  if (store === 'postgres') test('a claim in progress holds its candidates: a concurrent one reads the rows after them', async () => {
    await endpoint('wh_a');
    await endpoint('wh_busy');
    const rows = await pending('wh_a', 10, NOW - 100);
    await database.db.transaction().execute(async (trx) => {
      const first = await due({ now: NOW, exclude: [], limit: 4 }, trx);
      assert.deepEqual(first.map((r) => r.id), rows.slice(0, 4));
      // Another connection of the pool, as another worker's claim would be.
      const other = await due({ now: NOW, exclude: [], limit: 4 });
      assert.deepEqual(other.map((r) => r.id), rows.slice(4, 8));
      // So do the forms that leave endpoints out (the front is read from the index, then by id or per endpoint).
      const byIds = await due({ now: NOW, exclude: ['wh_busy'], limit: 4, frontRows: 64 });
      assert.deepEqual(byIds.map((r) => r.id), rows.slice(4, 8));
      const perEndpoint = await due({ now: NOW, exclude: ['wh_busy'], limit: 4, frontRows: 4 });
      assert.deepEqual(perEndpoint.map((r) => r.id), rows.slice(4, 8));
    });
    const after = await due({ now: NOW, exclude: [], limit: 4 });
    assert.deepEqual(after.map((r) => r.id), rows.slice(0, 4), 'the locks go with the transaction');
  });
});
