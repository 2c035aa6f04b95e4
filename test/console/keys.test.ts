import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, client, type TestServer } from '../helpers/server.ts';
import { ConsoleClient, toastOf } from '../helpers/console-client.ts';

const PASSWORD = 'a-long-password-1';

async function member(s: TestServer, email: string, role: 'owner' | 'admin'): Promise<ConsoleClient> {
  const m = s.server.platform.services.members;
  const company = await m.company('default');
  await m.add(company.id, { email, role, password: PASSWORD });
  const c = new ConsoleClient(s.url);
  assert.equal((await c.signIn(email, PASSWORD)).status, 303);
  await c.get('/console/keys');
  return c;
}

describe('console API keys page (sqlite)', () => {
  let s: TestServer;
  let owner: ConsoleClient;
  let admin: ConsoleClient;
  before(async () => {
    s = await startTestServer('sqlite', {}, { worker: false });
    owner = await member(s, 'owner@example.com', 'owner');
    admin = await member(s, 'admin@example.com', 'admin');
  });
  after(() => s.close());

  test('a created key is shown once, works on the API, then is listed by prefix only', async () => {
    const res = await owner.htmx('POST', '/console/keys', { name: 'CRM <sync>', role: 'admin' });
    assert.equal(res.status, 200);
    assert.equal(toastOf(res)?.message, 'Key created: copy it now');
    const key = /id="new-key-value">([^<]+)</.exec(res.text)![1]!;
    assert.equal((await client(s.url, key).get('/v1/webhooks')).status, 200);
    assert.match(res.text, /CRM &lt;sync&gt;/);
    const list = await owner.get('/console/keys');
    assert.equal(list.text.includes(key), false, 'the secret is not shown again');
    const prefix = (await s.api.get('/v1/keys')).body.data.find((k: { name: string }) => k.name === 'CRM <sync>').prefix;
    assert.ok(key.startsWith(prefix));
    assert.ok(list.text.includes(`<code>${prefix}…</code>`));
  });

  test('the role rules hold: an admin cannot create or revoke an owner key, the last owner key stays', async () => {
    const refused = await admin.htmx('POST', '/console/keys', { name: 'x', role: 'owner' });
    assert.equal(toastOf(refused)?.kind, 'error');
    assert.match(refused.text, /id="key-error">An admin key cannot create an owner key/);
    const page = await admin.get('/console/keys');
    assert.match(page.text, /<option value="owner" disabled>/);
    const ownerKey = (await s.api.get('/v1/keys')).body.data.find((k: { role: string }) => k.role === 'owner');
    const viaAdmin = await admin.htmx('POST', `/console/keys/${ownerKey.id}/revoke`);
    assert.equal(toastOf(viaAdmin)?.kind, 'error');
    assert.match(toastOf(viaAdmin)!.message, /An admin key cannot revoke an owner key/);
    const last = await owner.htmx('POST', `/console/keys/${ownerKey.id}/revoke`);
    assert.equal(toastOf(last)?.kind, 'error');
    assert.equal((await s.api.get('/v1/keys')).status, 200, 'the owner key still works');
    const tooLong = await owner.htmx('POST', '/console/keys', { name: 'x'.repeat(201), role: 'agent' });
    assert.match(tooLong.text, /id="key-error">The name is too long/);
  });

  test('revoking a key makes the API refuse it', async () => {
    const res = await owner.htmx('POST', '/console/keys', { name: 'temp', role: 'agent' });
    const key = /id="new-key-value">([^<]+)</.exec(res.text)![1]!;
    const id = (await s.api.get('/v1/keys')).body.data.find((k: { name: string }) => k.name === 'temp').id;
    const revoked = await owner.htmx('POST', `/console/keys/${id}/revoke`);
    assert.equal(toastOf(revoked)?.message, 'Key revoked');
    assert.doesNotMatch(revoked.text, new RegExp(`key-${id}`));
    assert.equal((await client(s.url, key).get('/v1/conversations')).status, 401);
  });
});
