import { before, after, beforeEach } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import type { StoreKind } from './server.ts';

/**
 * A store opened for the tests of one `describe`: a fresh SQLite folder or PostgreSQL database,
 * holding company `cmp_1`, emptied of deliveries and webhooks before each test and dropped after
 * the last. Read `database` inside the tests (it is opened in `before`).
 */
export function storeForTests(store: StoreKind, createdAt: string): { readonly database: Database } {
  let database: Database | null = null;
  let dir = '';
  let pgdb: TestDatabase | null = null;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-store-test-'));
    if (store === 'postgres') pgdb = await createTestDatabase();
    database = await openDatabase({ dataDir: dir, databaseUrl: pgdb?.url ?? null });
    await database.db.insertInto('companies').values({ id: 'cmp_1', name: 'one', created_at: createdAt } as never).execute();
  });
  after(async () => {
    await database?.close();
    await pgdb?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await database!.db.deleteFrom('deliveries').execute();
    await database!.db.deleteFrom('webhooks').execute();
  });
  return {
    get database() {
      return database!;
    },
  };
}
