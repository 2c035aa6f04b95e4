import pg from 'pg';
import crypto from 'node:crypto';

/** The server the PostgreSQL tests use; CI starts it. Tests fail (never skip) when it is absent. */
export const ADMIN_URL = process.env.SWITCHBOARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  /**
   * A fresh random SWITCHBOARD_MASTER_KEY for this database: every process started on it must be
   * given this one (PostgreSQL refuses to start without a key, and with another key than the first).
   */
  masterKey: string;
  drop(): Promise<void>;
}

/** Creates an empty database for one test file; `drop` removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = 'sb_test_' + crypto.randomBytes(6).toString('hex');
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    // One line that says how to fix it, in seconds, instead of a driver stack or a hang.
    await admin.end().catch(() => {});
    throw new Error(
      `PostgreSQL for the tests is not reachable at ${ADMIN_URL} (${(err as Error).message}); start it (pg_ctlcluster <version> main start, or docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres) or set SWITCHBOARD_TEST_DATABASE_URL`,
    );
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = '/' + name;
  return {
    url: url.toString(),
    masterKey: crypto.randomBytes(32).toString('base64'),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
