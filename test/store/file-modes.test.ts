import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { client, OWNER_KEY } from '../helpers/server.ts';

const ENV = { SWITCHBOARD_BOOTSTRAP_KEY: OWNER_KEY, SWITCHBOARD_RATE_LIMIT: '0', SWITCHBOARD_MASTER_KEY: '' };
const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** Every entry of the data directory with its mode, e.g. { 'switchboard.db': 0o600 }. */
function modes(dir: string): Record<string, number> {
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, mode(path.join(dir, f))]));
}

/** Starts the server as a child process under umask 0, so nothing but Switchboard itself limits the modes. */
async function startUnderUmask0(data: string): Promise<ServerProcess> {
  const old = process.umask(0);
  try {
    return await startServerProcess([], { ...ENV, SWITCHBOARD_DATA_DIR: data });
  } finally {
    process.umask(old);
  }
}

async function write(url: string) {
  const res = await client(url, OWNER_KEY).post('/v1/webhooks', { url: 'https://hooks.example.com/in', events: ['user.created'] });
  assert.equal(res.status, 201, res.text);
}

describe('the SQLite data directory is private', () => {
  it('creates the folder 0700 and the database, its WAL files and master.key 0600 under umask 0', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-modes-'));
    const data = path.join(parent, 'data');
    try {
      const server = await startUnderUmask0(data);
      try {
        await write(server.url!);
        assert.equal(mode(data), 0o700);
        const running = modes(data);
        assert.ok('switchboard.db' in running && 'master.key' in running, JSON.stringify(running));
        for (const [f, m] of Object.entries(running)) assert.equal(m, 0o600, `${f} is ${m.toString(8)}`);
      } finally {
        await server.stop();
      }
      for (const [f, m] of Object.entries(modes(data))) assert.equal(m, 0o600, `${f} is ${m.toString(8)} after shutdown`);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('tightens a pre-created 0777 folder and files an earlier version left readable', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-modes-'));
    try {
      fs.chmodSync(data, 0o777);
      const first = await startUnderUmask0(data);
      try {
        await write(first.url!);
      } finally {
        await first.stop();
      }
      // As an earlier version (or a careless copy) left them.
      fs.chmodSync(data, 0o777);
      for (const f of fs.readdirSync(data)) fs.chmodSync(path.join(data, f), 0o644);
      fs.writeFileSync(path.join(data, 'switchboard.db-wal'), '', { mode: 0o666 });
      fs.chmodSync(path.join(data, 'switchboard.db-wal'), 0o666);
      const second = await startUnderUmask0(data);
      try {
        await write(second.url!);
        assert.equal(mode(data), 0o700);
        for (const [f, m] of Object.entries(modes(data))) assert.equal(m, 0o600, `${f} is ${m.toString(8)}`);
      } finally {
        await second.stop();
      }
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
