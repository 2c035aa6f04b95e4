import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase, StoreLockedError } from '../../src/store/database.ts';

describe('SQLite WAL checkpoints on their own thread', () => {
  it('copy committed pages back into the database file off the event loop once the WAL holds enough, and stop with the store', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-checkpoint-'));
    const database = await openDatabase({ dataDir: dir, databaseUrl: null, checkpointFrames: 20 });
    try {
      const checkpointer = database.checkpointer!;
      assert.ok(checkpointer, 'a SQLite store has a checkpointer');
      await once(checkpointer, 'ready');
      const ran = once(checkpointer, 'ran');
      for (let i = 0; i < 50; i++) {
        await database.transaction((trx) => trx.insertInto('companies').values({ id: `co_${i}`, name: 'x'.repeat(2000), created_at: '2026-01-01' }).execute());
      }
      const [{ log, checkpointed }] = (await ran) as [{ log: number; checkpointed: number }];
      // It waited for the threshold: the first checkpoint had at least that many pages to copy.
      assert.ok(log >= 20 && checkpointed > 0 && checkpointed <= log, JSON.stringify({ log, checkpointed }));
      // The main connection did not checkpoint: its backstop is far above what 50 rows write.
      const [{ wal_autocheckpoint }] = (await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(database.db)).rows;
      assert.ok(wal_autocheckpoint >= 10_000, String(wal_autocheckpoint));
    } finally {
      await database.close();
    }
    // Closed, the thread is gone and the data directory is free again.
    const again = await openDatabase({ dataDir: dir, databaseUrl: null });
    try {
      const rows = await again.db.selectFrom('companies').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(rows.n), 50);
    } finally {
      await again.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a store closed while its thread is still starting stops the thread there, without waiting for it to start', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-checkpoint-'));
    try {
      // A CLI command opens the store for a moment: closing must not wait for the thread to load
      // better-sqlite3 and open the database only to be told to stop.
      for (let i = 0; i < 3; i++) {
        const database = await openDatabase({ dataDir: dir, databaseUrl: null });
        let started = false;
        database.checkpointer!.on('ready', () => (started = true));
        await database.transaction((trx) => trx.insertInto('companies').values({ id: `co_${i}`, name: 'x', created_at: '2026-01-01' }).execute());
        await database.close();
        assert.equal(started, false, 'the thread was stopped before it started');
      }
      const again = await openDatabase({ dataDir: dir, databaseUrl: null });
      try {
        const rows = await again.db.selectFrom('companies').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(rows.n), 3, 'every write of the short-lived stores is there');
      } finally {
        await again.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leave the data directory to one store at a time (the lock file), while its database stays open to this process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-lock-'));
    const first = await openDatabase({ dataDir: dir, databaseUrl: null });
    try {
      await assert.rejects(openDatabase({ dataDir: dir, databaseUrl: null }), (err: unknown) => err instanceof StoreLockedError && /in use by another switchboard process/.test(err.message));
      // The refused open left the first store working.
      await first.transaction((trx) => trx.insertInto('companies').values({ id: 'co_1', name: 'one', created_at: '2026-01-01' }).execute());
    } finally {
      await first.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
