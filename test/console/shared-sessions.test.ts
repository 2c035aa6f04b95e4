import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/platform.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { OWNER_KEY } from '../helpers/server.ts';
import { ConsoleClient } from '../helpers/console-client.ts';

const PASSWORD = 'shared-password-1';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let servers: RunningServer[] = [];
const dirs: string[] = [];

before(async () => {
  db = await createTestDatabase();
  for (let i = 0; i < 2; i++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-console-'));
    dirs.push(dir);
    const config = loadConfig(
      { port: 0, data: dir, database: db.url, role: 'api' },
      { SWITCHBOARD_BOOTSTRAP_KEY: OWNER_KEY, SWITCHBOARD_MASTER_KEY: db.masterKey, SWITCHBOARD_CONSOLE_SIGNIN_LIMIT: '3' },
    );
    servers.push(await startServer(config, createLogger('silent'), () => {}));
  }
  const m = servers[0]!.platform.services.members;
  await m.add((await m.company('default')).id, { email: 'owner@example.com', role: 'owner', password: PASSWORD });
});

after(async () => {
  for (const s of servers) await s.stop();
  await db.drop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('two API processes on one PostgreSQL share console sessions, sign-outs and sign-in limits', async () => {
  const [a, b] = servers.map((s) => s.url!) as [string, string];
  const onA = new ConsoleClient(a);
  assert.equal((await onA.signIn('owner@example.com', PASSWORD)).status, 303);
  const onB = new ConsoleClient(b);
  onB.cookies.set('sb_session', onA.cookies.get('sb_session')!);
  const page = await onB.get('/console/webhooks');
  assert.equal(page.status, 200, 'the session made by A is known to B');
  assert.equal((await onB.post('/console/sign-out')).status, 303);
  assert.equal((await onA.get('/console/webhooks')).status, 303, 'signed out on B is signed out on A');

  // Failures counted on either process add up.
  for (const [i, base] of [a, b, a].entries()) {
    const c = new ConsoleClient(base);
    await c.get('/console/sign-in');
    assert.equal((await c.post('/console/sign-in', { email: 'owner@example.com', password: `wrong-${i}-password` })).status, 401);
  }
  const c = new ConsoleClient(b);
  await c.get('/console/sign-in');
  assert.equal((await c.post('/console/sign-in', { email: 'owner@example.com', password: PASSWORD })).status, 429);
});
