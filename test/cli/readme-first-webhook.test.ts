import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { run, type Running } from '../helpers/cli.ts';
import { docBlock } from '../helpers/doc-blocks.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The commands of README's "First webhook in two minutes" block, in order (comments dropped). */
function readmeCommands(): string[] {
  const block = docBlock('README.md', 'First webhook in two minutes').text;
  return block.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

it('README first-webhook commands end with a signature-verified event', { timeout: 120_000 }, async () => {
  const [serverCmd, listenCmd, receiverCmd, triggerCmd] = readmeCommands();
  assert.equal(serverCmd, 'npm ci && npm run dev');
  assert.match(listenCmd, /^npx switchboard listen --forward-to http:\/\/127\.0\.0\.1:3000\/hooks$/);
  assert.match(receiverCmd, /^SWITCHBOARD_WEBHOOK_SECRET=whsec_\.\.\. node examples\/node-http\.mjs$/);
  assert.equal(triggerCmd, 'npx switchboard trigger message.received');

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-readme-'));
  const receiverPort = await freePort();
  const base = { ...process.env, SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_LOG_LEVEL: 'warn' };
  for (const k of ['SWITCHBOARD_API_URL', 'SWITCHBOARD_API_KEY', 'SWITCHBOARD_BOOTSTRAP_KEY']) delete (base as NodeJS.ProcessEnv)[k];
  const procs: Running[] = [];
  const sh = (cmd: string, env: NodeJS.ProcessEnv) => {
    const p = run('sh', ['-c', cmd], { cwd: ROOT, env, detached: true });
    procs.push(p);
    return p;
  };
  try {
    // `npm ci` is left out: it would reinstall this checkout's node_modules, which the test runs from.
    const server = sh(serverCmd.replace(/^npm ci && /, ''), { ...base, SWITCHBOARD_PORT: '0' });
    const api = (await server.waitFor(/switchboard listening on (\S+)/, 60_000))[1];
    const env = { ...base, SWITCHBOARD_API_URL: api };
    const listen = sh(listenCmd.replace('127.0.0.1:3000', `127.0.0.1:${receiverPort}`), env);
    const secret = (await listen.waitFor(/\(shown once\): (whsec_\S+)/, 60_000))[1];
    const receiver = sh(receiverCmd.replace('whsec_...', secret), { ...env, PORT: String(receiverPort) });
    await receiver.waitFor(/listening on/);
    const trig = sh(triggerCmd, env);
    assert.equal(await trig.exited, 0, trig.err());
    const eventId = /triggered message\.received \(event (evt_\w+)\)/.exec(trig.out())![1];
    await receiver.waitFor(new RegExp(`^verified message\\.received ${eventId}$`, 'm'), 30_000);
    await listen.waitFor(new RegExp(`message\\.received  ${eventId}  ✓ 204`));
  } finally {
    for (const p of procs.reverse()) await p.stop('SIGINT');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
