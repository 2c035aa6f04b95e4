import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess, runToExit, type Exited } from '../helpers/process.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

const TOUR_KEY = 'sk_tour_0123456789abcdefghijklmnopqrstuv';

function dataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-firstrun-'));
}

/** An operator mistake: exit code 2 and exactly one line on stderr, no stack. */
function assertOneLine(res: Exited, pattern: RegExp) {
  assert.equal(res.code, 2, `exit code; stderr=${res.stderr}`);
  const lines = res.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${res.stderr}`);
  assert.match(lines[0], /^switchboard: /);
  assert.doesNotMatch(res.stderr, /\n\s+at |Error:/);
  assert.match(lines[0], pattern);
}

async function keyWorks(url: string, key: string): Promise<number> {
  const res = await fetch(url + '/v1/keys', { headers: { authorization: `Bearer ${key}` } });
  return res.status;
}

/** A port that is taken for as long as the returned server lives. */
async function busyPort(): Promise<net.Server> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return srv;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = await busyPort();
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function keyIn(stdout: string): string {
  const m = /shown once:\n\s+(sk_\S+)/.exec(stdout);
  assert.ok(m, `a printed owner key in: ${stdout}`);
  return m[1];
}

describe('first run', () => {
  it('a start on a busy port fails with one line and leaves no unprinted key; the next start prints one that works', async () => {
    const data = dataDir();
    const taken = await busyPort();
    try {
      const port = String((taken.address() as net.AddressInfo).port);
      const res = await runToExit(['serve', '--port', port], { SWITCHBOARD_DATA_DIR: data });
      assertOneLine(res, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*--port`));
      assert.doesNotMatch(res.stdout, /sk_/);
    } finally {
      taken.close();
    }
    const next = await startServerProcess([], { SWITCHBOARD_DATA_DIR: data });
    try {
      const key = keyIn(next.stdout());
      // the key line comes before the listening line, once the port is ours
      assert.ok(next.stdout().indexOf(key) < next.stdout().indexOf('listening on'));
      assert.equal(await keyWorks(next.url!, key), 200);
    } finally {
      await next.stop();
    }
  });

  it('honours SWITCHBOARD_BOOTSTRAP_KEY when company "default" has no owner key yet (a start that failed, a CLI run first)', async () => {
    const data = dataDir();
    // `companies` before any serve makes company "default", without a key
    const listed = await runToExit(['companies'], { SWITCHBOARD_DATA_DIR: data });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^cmp_\S+ {2}default\n$/);
    const srv = await startServerProcess([], { SWITCHBOARD_DATA_DIR: data, SWITCHBOARD_BOOTSTRAP_KEY: TOUR_KEY });
    try {
      assert.doesNotMatch(srv.stdout(), /shown once|ignored/);
      assert.equal(await keyWorks(srv.url!, TOUR_KEY), 200);
    } finally {
      await srv.stop();
    }
  });

  it('says on stdout, in one line, when a set SWITCHBOARD_BOOTSTRAP_KEY is ignored, and what to do', async () => {
    const data = dataDir();
    const first = await startServerProcess([], { SWITCHBOARD_DATA_DIR: data });
    const generated = keyIn(first.stdout());
    await first.stop();
    const second = await startServerProcess([], { SWITCHBOARD_DATA_DIR: data, SWITCHBOARD_BOOTSTRAP_KEY: TOUR_KEY });
    try {
      const lines = second.stdout().split('\n').filter((l) => l.includes('SWITCHBOARD_BOOTSTRAP_KEY'));
      assert.equal(lines.length, 1, second.stdout());
      assert.match(lines[0], /ignored: company "default" already has an owner key.*keys create --company default --role owner/);
      assert.equal(await keyWorks(second.url!, TOUR_KEY), 401);
      assert.equal(await keyWorks(second.url!, generated), 200);
    } finally {
      await second.stop();
    }
    // the same key again is no news
    const third = await startServerProcess([], { SWITCHBOARD_DATA_DIR: data, SWITCHBOARD_BOOTSTRAP_KEY: TOUR_KEY });
    await third.stop();
    assert.match(third.stdout(), /ignored/);
    const data2 = dataDir();
    const a = await startServerProcess([], { SWITCHBOARD_DATA_DIR: data2, SWITCHBOARD_BOOTSTRAP_KEY: TOUR_KEY });
    await a.stop();
    const b = await startServerProcess([], { SWITCHBOARD_DATA_DIR: data2, SWITCHBOARD_BOOTSTRAP_KEY: TOUR_KEY });
    await b.stop();
    assert.doesNotMatch(b.stdout(), /ignored|shown once/);
  });
});

describe('companies and keys', () => {
  it('lists companies and creates keys by company name or id; an unknown company or role is one line', async () => {
    const data = dataDir();
    const env = { SWITCHBOARD_DATA_DIR: data };
    const byName = await runToExit(['keys', 'create', '--company', 'default', '--role', 'agent', '--name', 'ops'], env);
    assert.equal(byName.code, 0, byName.stderr);
    assert.match(byName.stdout, /^sk_\S+\n$/);
    const companies = await runToExit(['companies'], env);
    const id = /^(cmp_\S+) {2}default$/m.exec(companies.stdout)?.[1];
    assert.ok(id, companies.stdout);
    const byId = await runToExit(['keys', 'create', '--company', id!, '--role', 'owner'], env);
    assert.equal(byId.code, 0, byId.stderr);
    // the older form, `keys <company>`, still works
    const old = await runToExit(['keys', id!], env);
    assert.equal(old.code, 0, old.stderr);

    assertOneLine(await runToExit(['keys', 'create', '--company', 'nope'], env), /no company "nope"; `switchboard companies` lists/);
    assertOneLine(await runToExit(['keys', 'default_co'], env), /no company "default_co"/);
    assertOneLine(await runToExit(['keys', 'create', '--company', 'default', '--role', 'boss'], env), /--role must be one of: owner, admin, agent/);
    assertOneLine(await runToExit(['keys', 'create'], env), /keys create --company default\|cmp_/);

    const srv = await startServerProcess([], env);
    try {
      assert.doesNotMatch(srv.stdout(), /shown once/, 'an owner key made with the CLI is the owner key');
      const agent = await fetch(srv.url + '/v1/users', { headers: { authorization: `Bearer ${byName.stdout.trim()}` } });
      assert.equal(agent.status, 200);
      assert.equal(await keyWorks(srv.url!, byId.stdout.trim()), 200);
      // the store is the running server's: a second process gets one line
      assertOneLine(await runToExit(['companies'], env), /data directory is in use by another switchboard process/);
    } finally {
      await srv.stop();
    }
  });
});

describe('operator mistakes are one line and exit code 2', () => {
  const master = { SWITCHBOARD_MASTER_KEY: 'q2G1xk3v9Zb7TtE0m4YwJc8uNfLp5sRh6aDiOeVyKzA=' };
  let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  after(() => db?.drop());

  it('a database URL that is not PostgreSQL', async () => {
    assertOneLine(await runToExit(['serve', '--database', 'mysql://root@127.0.0.1/x'], {}), /database must be a postgres:\/\/ URL/);
  });
  it('a PostgreSQL URL without a user', async () => {
    // trust auth takes any existing role; with none named the server refuses the login
    const res = await runToExit(['companies', '--database', 'postgres://127.0.0.1:5432/test'], { ...master, PGUSER: '', USER: '' });
    assertOneLine(res, /PostgreSQL at 127\.0\.0\.1:5432 refused the login.*postgres:\/\/USER/);
  });
  it('a PostgreSQL host that does not resolve, and a port nothing listens on', async () => {
    assertOneLine(await runToExit(['serve', '--database', 'postgres://postgres@nohost.invalid:5432/x'], master), /nohost\.invalid:5432 has a host name that does not resolve/);
    const port = await closedPort();
    assertOneLine(await runToExit(['migrate', '--database', `postgres://postgres@127.0.0.1:${port}/x`], master), /refused the connection/);
  });
  it('a PostgreSQL URL that is not a URL', async () => {
    assertOneLine(await runToExit(['serve', '--database', 'postgres://postgres@[::1/x'], master), /not a valid URL/);
  });
  it('no master key on PostgreSQL', async () => {
    db = await createTestDatabase();
    assertOneLine(await runToExit(['keys', 'create', '--company', 'default', '--database', db.url], { SWITCHBOARD_MASTER_KEY: '' }), /SWITCHBOARD_MASTER_KEY must be set/);
    const ok = await runToExit(['companies', '--database', db.url], { SWITCHBOARD_MASTER_KEY: db.masterKey });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /default/);
    assertOneLine(await runToExit(['keys', 'create', '--company', 'acme', '--database', db.url], { SWITCHBOARD_MASTER_KEY: db.masterKey }), /no company "acme"/);
  });
  it('a server that is down', async () => {
    const port = await closedPort();
    const res = await runToExit(['trigger', 'message.received', '--webhook', 'wh_x', '--api', `http://127.0.0.1:${port}`, '--key', TOUR_KEY], {});
    assertOneLine(res, /cannot reach the server at .*--api/);
  });
});
