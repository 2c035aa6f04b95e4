import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, STORES, type TestServer } from '../helpers/server.ts';
import { hashPassword, verifyPassword } from '../../src/domain/passwords.ts';
import { SwitchboardError } from '../../src/domain/errors.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/switchboard.js');

test('passwords: scrypt hashes verify, differ per salt, and reject the wrong password', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.match(a, /^scrypt\$16384\$8\$1\$/);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('correct horse battery', a), true);
  assert.equal(await verifyPassword('correct horse batterY', a), false);
  assert.equal(await verifyPassword('anything', null), false);
});

for (const store of STORES) {
  describe(`members service (${store})`, () => {
    let s: TestServer;
    let companyId: string;
    before(async () => {
      s = await startTestServer(store);
      companyId = (await s.server.platform.services.members.company('default')).id;
    });
    after(() => s.close());

    test('the last owner can be neither removed nor demoted; with two owners one can go', async () => {
      const m = s.server.platform.services.members;
      const owner = await m.add(companyId, { email: 'Owner@Example.com', role: 'owner', password: 'owner-password-1' });
      assert.equal(owner.member.email, 'owner@example.com');
      assert.equal(owner.password, undefined, 'a given password is not echoed');
      await assert.rejects(m.changeRole(companyId, owner.member.id, 'admin'), (e: SwitchboardError) => e.code === 'conflict' && /last owner/.test(e.message));
      await assert.rejects(m.remove(companyId, owner.member.id), (e: SwitchboardError) => e.code === 'conflict' && /last owner/.test(e.message));
      const second = await m.add(companyId, { email: 'second@example.com', role: 'admin' });
      assert.equal(typeof second.password, 'string', 'a generated password is returned once');
      await m.changeRole(companyId, second.member.id, 'owner');
      await m.changeRole(companyId, owner.member.id, 'agent');
      assert.equal((await m.get(companyId, owner.member.id)).role, 'agent');
      await assert.rejects(m.remove(companyId, second.member.id), /last owner/);
      await m.remove(companyId, owner.member.id);
      assert.deepEqual((await m.list(companyId)).map((x) => x.email), ['second@example.com']);
    });

    test('operator mistakes are 422/409 errors naming the field', async () => {
      const m = s.server.platform.services.members;
      await assert.rejects(m.add(companyId, { email: 'not-an-email', role: 'admin' }), (e: SwitchboardError) => e.param === '/email');
      await assert.rejects(m.add(companyId, { email: 'x@example.com', role: 'boss' }), (e: SwitchboardError) => e.param === '/role');
      await assert.rejects(m.add(companyId, { email: 'x@example.com', role: 'admin', password: 'short' }), (e: SwitchboardError) => e.param === '/password');
      await assert.rejects(m.add(companyId, { email: 'SECOND@example.com', role: 'admin' }), (e: SwitchboardError) => e.code === 'conflict');
      await assert.rejects(m.company('nope'), (e: SwitchboardError) => e.code === 'resource_not_found');
    });

    test('an invitation link sets the password once', async () => {
      const m = s.server.platform.services.members;
      const res = await m.add(companyId, { email: 'invited@example.com', role: 'agent', invite: true });
      assert.equal(res.member.has_password, false);
      assert.ok(res.inviteToken);
      await m.acceptInvite(res.inviteToken!, 'my-own-password-1');
      assert.equal((await m.get(companyId, res.member.id)).has_password, true);
      await assert.rejects(m.acceptInvite(res.inviteToken!, 'another-password-1'), /expired or was already used/);
    });
  });
}

function run(args: string[], env: Record<string, string>, stdin?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.end(stdin ?? '');
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('switchboard members add (CLI, real process)', () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-members-'));
  const env = { SWITCHBOARD_DATA_DIR: data };
  after(() => fs.rmSync(data, { recursive: true, force: true }));

  test('prints a one-time password, or takes one from stdin; mistakes are one line without a stack', async () => {
    // On a fresh store the command creates company "default" first, as the first `serve` would.
    const added = await run(['members', 'add', '--email', 'ada@example.com', '--role', 'owner', '--name', 'Ada'], env);
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /created company "default"/);
    assert.match(added.out, /added owner ada@example.com \(mbr_[0-9A-Z]{26}\) to company "default"/);
    const password = /one-time password \(shown once\): (\S+)/.exec(added.out)?.[1];
    assert.ok(password && password.length >= 12);

    const piped = await run(['members', 'add', '--email', 'grace@example.com', '--role', 'agent', '--company', 'default', '--password-stdin'], env, 'a-chosen-password\n');
    assert.equal(piped.code, 0, piped.err);
    assert.doesNotMatch(piped.out, /one-time password/);

    for (const [args, message] of [
      [['--email', 'ada@example.com', '--role', 'owner'], /already exists/],
      [['--email', 'x@example.com', '--role', 'boss'], /role must be owner, admin or agent/],
      [['--email', 'nope', '--role', 'admin'], /email address like/],
      [['--email', 'y@example.com', '--company', 'acme'], /No such company: acme/],
    ] as const) {
      const r = await run(['members', 'add', ...args], env);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
      assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
    }
    const short = await run(['members', 'add', '--email', 'z@example.com', '--password-stdin'], env, 'short\n');
    assert.equal(short.code, 2);
    assert.match(short.err, /at least 12 characters/);

    // The password printed signs in (checked against the stored hash).
    const { loadConfig } = await import('../../src/config.ts');
    const { createPlatform, createLogger } = await import('../../src/platform.ts');
    const platform = await createPlatform(loadConfig({ data }, {}), createLogger('silent'));
    try {
      const res = await platform.services.consoleSessions.signIn('ADA@example.com', password!, '127.0.0.1');
      assert.equal(res.session.member.role, 'owner');
    } finally {
      await platform.close();
    }
  });
});
