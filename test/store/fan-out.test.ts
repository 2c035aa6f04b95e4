import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/store/database.ts';
import { storeForTests } from '../helpers/store.ts';
import { fanOut } from '../../src/store/fan-out.ts';
import { createIdFactory } from '../../src/domain/ids.ts';
import type { EventT } from '../../src/domain/schemas.ts';
import { STORES } from '../helpers/server.ts';

const STAMP = new Date(Date.UTC(2026, 11, 8, 2, 0, 0)).toISOString();

for (const store of STORES) describe(`fan-out (${store})`, () => {
  const fixture = storeForTests(store, STAMP);
  let database: Database;
  before(() => {
    database = fixture.database;
  });
  const newId = createIdFactory();

  async function endpoint(id: string, ordering: 'none' | 'conversation'): Promise<void> {
    await database.db
      .insertInto('webhooks')
      .values({
        id, company_id: 'cmp_1', url: 'https://example.test/hook', description: '', status: 'active', events: '["*"]', filter: null, auth: '{}', headers: '{}',
        retry: '{}', failure_threshold: 5, timeout_ms: 1000, ordering, max_in_flight: 16, rate_limit_per_s: null, setup_failure: 'continue',
        secret: 'x', created_at: STAMP, updated_at: STAMP,
      } as never)
      .execute();
  }
  const event = (sequence: number | null): EventT =>
    ({ id: newId('evt'), type: sequence === null ? 'user.created' : 'message.received', company_id: 'cmp_1', created_at: STAMP, sequence, data: {} }) as unknown as EventT;
  const flags = async () =>
    (await database.db.selectFrom('deliveries').select(['webhook_id', 'ordered']).orderBy('webhook_id').execute()).map((r) => [r.webhook_id, Number(r.ordered)]);

  test("a delivery is queued in order when its endpoint orders by conversation and the event has a conversation and a sequence", async () => {
    await endpoint('wh_a_ordered', 'conversation');
    await endpoint('wh_b_any', 'none');
    // One INSERT for both rows: each gives every column.
    assert.equal(await fanOut(database.db, { newId }, event(2), 'conv_1'), 2);
    assert.deepEqual(await flags(), [['wh_a_ordered', 1], ['wh_b_any', 0]]);
    await database.db.deleteFrom('deliveries').execute();
    assert.equal(await fanOut(database.db, { newId }, event(null), null), 2);
    assert.deepEqual(await flags(), [['wh_a_ordered', 0], ['wh_b_any', 0]], 'no sequence, no order');
  });
});
