import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { migrate, TYPES } from '../../src/store/migrate.ts';
import { MIGRATIONS } from '../../src/store/migrations/ddl.ts';
import { addToRollup, failingEndpoints, pruneRollup, rollupSlots, type RolledAttempt } from '../../src/store/attempt-rollup.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { STORES } from '../helpers/server.ts';

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0); // a whole hour
const MIN = 60_000;

for (const store of STORES) describe(`attempt rollup (${store})`, () => {
  let database: Database;
  let dir: string;
  let pgdb: TestDatabase | null = null;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-rollup-'));
    if (store === 'postgres') pgdb = await createTestDatabase();
    database = await openDatabase({ dataDir: dir, databaseUrl: pgdb?.url ?? null });
  });
  after(async () => {
    await database.close();
    await pgdb?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const a = (webhookId: string, atMs: number, durationMs: number, outcome: RolledAttempt['outcome'], companyId = 'cmp_A'): RolledAttempt => ({ companyId, webhookId, atMs, durationMs, outcome });

  test('each attempt is added to its minute, quarter hour and hour; batches add up', async () => {
    await database.transaction((trx) =>
      addToRollup(trx, [a('wh_1', T0 + 5 * MIN, 10, 'succeeded'), a('wh_1', T0 + 5 * MIN + 30_000, 300, 'retrying'), a('wh_2', T0 + 20 * MIN, 5000, 'failed'), a('wh_1', T0, 10, 'succeeded', 'cmp_B')]),
    );
    // A second batch on the same rows: the upsert adds, it does not overwrite.
    await database.transaction((trx) => addToRollup(trx, [a('wh_1', T0 + 5 * MIN, 20, 'succeeded')]));
    const from = T0 / MIN;
    const minutes = await rollupSlots(database.db, 'cmp_A', from, 1);
    assert.deepEqual(
      minutes.map((s) => [s.at, s.succeeded, s.retrying, s.failed]).sort((x, y) => x[0]! - y[0]!),
      [[T0 + 5 * MIN, 2, 1, 0], [T0 + 20 * MIN, 0, 0, 1]],
    );
    const quarters = await rollupSlots(database.db, 'cmp_A', from, 15);
    assert.deepEqual(quarters.map((s) => [s.at, s.succeeded + s.retrying + s.failed]).sort((x, y) => x[0]! - y[0]!), [[T0, 3], [T0 + 15 * MIN, 1]]);
    const [hour] = await rollupSlots(database.db, 'cmp_A', from, 60);
    assert.equal(hour!.at, T0);
    assert.deepEqual(hour!.histogram, [2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0], '10, 20 ms ≤ 25; 300 ≤ 400; 5000 ≤ 6000');
    const one = await rollupSlots(database.db, 'cmp_A', from, 60, 'wh_2');
    assert.deepEqual(one.map((s) => s.failed), [1]);
    assert.deepEqual(await rollupSlots(database.db, 'cmp_A', from + 60, 60), [], 'nothing from a later hour on');
    assert.deepEqual(
      await failingEndpoints(database.db, 'cmp_A', from, 60, 5),
      [{ webhook_id: 'wh_1', failed: 0, retrying: 1, total: 3 }, { webhook_id: 'wh_2', failed: 1, retrying: 0, total: 1 }],
      'equally failing endpoints in id order',
    );
    assert.equal((await rollupSlots(database.db, 'cmp_B', from, 1)).length, 1, 'companies are apart');
  });

  test('a batch wider than one statement is written whole', async () => {
    // 700 endpoints × 3 grains = 2,100 rows: several multi-row statements.
    const batch = Array.from({ length: 700 }, (_, i) => a(`wh_many_${String(i).padStart(3, '0')}`, T0 + 2 * 3600_000, 30, 'succeeded', 'cmp_C'));
    await database.transaction((trx) => addToRollup(trx, batch));
    const [s] = await rollupSlots(database.db, 'cmp_C', T0 / MIN, 60);
    assert.equal(s!.succeeded, 700);
    assert.deepEqual(s!.histogram.slice(0, 2), [0, 700]);
  });

  test('migration 0009 carries the per-minute rows of 0008 into all three grains (and adds webhooks.body_format)', async () => {
    const { db, dialect } = database;
    // Back to the schema of 0008: the old table with rows in it, 0009 not applied.
    await sql`DROP TABLE attempt_rollup`.execute(db);
    await sql`ALTER TABLE webhooks DROP COLUMN body_format`.execute(db);
    await sql`DELETE FROM schema_migrations WHERE id = '0009_overview_grains_body_format'`.execute(db);
    for (const st of MIGRATIONS.find((m) => m.id === '0008_console_overview')!.statements(TYPES[dialect])) await sql.raw(st).execute(db);
    const m = T0 / MIN;
    await sql`INSERT INTO attempt_minutes (company_id, webhook_id, minute, succeeded, retrying, failed, l0, l3) VALUES
      ('cmp_M', 'wh_1', ${m + 1}, 2, 0, 0, 2, 0), ('cmp_M', 'wh_1', ${m + 16}, 1, 1, 0, 1, 1), ('cmp_M', 'wh_1', ${m + 61}, 0, 0, 3, 0, 3)`.execute(db);
    assert.deepEqual(await migrate(database), ['0009_overview_grains_body_format']);
    const counts = async (grain: 1 | 15 | 60) => (await rollupSlots(db, 'cmp_M', m, grain)).map((s) => [s.at - T0, s.succeeded, s.retrying, s.failed, s.histogram[3]]).sort((x, y) => x[0]! - y[0]!);
    assert.deepEqual(await counts(1), [[1 * MIN, 2, 0, 0, 0], [16 * MIN, 1, 1, 0, 1], [61 * MIN, 0, 0, 3, 3]]);
    assert.deepEqual(await counts(15), [[0, 2, 0, 0, 0], [15 * MIN, 1, 1, 0, 1], [60 * MIN, 0, 0, 3, 3]]);
    assert.deepEqual(await counts(60), [[0, 3, 1, 0, 1], [60 * MIN, 0, 0, 3, 3]]);
    await assert.rejects(sql`SELECT count(*) FROM attempt_minutes`.execute(db), 'the old table is gone');
  });
  test('pruning drops the rows no overview range reaches, grain by grain, for every company', async () => {
    const now = T0 + 30 * 24 * 60 * MIN; // a month on: everything above is long gone
    const ago = (minutes: number) => now - minutes * MIN;
    await database.transaction((trx) =>
      addToRollup(trx, [
        a('wh_p', ago(30), 10, 'succeeded', 'cmp_P'), // every grain keeps it
        a('wh_p', ago(3 * 60), 10, 'succeeded', 'cmp_P'), // minute row gone, quarter hour and hour kept
        a('wh_p', ago(3 * 24 * 60), 10, 'failed', 'cmp_Q'), // only the hour row is kept
        a('wh_p', ago(9 * 24 * 60), 10, 'failed', 'cmp_Q'), // nothing kept
      ]),
    );
    const deleted = await pruneRollup(database.db, now);
    const left = async (company: string, grain: 1 | 15 | 60) => (await rollupSlots(database.db, company, 0, grain)).filter((s) => s.at > now - 10 * 24 * 60 * MIN).length;
    assert.deepEqual([await left('cmp_P', 1), await left('cmp_P', 15), await left('cmp_P', 60)], [1, 2, 2]);
    assert.deepEqual([await left('cmp_Q', 1), await left('cmp_Q', 15), await left('cmp_Q', 60)], [0, 0, 1]);
    assert.ok(deleted >= 1 + 2 + 3, `deleted ${deleted}`);
    assert.equal(await pruneRollup(database.db, now), 0, 'a second prune finds nothing');
    // What the overview's ranges read is untouched: the last hour per minute.
    assert.equal((await rollupSlots(database.db, 'cmp_P', Math.floor(ago(60) / MIN), 1)).length, 1);
  });
});
