import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/store/database.ts';
import { deliveryLogQuery, listDeliveries } from '../../src/store/deliveries.ts';
import { storeForTests } from '../helpers/store.ts';
import { STORES } from '../helpers/server.ts';

const STAMP = new Date(Date.UTC(2026, 11, 8, 3, 0, 0)).toISOString();

for (const store of STORES) describe(`an endpoint's delivery log (${store})`, () => {
  const fixture = storeForTests(store, STAMP);
  let database: Database;
  before(() => {
    database = fixture.database;
  });

  test('a failure log reads the failed deliveries alone, newest first', async () => {
    const { db } = database;
    await db
      .insertInto('webhooks')
      .values({
        id: 'wh_a', company_id: 'cmp_1', url: 'https://example.test/hook', description: '', status: 'active', events: '["*"]', filter: null, auth: '{}', headers: '{}',
        retry: '{}', failure_threshold: 5, timeout_ms: 1000, ordering: 'none', max_in_flight: 16, rate_limit_per_s: null, setup_failure: 'continue',
        secret: 'x', created_at: STAMP, updated_at: STAMP,
      } as never)
      .execute();
    const n = 400;
    const id = (i: number) => `dlv_${String(i).padStart(6, '0')}`;
    const failed = new Set([3, 250]);
    await db.insertInto('events').values(Array.from({ length: n }, (_, i) => ({ id: `evt_${i}`, company_id: 'cmp_1', type: 'user.created', conversation_id: null, sequence: null, payload: '{}', created_at: STAMP, target_webhook_id: null })) as never).execute();
    await db
      .insertInto('deliveries')
      .values(Array.from({ length: n }, (_, i) => ({ id: id(i), company_id: 'cmp_1', event_id: `evt_${i}`, webhook_id: 'wh_a', conversation_id: null, sequence: null, status: failed.has(i) ? 'failed' : 'succeeded', attempt_count: 1, next_attempt_at: null, created_at: STAMP, updated_at: STAMP })) as never)
      .execute();
    const page = await listDeliveries(db, 'cmp_1', 'wh_a', 'failed', 10);
    assert.deepEqual(page.map((d) => d.id), [id(250), id(3)]);
    assert.deepEqual((await listDeliveries(db, 'cmp_1', 'wh_a', 'failed', 10, id(250))).map((d) => d.id), [id(3)], 'the next page');
    assert.equal((await listDeliveries(db, 'cmp_1', 'wh_a', undefined, 10)).length, 10);
    if (store === 'sqlite') {
      const q = deliveryLogQuery(db, 'cmp_1', 'wh_a', 'failed', 10).compile();
      // The statement as compiled, with its bound status: SQLite plans for the bound value.
      const bound = await db.executeQuery({ ...q, sql: 'EXPLAIN QUERY PLAN ' + q.sql });
      const details = (bound.rows as { detail: string }[]).map((r) => r.detail).join(' | ');
      assert.match(details, /USING INDEX deliveries_failed/, details);
    }
  });
});
