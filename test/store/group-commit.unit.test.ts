import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../../src/store/database.ts';

describe('SQLite group commit', () => {
  it('commits the units that succeed, rolls back alone each one that throws, and answers after the commit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-group-'));
    const database = await openDatabase({ dataDir: dir, databaseUrl: null });
    try {
      const { db } = database;
      const now = new Date().toISOString();
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          database.transaction(async (trx) => {
            await trx.insertInto('companies').values({ id: `co_g${i}`, name: `g${i}`, created_at: now }).execute();
            // Every third unit writes, then fails: its write must vanish, nobody else's.
            if (i % 3 === 0) throw new Error(`unit ${i} failed`);
            // A unit that breaks a constraint is rolled back alone too.
            if (i === 10) await trx.insertInto('companies').values({ id: 'co_g1', name: 'dup', created_at: now }).execute();
            return i;
          }),
        ),
      );
      const ok = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      const expected = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 3 !== 0 && i !== 10);
      assert.deepEqual(ok, expected);
      assert.deepEqual(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])), expected);
      assert.match(String((results[3] as PromiseRejectedResult).reason), /unit 3 failed/);
      assert.match(String((results[10] as PromiseRejectedResult).reason), /UNIQUE/);
      const rows = await db.selectFrom('companies').select('id').where('id', 'like', 'co_g%').orderBy('id').execute();
      assert.deepEqual(rows.map((r) => r.id).sort(), expected.map((i) => `co_g${i}`).sort());
      // The store is usable afterwards, outside any savepoint.
      const { rows: count } = await sql<{ c: number }>`SELECT count(*) AS c FROM companies`.execute(db);
      assert.ok(count[0].c >= expected.length);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('groups units that wait together into fewer transactions', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-group-'));
    const database = await openDatabase({ dataDir: dir, databaseUrl: null });
    try {
      const now = new Date().toISOString();
      let begins = 0;
      const seen = new Set<unknown>();
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          database.transaction(async (trx) => {
            // The same transaction object across units means they shared BEGIN ... COMMIT.
            if (!seen.has(trx)) {
              seen.add(trx);
              begins++;
            }
            await trx.insertInto('companies').values({ id: `co_h${i}`, name: `h${i}`, created_at: now }).execute();
          }),
        ),
      );
      assert.ok(begins < 10, `${begins} transactions for 100 units`);
      const n = await database.db.selectFrom('companies').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'like', 'co_h%').executeTakeFirstOrThrow();
      assert.equal(Number(n.n), 100);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
