import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/store/database.ts';
import { CompiledQuery } from 'kysely';
import { arrayRows, eachRow, run, runRows } from '../../src/store/sql/statement.ts';

describe('per-row SQLite statements (eachRow)', () => {
  it('run once per tuple in one call, adding up changes and returned rows, inside the caller\'s transaction', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-each-row-'));
    const database = await openDatabase({ dataDir: dir, databaseUrl: null });
    try {
      const insert = { sqlite: eachRow(`INSERT INTO companies (id, name, created_at) VALUES (?, ?, ?)`), postgres: 'unused' };
      const rename = { sqlite: eachRow(`UPDATE companies SET name = ? WHERE id = ? RETURNING id, name`), postgres: 'unused' };
      const inserted = await database.transaction((trx) =>
        run(trx, 'sqlite', insert, [['co_1', 'one', '2026-01-01'], ['co_2', 'two', '2026-01-02'], ['co_3', 'three', '2026-01-03']]));
      assert.equal(inserted.changes, 3);
      // A tuple that matches nothing returns no row; the others return theirs, in tuple order.
      const renamed = await run(database.db, 'sqlite', rename, [['uno', 'co_1'], ['none', 'co_9'], ['tres', 'co_3']]);
      assert.deepEqual(renamed.rows, [{ id: 'co_1', name: 'uno' }, { id: 'co_3', name: 'tres' }]);
      assert.equal((await run(database.db, 'sqlite', insert, [])).changes, 0);
      // A failing tuple fails the unit of work: the rows before it in the same call roll back with it.
      await assert.rejects(database.transaction((trx) => run(trx, 'sqlite', insert, [['co_4', 'four', 'x'], ['co_1', 'again', 'x']])), /UNIQUE/);
      const names = await database.db.selectFrom('companies').select(['id', 'name']).orderBy('id').execute();
      assert.deepEqual(names, [{ id: 'co_1', name: 'uno' }, { id: 'co_2', name: 'two' }, { id: 'co_3', name: 'tres' }]);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('array rows on SQLite (arrayRows)', () => {
  it('come from SQLite as arrays and reach the caller as objects named in column order; other statements keep object rows', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-array-rows-'));
    const database = await openDatabase({ dataDir: dir, databaseUrl: null });
    try {
      await database.db.insertInto('companies').values([{ id: 'co_1', name: 'one', created_at: 'a' }, { id: 'co_2', name: 'two', created_at: 'b' }] as never).execute();
      const stmt = arrayRows<{ name: string; id: string }>({ sqlite: `SELECT name, id FROM companies ORDER BY id`, postgres: 'unused' }, ['name', 'id']);
      assert.deepEqual(await runRows(database.db, 'sqlite', stmt, []), [{ name: 'one', id: 'co_1' }, { name: 'two', id: 'co_2' }]);
      const raw = await database.db.executeQuery(CompiledQuery.raw(stmt.sqlite, []));
      assert.deepEqual(raw.rows, [['one', 'co_1'], ['two', 'co_2']], 'SQLite hands over arrays');
      // The same SQL without the mark is another statement of the cache, with object rows.
      assert.deepEqual((await run(database.db, 'sqlite', { sqlite: `SELECT name, id FROM companies ORDER BY id`, postgres: 'unused' }, [])).rows[0], { name: 'one', id: 'co_1' });
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
