/**
 * Runs the command blocks of README.md and docs/*.md that no feature test runs, read verbatim
 * (test/helpers/doc-blocks.ts) and run with bash by test/helpers/doc-runner.ts, whose header says
 * how placeholders are filled and `# →` output is checked. Each test below says what else it
 * changes: a free port for a fixed one, a fresh data folder, a test database for the doc's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { docBlock } from '../helpers/doc-blocks.ts';
import { DocSession } from '../helpers/doc-runner.ts';
import { startTestServer, OWNER_KEY } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { SCHEMA_FILE } from '../../src/client/generate.ts';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-doc-commands-'));
}

/** A fresh data folder and a free port for every server a block starts; the developer's settings left out. */
function serverEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_PORT: '0', SWITCHBOARD_LOG_LEVEL: 'warn' };
  for (const k of ['SWITCHBOARD_BOOTSTRAP_KEY', 'SWITCHBOARD_DATABASE_URL', 'SWITCHBOARD_API_URL', 'SWITCHBOARD_API_KEY', 'SWITCHBOARD_MASTER_KEY']) env[k] = undefined; // spawn leaves undefined out
  return env;
}

describe('README.md and docs/ commands', () => {
  it('README "A two-minute tour": npm start, then the curl commands, print what the README shows', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    let api = '';
    // API=http://127.0.0.1:8080/v1 becomes the address `npm start` printed (it listens on a free port here).
    const session = new DocSession({ env: serverEnv(dataDir), vars: { API: () => api } });
    try {
      const [server] = await session.runBlock(docBlock('README.md', 'A two-minute tour', 0));
      api = /switchboard listening on (\S+)/.exec(server!.out)![1]! + '/v1';
      const steps = await session.runBlock(docBlock('README.md', 'A two-minute tour', 1));
      const events = JSON.parse(steps.at(-1)!.out);
      assert.deepEqual(events.data.map((e: { type: string }) => e.type), ['message.received', 'conversation.created', 'user.created']);
    } finally {
      await session.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('README "The console" and docs/console.md: members add prints a one-time password, or takes one on stdin', { timeout: 60_000 }, async () => {
    const dirs = [tempDir(), tempDir()];
    // $PASSWORD, which the console.md block pipes in, is the reader's chosen password.
    const readme = new DocSession({ env: serverEnv(dirs[0]!) });
    const consoleDoc = new DocSession({ env: { ...serverEnv(dirs[1]!), PASSWORD: 'correct horse battery staple' } });
    try {
      const [added] = await readme.runBlock(docBlock('README.md', 'The console', 0));
      assert.match(added!.out, /one-time password \(shown once\): \S{12,}/);
      const [owner, admin] = await consoleDoc.runBlock(docBlock('docs/console.md', 'Members and signing in', 0)).then((steps) => {
        assert.equal(steps.length, 1);
        return steps[0]!.out.split('\n').filter((l) => l.startsWith('added '));
      });
      assert.match(owner!, /^added owner ada@example\.com \(mbr_\w+\) to company "default"/);
      assert.match(admin!, /^added admin grace@example\.com \(mbr_\w+\)/);
    } finally {
      await readme.close();
      await consoleDoc.close();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('docs/webhooks.md "Endpoints": the create command answers the endpoint, credentials masked', { timeout: 60_000 }, async () => {
    const t = await startTestServer('sqlite');
    // localhost:8080 is this test's server; $KEY its owner key.
    const session = new DocSession({ env: { KEY: OWNER_KEY }, replace: [['localhost:8080', t.url.replace('http://', '')]] });
    try {
      const [created] = await session.runBlock(docBlock('docs/webhooks.md', 'Endpoints', 0));
      const hook = JSON.parse(created!.out);
      assert.match(hook.id, /^wh_/);
      assert.equal(hook.url, 'https://crm.example.com/hooks/switchboard');
      assert.deepEqual(hook.auth, { type: 'basic', username: 'switchboard', password: '••••' });
      assert.deepEqual(hook.filter, { 'data.conversation.department': { $in: ['sales'] } });
    } finally {
      await session.close();
      await t.close();
    }
  });

  it('docs/scaling.md: an API process and a worker process on one PostgreSQL database', { timeout: 120_000 }, async () => {
    const db = await createTestDatabase();
    const dataDir = tempDir();
    // The doc's database URL and admin token become the test's; --port 8080 a free port.
    const session = new DocSession({
      env: serverEnv(dataDir),
      vars: { SWITCHBOARD_DATABASE_URL: db.url, SWITCHBOARD_ADMIN_TOKEN: 'doc-admin-token' },
      replace: [['--port 8080', '--port 0']],
    });
    try {
      const [, api, worker] = await session.runBlock(docBlock('docs/scaling.md', 'Several processes on one PostgreSQL', 0));
      assert.match(worker!.out, /switchboard worker started \(postgres\)/);
      const url = /switchboard listening on (\S+)/.exec(api!.out)![1]!;
      const made = await fetch(url + '/v1/companies', {
        method: 'POST',
        headers: { authorization: 'Bearer doc-admin-token', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'acme' }),
      });
      assert.equal(made.status, 201, await made.text());
    } finally {
      await session.close();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('docs/client.md: npm run client:generate writes the client types, the same as checked in', { timeout: 120_000 }, async () => {
    const before = fs.readFileSync(SCHEMA_FILE, 'utf8');
    const session = new DocSession({ env: { SWITCHBOARD_LOG_LEVEL: 'warn' } });
    try {
      const [generated] = await session.runBlock(docBlock('docs/client.md', 'Regenerating the types', 0));
      assert.match(generated!.out, /wrote src\/client\/schema\.ts/);
    } finally {
      await session.close();
      const after = fs.readFileSync(SCHEMA_FILE, 'utf8');
      // A stale checked-in file is test/client/generated.test.ts's failure to report; this test
      // leaves the checkout as it found it.
      if (after !== before) fs.writeFileSync(SCHEMA_FILE, before);
    }
  });
});
