import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/store/database.ts';
import { fixedQuery } from '../../src/store/fixed-query.ts';

describe('fixed queries', () => {
  it('bind each named value where the builder put it, whatever the order of the names', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-fixed-'));
    const database = await openDatabase({ dataDir: dir, databaseUrl: null });
    try {
      const { db } = database;
      // Names listed in another order than the builder uses them.
      const insert = fixedQuery(['created_at', 'name', 'id'], (q, v) => q.insertInto('companies').values({ id: v.id, name: v.name, created_at: v.created_at }));
      const byName = fixedQuery(['name', 'id'], (q, v) => q.selectFrom('companies').select(['id', 'name']).where('id', '=', v.id).where('name', '=', v.name));
      await insert.execute(db, { id: 'co_1', name: 'one', created_at: '2026-01-01T00:00:00.000Z' });
      await database.transaction((trx) => insert.execute(trx, { id: 'co_2', name: 'two', created_at: '2026-01-02T00:00:00.000Z' }));
      assert.deepEqual((await byName.execute(db, { id: 'co_2', name: 'two' })).rows, [{ id: 'co_2', name: 'two' }]);
      assert.deepEqual((await byName.execute(db, { id: 'co_2', name: 'one' })).rows, []);
      const row = await db.selectFrom('companies').selectAll().where('id', '=', 'co_1').executeTakeFirstOrThrow();
      assert.deepEqual(row, { id: 'co_1', name: 'one', created_at: '2026-01-01T00:00:00.000Z' });
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuse a builder that does not bind every name exactly once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-fixed-'));
    const database = await openDatabase({ dataDir: dir, databaseUrl: null });
    try {
      const unused = fixedQuery(['id', 'name'], (q, v) => q.selectFrom('companies').selectAll().where('id', '=', v.id));
      await assert.rejects(unused.execute(database.db, { id: 'x', name: 'y' }), /every name must be bound exactly once/);
      const twice = fixedQuery(['id'], (q, v) => q.selectFrom('companies').selectAll().where('id', '=', v.id).where('name', '=', v.id));
      await assert.rejects(twice.execute(database.db, { id: 'x' }), /every name must be bound exactly once/);
      const literal = fixedQuery(['id'], (q, v) => q.selectFrom('companies').selectAll().where('id', '=', v.id).where('name', '=', 'fixed'));
      await assert.rejects(literal.execute(database.db, { id: 'x' }), /not a named stand-in/);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
