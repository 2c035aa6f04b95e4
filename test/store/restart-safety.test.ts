import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../helpers/postgres.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/switchboard.js');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a child process; resolves when it prints `until` or exits. */
function run(args: string[], env: Record<string, string>, until?: RegExp): Promise<Exit & { kill(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const kill = async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    };
    const timer = setTimeout(() => reject(new Error(`timeout; stdout=${stdout} stderr=${stderr}`)), 30_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (until && until.test(stdout)) {
        clearTimeout(timer);
        resolve({ code: null, stdout, stderr, kill });
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, kill });
    });
  });
}

describe('restart safety', () => {
  it('locks the SQLite data directory against a second process, with a clear error', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-lock-'));
    const env = { SWITCHBOARD_DATA_DIR: data, SWITCHBOARD_PORT: '0', SWITCHBOARD_LOG_LEVEL: 'warn' };
    const first = await run(['serve'], env, /listening on/);
    try {
      assert.match(first.stdout, /owner API key, shown once/);
      const second = await run(['serve'], env);
      assert.equal(second.code, 2);
      assert.match(second.stderr, /in use by another switchboard process/);
    } finally {
      await first.kill();
    }
    // the lock goes with the process: a new one starts, and does not bootstrap again
    const third = await run(['serve'], env, /listening on/);
    assert.doesNotMatch(third.stdout, /shown once/);
    await third.kill();
    fs.rmSync(data, { recursive: true, force: true });
  });

  it('applies PostgreSQL migrations once when three processes start together', async () => {
    const db = await createTestDatabase();
    try {
      const results = await Promise.all(
        [1, 2, 3].map(() => run(['migrate'], { SWITCHBOARD_DATABASE_URL: db.url, SWITCHBOARD_MASTER_KEY: db.masterKey, SWITCHBOARD_DATA_DIR: os.tmpdir() })),
      );
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      const rows = (await c.query('SELECT id FROM schema_migrations ORDER BY id')).rows.map((r) => r.id);
      await c.end();
      assert.equal(new Set(rows).size, rows.length);
      assert.ok(rows.includes('0001_initial'));
    } finally {
      await db.drop();
    }
  });

  it('bootstraps company "default" once when several processes start on one PostgreSQL', async () => {
    const db = await createTestDatabase();
    const env = { SWITCHBOARD_DATABASE_URL: db.url, SWITCHBOARD_PORT: '0', SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_MASTER_KEY: db.masterKey };
    const procs = await Promise.all([1, 2, 3].map(() => run(['serve', '--role', 'api'], env, /listening on/)));
    try {
      const printed = procs.filter((p) => /shown once/.test(p.stdout)).length;
      assert.equal(printed, 1);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      assert.equal((await c.query('SELECT count(*)::int AS n FROM companies')).rows[0].n, 1);
      await c.end();
    } finally {
      await Promise.all(procs.map((p) => p.kill()));
      await db.drop();
    }
  });
});
