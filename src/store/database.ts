import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import type { Tables } from './tables.ts';
import { migrate } from './migrate.ts';
import { createGroupCommit } from './group-commit.ts';
import { startCheckpointer, type Checkpointer } from './checkpointer.ts';
import { HeldClaims } from './held-claims.ts';
import { ensurePrivateDir, ensurePrivateFile, tightenIfPresent } from './private-files.ts';
import { ARRAY_ROWS_PREFIX, EACH_ROW_PREFIX, PREPARED_PREFIX } from './sql/statement.ts';

export type DialectName = 'sqlite' | 'postgres';

/** An open store: the typed query builder plus what differs per dialect. */
export interface Database {
  db: Kysely<Tables>;
  dialect: DialectName;
  /** The PostgreSQL pool (LISTEN needs a raw client), null on SQLite. */
  pool: pg.Pool | null;
  /**
   * Runs `fn` in a transaction and resolves after its COMMIT. On SQLite, transactions waiting
   * together share one COMMIT (group-commit.ts); on PostgreSQL each has its own.
   */
  transaction<T>(fn: (trx: Transaction<Tables>) => Promise<T>): Promise<T>;
  /** SQLite's WAL checkpoints, on their own thread; null on PostgreSQL. */
  checkpointer: Checkpointer | null;
  /** SQLite: the delivery claims, held in memory (held-claims.ts); null on PostgreSQL, where a claim writes its lease. */
  claims: HeldClaims | null;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  dataDir: string;
  databaseUrl: string | null;
  sqliteSynchronous?: 'NORMAL' | 'FULL';
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** SQLite: WAL pages not yet in the database file that start a checkpoint (default 1,000; tests use fewer). */
  checkpointFrames?: number;
  /** Hears what fails off the request path (a WAL checkpoint), to log it. */
  onBackgroundError?: (err: Error) => void;
}

export class StoreLockedError extends Error {
  constructor(file: string) {
    super(`the data directory is in use by another switchboard process (${file} is locked); stop it or use another --data folder`);
    this.name = 'StoreLockedError';
  }
}

/** PostgreSQL cannot be reached or refuses us: a setting or a server the operator fixes. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects once before the pool is used, with a short timeout, so an unreachable host or a refused
 * login ends the start with one line that says what to fix, instead of a driver stack (or a hang).
 */
async function probePostgres(url: string): Promise<void> {
  let where = 'the database server';
  try {
    const u = new URL(url);
    where = `PostgreSQL at ${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    throw new StoreUnavailableError('the database URL is not a valid URL; write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE');
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const why =
      e.code === 'ECONNREFUSED' ? 'refused the connection (is it running, on that port?)'
      : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' ? 'has a host name that does not resolve'
      : e.code === '28000' || e.code === '28P01' ? `refused the login (${e.message}); put the user (and password) in the URL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`
      : e.code === '3D000' ? `has no such database (${e.message}); create it (createdb) or fix the URL`
      : /timeout|terminated/i.test(e.message ?? '') ? `did not answer within ${CONNECT_TIMEOUT_MS / 1000} s (wrong host, or a firewall)`
      : `could not be reached (${e.code ?? e.message})`;
    throw new StoreUnavailableError(`${where} ${why}; check SWITCHBOARD_DATABASE_URL or --database`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Opens the configured store and brings its schema up to date. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) await probePostgres(opts.databaseUrl);
  const database = opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.poolSize ?? 10) : openSqlite(opts);
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

// Above what the WAL reaches between restarts (wal_autocheckpoint's 32,000 pages), so the file is
// cut back only after a spike (a checkpoint kept from finishing by a long read), not every time.
const WAL_KEPT_BYTES = 256 * 1024 * 1024;

function openSqlite(opts: DatabaseOptions): Database {
  ensurePrivateDir(opts.dataDir);
  const file = path.join(opts.dataDir, 'switchboard.db');
  const lock = lockDataDir(path.join(opts.dataDir, 'switchboard.lock'));
  // SQLite would create the file 0644; made 0600 first, it also hands that mode to -wal and -shm.
  ensurePrivateFile(file);
  for (const extra of ['-wal', '-shm', '-journal']) tightenIfPresent(file + extra);
  let sqlite: SQLite.Database | null = null;
  try {
    sqlite = new SQLite(file);
    sqlite.pragma('busy_timeout = 1000');
    sqlite.pragma('journal_mode = WAL');
    // A process of an earlier version holds the database itself in exclusive locking mode, not
    // the lock file: this write fails while one runs.
    sqlite.exec('BEGIN IMMEDIATE; COMMIT;');
  } catch (err) {
    sqlite?.close();
    lock.release();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new StoreLockedError(file);
    throw err;
  }
  sqlite.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'NORMAL'}`);
  sqlite.pragma('foreign_keys = ON');
  // Every unit of a group commit runs in a SAVEPOINT, and SQLite keeps the pages a savepoint may
  // have to restore in a sub-journal: a temporary file by default, written page by page (about
  // three quarters of the store's writes under load). In memory they cost no system calls; they
  // hold only the pages one group touched, and the group's COMMIT makes the change durable anyway.
  sqlite.pragma('temp_store = MEMORY');
  // Checkpoints run on their own thread (checkpointer.ts) every 1,000 pages. The WAL file is reused
  // from its start only after a checkpoint that copied every page, and under steady writes the
  // thread's never do (pages keep arriving while it copies): the COMMIT that makes the WAL reach
  // this many pages (125 MiB) runs one itself, copying only what the thread has not, and the WAL
  // starts over. So the file grows to about this size and stays there. It is cut back only past
  // WAL_KEPT_BYTES: cutting it back to 64 MiB, done by the COMMIT that restarts the WAL, took that
  // COMMIT and the next 14-25 ms every 1.7 s at 1,000 messages/s (`latency` p99 20-30 ms; 9-11 ms
  // without it).
  sqlite.pragma('wal_autocheckpoint = 32000');
  sqlite.pragma(`journal_size_limit = ${WAL_KEPT_BYTES}`);
  sqlite.pragma('busy_timeout = 5000');
  const checkpointer = startCheckpointer(file, opts.checkpointFrames === undefined ? {} : { minFrames: opts.checkpointFrames });
  if (opts.onBackgroundError) checkpointer.on('failed', opts.onBackgroundError);
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const group = createGroupCommit(db);
  return {
    db,
    dialect: 'sqlite',
    pool: null,
    transaction: (fn) => group.run(fn),
    checkpointer,
    claims: new HeldClaims(),
    async close() {
      await checkpointer.close();
      try {
        await db.destroy();
      } finally {
        lock.release();
      }
    },
  };
}

/**
 * The data directory is one process's: a second server on the same folder would run its own
 * workers and group commits over the same rows. The lock is a small SQLite file held in exclusive
 * locking mode for the life of the process: the OS lock goes with the process, even after kill -9,
 * and the database itself stays open to the other connections of this process (checkpointer.ts).
 */
function lockDataDir(file: string): { release(): void } {
  ensurePrivateFile(file);
  const lockDb = new SQLite(file);
  try {
    lockDb.pragma('busy_timeout = 1000');
    lockDb.pragma('journal_mode = OFF');
    lockDb.pragma('locking_mode = EXCLUSIVE');
    // Exclusive from BEGIN on, and kept after COMMIT in this locking mode.
    lockDb.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (err) {
    lockDb.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new StoreLockedError(file);
    throw err;
  }
  return { release: () => lockDb.close() };
}

/**
 * Kysely prepares every query anew; preparing costs as much as running a small statement, and the
 * app issues the same few hundred SQL strings over and over. A bounded cache keyed by SQL text
 * makes repeats free. Safe because better-sqlite3 runs each statement to completion synchronously.
 */
function withStatementCache(sqlite: SQLite.Database, max = 500) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (!stmt) {
        if (text.startsWith(EACH_ROW_PREFIX)) stmt = eachRowStatement(sqlite.prepare(text));
        else if (text.startsWith(ARRAY_ROWS_PREFIX)) stmt = sqlite.prepare(text).raw(true);
        else stmt = sqlite.prepare(text);
        // Statements built with variable IN-lists make many distinct texts: keep the cache bounded.
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

/**
 * A statement marked with EACH_ROW_PREFIX (store/sql/statement.ts), shaped as better-sqlite3's for
 * kysely's SqliteConnection: its parameters are a list of tuples, each run in turn.
 */
function eachRowStatement(stmt: SQLite.Statement): SQLite.Statement {
  const each = {
    reader: stmt.reader,
    all(tuples: unknown[][]) {
      const rows: unknown[] = [];
      // A per-row statement returns at most one row; SQLite makes a statement's whole change in
      // its first step, RETURNING or not, so get() is complete.
      for (const t of tuples) {
        const r = stmt.get(t);
        if (r !== undefined) rows.push(r);
      }
      return rows;
    },
    run(tuples: unknown[][]) {
      let changes = 0;
      for (const t of tuples) changes += stmt.run(t).changes;
      return { changes, lastInsertRowid: 0 };
    },
  };
  return each as unknown as SQLite.Statement;
}

/**
 * Kysely sends every statement unnamed, so PostgreSQL parses and plans it each time. The queue's
 * hot statements (store/sql/) mark their text with PREPARED_PREFIX and a name: on each client of
 * the pool, such a text runs as a named prepared statement, which pg prepares once per connection.
 */
function preparesMarkedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (text: unknown, ...rest: unknown[]) => {
    if (typeof text === 'string' && text.startsWith(PREPARED_PREFIX) && Array.isArray(rest[0])) {
      const name = text.slice(PREPARED_PREFIX.length, text.indexOf('*/'));
      return query({ name, text, values: rest[0] }, ...rest.slice(1));
    }
    return query(text, ...rest);
  };
}

function openPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // int8 columns hold epoch milliseconds and counts, all far below 2^53: read them as numbers.
    // Set per pool, not on pg's global type registry.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client can lose its connection (server restart, admin termination); the pool replaces
  // it, and without a listener the 'error' event would crash the process.
  pool.on('error', () => {});
  pool.on('connect', preparesMarkedStatements);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    pool,
    transaction: (fn) => db.transaction().execute(fn),
    checkpointer: null,
    claims: null,
    close: () => db.destroy(),
  };
}
