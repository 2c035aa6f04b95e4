import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { runToExit, startServerProcess } from '../helpers/process.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { client, OWNER_KEY } from '../helpers/server.ts';
import { loadConfig, masterKeyProblem } from '../../src/config.ts';

const newKey = () => crypto.randomBytes(32).toString('base64');
const BASE = { SWITCHBOARD_BOOTSTRAP_KEY: OWNER_KEY, SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_RATE_LIMIT: '0' };
const MISMATCH = /^switchboard: the master key differs from the one this store was first started with .*SWITCHBOARD_MASTER_KEY/;

/** The refusal is one line on stderr and exit code 2: no stack trace for an operator to read through. */
function assertRefused(r: { code: number | null; stderr: string }, pattern: RegExp) {
  assert.equal(r.code, 2, `expected a refused start, got code ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
}

async function createWebhook(url: string) {
  const res = await client(url, OWNER_KEY).post('/v1/webhooks', {
    url: 'https://hooks.example.com/in',
    events: ['user.created'],
    auth: { type: 'basic', username: 'u', password: 'p' },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}

describe('master key on PostgreSQL', () => {
  it('refuses to start without SWITCHBOARD_MASTER_KEY, saying what to set', async () => {
    const db = await createTestDatabase();
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-mk-'));
    try {
      for (const args of [['serve', '--role', 'worker'], ['migrate']]) {
        const r = await runToExit(args, { ...BASE, SWITCHBOARD_DATABASE_URL: db.url, SWITCHBOARD_DATA_DIR: data, SWITCHBOARD_MASTER_KEY: '' });
        assertRefused(r, /^switchboard: SWITCHBOARD_MASTER_KEY must be set on PostgreSQL.*openssl rand -base64 32$/);
      }
      // No per-process key file was generated on the way.
      assert.deepEqual(fs.readdirSync(data), []);
    } finally {
      await db.drop();
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('refuses a process whose master key differs from the first one, while the first keeps working', async () => {
    const db = await createTestDatabase();
    const env = { ...BASE, SWITCHBOARD_DATABASE_URL: db.url, SWITCHBOARD_MASTER_KEY: db.masterKey, SWITCHBOARD_DATA_DIR: os.tmpdir() };
    const first = await startServerProcess([], env);
    try {
      await createWebhook(first.url!);
      for (const args of [['serve', '--role', 'api'], ['serve', '--role', 'worker'], ['migrate']]) {
        const r = await runToExit(args, { ...env, SWITCHBOARD_MASTER_KEY: newKey() });
        assertRefused(r, MISMATCH);
      }
      // The same key is welcome.
      const second = await startServerProcess(['--role', 'worker'], env);
      await second.stop();
      const list = await client(first.url!, OWNER_KEY).get('/v1/webhooks');
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.data.length, 1);
    } finally {
      await first.stop();
      await db.drop();
    }
  });

  it('lets exactly one key win when processes with different keys start together on an empty database', async () => {
    const db = await createTestDatabase();
    const keys = [newKey(), newKey(), newKey()];
    try {
      const results = await Promise.all(
        keys.map((k) => runToExit(['migrate'], { SWITCHBOARD_DATABASE_URL: db.url, SWITCHBOARD_MASTER_KEY: k, SWITCHBOARD_DATA_DIR: os.tmpdir() })),
      );
      assert.equal(results.filter((r) => r.code === 0).length, 1, results.map((r) => r.stderr).join('\n'));
      for (const r of results.filter((x) => x.code !== 0)) assertRefused(r, MISMATCH);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      assert.equal((await c.query('SELECT count(*)::int AS n FROM master_key_check')).rows[0].n, 1);
      await c.end();
    } finally {
      await db.drop();
    }
  });
});

describe('master key on SQLite', () => {
  it('refuses to start when master.key was replaced, and starts again with the original', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-mk-'));
    const env = { ...BASE, SWITCHBOARD_DATA_DIR: data, SWITCHBOARD_MASTER_KEY: '' };
    try {
      const first = await startServerProcess([], env);
      await createWebhook(first.url!);
      await first.stop();
      const keyFile = path.join(data, 'master.key');
      const original = fs.readFileSync(keyFile, 'utf8');
      fs.writeFileSync(keyFile, crypto.randomBytes(32).toString('base64url') + '\n');
      assertRefused(await runToExit(['serve'], env), MISMATCH);
      // A forgotten variable on the next deploy is caught the same way.
      fs.writeFileSync(keyFile, original);
      assertRefused(await runToExit(['serve'], { ...env, SWITCHBOARD_MASTER_KEY: newKey() }), MISMATCH);
      const again = await startServerProcess([], env);
      assert.equal((await client(again.url!, OWNER_KEY).get('/v1/webhooks')).body.data.length, 1);
      await again.stop();
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('adopts the key of a store from before the check only when it opens the secrets already there', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-mk-'));
    const key = newKey();
    const env = { ...BASE, SWITCHBOARD_DATA_DIR: data, SWITCHBOARD_MASTER_KEY: key };
    try {
      const first = await startServerProcess([], env);
      await createWebhook(first.url!);
      await first.stop();
      // As an older version left it: webhooks sealed, no check row.
      const forget = () => {
        const sqlite = new SQLite(path.join(data, 'switchboard.db'));
        sqlite.exec('DELETE FROM master_key_check');
        sqlite.close();
      };
      forget();
      assertRefused(await runToExit(['serve'], { ...env, SWITCHBOARD_MASTER_KEY: newKey() }), MISMATCH);
      forget();
      const again = await startServerProcess([], env);
      await again.stop();
      const sqlite = new SQLite(path.join(data, 'switchboard.db'), { readonly: true });
      assert.equal((sqlite.prepare('SELECT count(*) AS n FROM master_key_check').get() as { n: number }).n, 1);
      sqlite.close();
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('master key strength', () => {
  it('refuses a placeholder or short SWITCHBOARD_MASTER_KEY at start with a one-line error', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-mk-'));
    try {
      for (const weak of ['...', crypto.randomBytes(16).toString('hex')]) {
        const r = await runToExit(['serve'], { ...BASE, SWITCHBOARD_DATA_DIR: data, SWITCHBOARD_MASTER_KEY: weak });
        assertRefused(r, /^switchboard: SWITCHBOARD_MASTER_KEY .*openssl rand -base64 32$/);
      }
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('master key encodings', () => {
  it('accepts 32+ random bytes as hex, base64 (padded or not) and base64url, the generated file format included', () => {
    for (let i = 0; i < 200; i++) {
      const bytes = crypto.randomBytes(32);
      for (const key of [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')]) {
        assert.equal(masterKeyProblem(key), null, key);
      }
    }
    assert.equal(masterKeyProblem(crypto.randomBytes(48).toString('base64')), null);
  });

  it('refuses placeholders, short keys, patterns and other encodings', () => {
    const weak = [
      '...',
      'changeme',
      'shared-master-key',
      'multi-process-master-key',
      crypto.randomBytes(31).toString('hex'), // 62 hex characters: 31 bytes
      crypto.randomBytes(24).toString('base64'), // 24 bytes
      'a'.repeat(64),
      '0123456789abcdef'.repeat(4),
      'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz',
      'x'.repeat(60) + 'yz==',
      crypto.randomBytes(32).toString('base64') + ' ',
      'my master key is very long but it is a sentence, not a key',
    ];
    for (const key of weak) assert.notEqual(masterKeyProblem(key), null, key);
  });

  it('is checked by loadConfig, which also requires it on PostgreSQL', () => {
    assert.throws(() => loadConfig({}, { SWITCHBOARD_MASTER_KEY: '...' }), /SWITCHBOARD_MASTER_KEY must be 64\+ hex characters or base64/);
    assert.throws(() => loadConfig({ database: 'postgres://x/y' }, {}), /SWITCHBOARD_MASTER_KEY must be set on PostgreSQL/);
    const key = crypto.randomBytes(32).toString('base64');
    assert.equal(loadConfig({ database: 'postgres://x/y' }, { SWITCHBOARD_MASTER_KEY: key }).masterKey, key);
    assert.equal(loadConfig({}, {}).masterKey, null);
  });
});
