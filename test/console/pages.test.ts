import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, STORES, type TestServer } from '../helpers/server.ts';
import { ConsoleClient, toastOf } from '../helpers/console-client.ts';

const PASSWORD = 'a-long-password-1';

async function owner(s: TestServer): Promise<ConsoleClient> {
  const m = s.server.platform.services.members;
  const company = await m.company('default');
  if ((await m.list(company.id)).length === 0) await m.add(company.id, { email: 'owner@example.com', role: 'owner', password: PASSWORD });
  const c = new ConsoleClient(s.url);
  assert.equal((await c.signIn('owner@example.com', PASSWORD)).status, 303);
  await c.get('/console/webhooks');
  return c;
}

const FORM = {
  url: 'https://example.com/hooks',
  auth_type: 'none',
  events: ['user.created'],
  retry_schedule: '3, 3',
  timeout_ms: '10000',
  ordering: 'none',
  max_in_flight: '16',
  rate_limit_per_s: '',
  failure_threshold: '3',
  filter_json: '',
};

for (const store of STORES) describe(`console webhook pages over HTTP (${store}; https only, one endpoint allowed, no worker)`, () => {
  let s: TestServer;
  let c: ConsoleClient;
  before(async () => {
    s = await startTestServer(store, { SWITCHBOARD_MAX_WEBHOOKS: '1' }, { worker: false });
    c = await owner(s);
  });
  after(() => s.close());

  test('the URL must be HTTPS: said inline while typing and on save, never as JSON', async () => {
    const live = await c.htmx('POST', '/console/webhooks/check', { url: 'http://example.com/x', auth_type: 'none' });
    assert.equal(live.status, 200);
    assert.match(live.text, /<p class="field-error" id="err-url" hx-swap-oob="true">url must use https:\/\/\. For local development, run the server with --dev[^<]*<\/p>/);
    const saved = await c.htmx('POST', '/console/webhooks', { ...FORM, url: 'http://example.com/x' });
    assert.equal(saved.status, 200);
    assert.match(saved.text, /id="err-url">url must use https:\/\/\. For local development/);
    assert.match(saved.text, /id="url"[^>]*aria-invalid="true"/);
    assert.doesNotMatch(saved.text, /"error":/);
    assert.equal(toastOf(saved)?.kind, 'error');
  });

  test("the API's error param lands at its field: a reserved header key, a duplicate, a bad filter", async () => {
    const reserved = await c.htmx('POST', '/console/webhooks', { ...FORM, header_key: ['X-Ok', 'Content-Type'], header_value: ['1', 'x'], header_keep: ['0', '0'] });
    assert.match(reserved.text, /id="err-header_key_1">&quot;Content-Type&quot; is a header Switchboard sets itself\.</);
    const live = await c.htmx('POST', '/console/webhooks/check', { url: '', auth_type: 'none', header_key: ['X-A', 'x-a'], header_value: ['', ''], header_keep: ['0', '0'] });
    assert.match(live.text, /id="err-header_key_1" hx-swap-oob="true">The header &quot;x-a&quot; is listed twice\.</);
    assert.match(live.text, /id="err-header_key_0" hx-swap-oob="true" hidden>/);
    const filter = await c.htmx('POST', '/console/webhooks', { ...FORM, filter_json: '{"data.x": {"$regex": 1}}' });
    assert.match(filter.text, /id="err-filter_json">Unknown operator/);
    const json = await c.htmx('POST', '/console/webhooks', { ...FORM, filter_json: '{nope' });
    assert.match(json.text, /id="err-filter_json">The filter is not valid JSON/);
  });

  test('live header errors belong to their row', async () => {
    const live = await c.htmx('POST', '/console/webhooks/check', { url: '', auth_type: 'none', header_key: ['Content-Type', 'X-A', 'x-a'], header_value: ['', '', ''], header_keep: ['', '', ''] });
    assert.match(live.text, /id="err-header_key_0" hx-swap-oob="true">&quot;Content-Type&quot; is a header Switchboard sets itself\.</);
    assert.match(live.text, /id="err-header_key_1" hx-swap-oob="true" hidden>/);
    assert.match(live.text, /id="err-header_key_2" hx-swap-oob="true">The header &quot;x-a&quot; is listed twice\.</);
  });

  test('escaping: a hostile description is text on every page', async () => {
    const res = await c.htmx('POST', '/console/webhooks', { ...FORM, description: '<script>alert(1)</script>"><img src=x onerror=alert(2)>' });
    assert.equal(res.headers.get('hx-redirect'), '/console/webhooks?toast=created');
    const list = await c.get('/console/webhooks');
    assert.match(list.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;/);
    assert.doesNotMatch(list.text, /<script>alert|<img src=x/);
    const id = /id="row-(wh_[0-9A-Z]+)"/.exec(list.text)![1]!;
    for (const path of [`/console/webhooks/${id}`, `/console/webhooks/${id}/edit`]) {
      const p = await c.get(path);
      assert.equal(p.status, 200);
      assert.doesNotMatch(p.text, /<script>alert|<img src=x/, path);
    }
  });

  test('edit: a blank secret keeps the stored one only under the same auth type or header key', async () => {
    const wh = (await s.api.get('/v1/webhooks')).body.data[0];
    const set = await s.api.patch(`/v1/webhooks/${wh.id}`, { auth: { type: 'basic', username: 'u', password: 'stored-pass' }, headers: [{ key: 'X-Api-Token', value: 'stored-token' }] });
    assert.equal(set.status, 200);
    const page = await c.get(`/console/webhooks/${wh.id}/edit`);
    assert.match(page.text, /name="header_keep" value="X-Api-Token"/);
    const base = { ...FORM, description: wh.description, auth_secret_kept: '1', auth_stored_type: 'basic' };
    // Switching to an API key with a blank value is not "keep": the value is required.
    const switched = await c.htmx('POST', `/console/webhooks/${wh.id}`, { ...base, auth_type: 'api_key', auth_in: 'header', auth_name: 'X-Key', auth_value: '' });
    assert.match(switched.text, /id="err-auth_value">auth.value is required\.</);
    // Same type, blank password, same header key: both stored values stay.
    const kept = await c.htmx('POST', `/console/webhooks/${wh.id}`, { ...base, auth_type: 'basic', auth_username: 'u', auth_password: '', header_key: 'X-Api-Token', header_value: '', header_keep: 'X-Api-Token' });
    assert.equal(kept.headers.get('hx-redirect'), '/console/webhooks?toast=updated');
    const { settingsOf, getWebhookRow } = await import('../../src/store/webhooks.ts');
    const p = s.server.platform;
    const read = async () => settingsOf((await getWebhookRow(p.database.db, (await p.services.members.company('default')).id, wh.id))!, p.secrets);
    let stored = await read();
    assert.deepEqual(stored.auth, { type: 'basic', username: 'u', password: 'stored-pass' });
    assert.deepEqual(stored.headers, [{ key: 'X-Api-Token', value: 'stored-token' }]);
    // A renamed masked header with a blank value is a new, empty value (never the mask itself).
    await c.htmx('POST', `/console/webhooks/${wh.id}`, { ...base, auth_type: 'basic', auth_username: 'u', auth_password: '', header_key: 'X-Other-Token', header_value: '', header_keep: 'X-Api-Token' });
    stored = await read();
    assert.deepEqual(stored.headers, [{ key: 'X-Other-Token', value: '' }]);
    await s.api.patch(`/v1/webhooks/${wh.id}`, { auth: { type: 'none' }, headers: [] });
  });

  test('at the endpoint limit "+ Add Webhook" is disabled and says why', async () => {
    const list = await c.get('/console/webhooks');
    assert.match(list.text, /<button type="button" class="primary" disabled aria-describedby="limit-why">\+ Add Webhook<\/button>/);
    assert.match(list.text, /1 of 1 endpoints used — the limit is reached: delete an endpoint to add another/);
    const over = await c.htmx('POST', '/console/webhooks', FORM);
    assert.match(over.text, /id="err-form">A company may have at most 1 webhook endpoints\./);
  });

  test('the delivery log is newest first, 20 a page, with status filters', async () => {
    const wh = (await s.api.get('/v1/webhooks')).body.data[0];
    for (let i = 0; i < 23; i++) await s.api.post('/v1/users', { name: `u${i}` });
    const first = await c.get(`/console/webhooks/${wh.id}`);
    const rows = (html: string) => [...html.matchAll(/href="\/console\/deliveries\/(dlv_[0-9A-Z]+)"/g)].map((m) => m[1]!);
    const page1 = rows(first.text);
    assert.equal(page1.length, 20);
    assert.deepEqual(page1, [...page1].sort().reverse(), 'newest first');
    const next = /href="(\/console\/webhooks\/[^"]+cursor=[^"]+)"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
    const page2 = rows((await c.get(next)).text);
    assert.equal(page2.length, 3);
    assert.ok(page2[0]! < page1[19]!);
    assert.equal(rows((await c.get(`/console/webhooks/${wh.id}?status=pending`)).text).length, 20);
    assert.equal(rows((await c.get(`/console/webhooks/${wh.id}?status=failed`)).text).length, 0);
    assert.match((await c.get(`/console/webhooks/${wh.id}?status=failed`)).text, /Failure logs/);
  });

  test('owners manage members: one-time link, set password, change role, remove; the last owner stays', async () => {
    const added = await c.htmx('POST', '/console/members', { email: 'new@example.com', name: 'New', role: 'admin', password: '' });
    assert.equal(toastOf(added)?.message, 'Added new@example.com');
    const link = /id="invite-link">https?:\/\/[^/]+(\/console\/invite\/[A-Za-z0-9_-]+)</.exec(added.text)![1]!;
    const invited = new ConsoleClient(s.url);
    assert.equal((await invited.get(link)).status, 200);
    assert.equal((await invited.post(link, { password: 'short' })).status, 422);
    const set = await invited.post(link, { password: 'the-new-password' });
    assert.equal(set.status, 303);
    assert.equal((await invited.get(link)).status, 404, 'the link works once');
    assert.equal((await invited.signIn('new@example.com', 'the-new-password')).status, 303);
    assert.equal((await invited.get('/console/members')).status, 403, 'admins do not manage members');

    const direct = await c.htmx('POST', '/console/members', { email: 'agent@example.com', role: 'agent', password: 'agent-password-1' });
    assert.doesNotMatch(direct.text, /invite-link/);
    const dup = await c.htmx('POST', '/console/members', { email: 'AGENT@example.com', role: 'agent', password: '' });
    assert.match(dup.text, /id="err-m-email">A member with the email agent@example.com already exists\./);

    const list = await s.server.platform.services.members.list((await s.server.platform.services.members.company('default')).id);
    const me = list.find((m) => m.email === 'owner@example.com')!;
    const other = list.find((m) => m.email === 'new@example.com')!;
    const demote = await c.htmx('POST', `/console/members/${me.id}/role`, { role: 'admin' });
    assert.match(toastOf(demote)!.message, /last owner/);
    const promoted = await c.htmx('POST', `/console/members/${other.id}/role`, { role: 'owner' });
    assert.equal(toastOf(promoted)?.message, 'new@example.com is now owner');
    const form = await c.htmx('GET', `/console/members/${other.id}/password`);
    assert.match(form.text, /New password for new@example.com/);
    const short = await c.htmx('POST', `/console/members/${other.id}/password`, { password: 'short' });
    assert.equal(short.headers.get('hx-retarget'), '#member-notice');
    assert.match(short.text, /at least 12 characters/);
    const reset = await c.htmx('POST', `/console/members/${other.id}/password`, { password: 'owner-set-password' });
    assert.match(toastOf(reset)!.message, /Password set for new@example.com/);
    assert.equal((await invited.get('/console/webhooks')).status, 303, 'a new password ends their sessions');
    assert.equal((await invited.signIn('new@example.com', 'owner-set-password')).status, 303);
    const removed = await c.htmx('POST', `/console/members/${other.id}/remove`);
    assert.equal(toastOf(removed)?.message, 'Removed new@example.com');
    assert.equal((await invited.get('/console/webhooks')).status, 303, 'a removed member is signed out');
  });
});

describe('first-run page: the owner API key creates the first owner of a company without members', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer('sqlite', {}, { worker: false });
  });
  after(() => s.close());

  test('owner key only, once per company, then sign in', async () => {
    const c = new ConsoleClient(s.url);
    assert.match((await c.get('/console/sign-in')).text, /href="\/console\/setup"/);
    await c.get('/console/setup');
    const bad = await c.post('/console/setup', { key: 'sk_nope_' + 'x'.repeat(32), email: 'first@example.com', password: 'first-owner-pass' });
    assert.equal(bad.status, 401);
    assert.match(bad.text, /This API key is not valid/);
    const agentKey = (await s.api.post('/v1/keys', { name: 'agent', role: 'agent' })).body.key;
    const agent = await c.post('/console/setup', { key: agentKey, email: 'first@example.com', password: 'first-owner-pass' });
    assert.equal(agent.status, 403);
    const weak = await c.post('/console/setup', { key: s.api.key, email: 'first@example.com', password: 'short' });
    assert.equal(weak.status, 422);
    assert.match(weak.text, /id="err-setup-password">The password must have at least 12 characters/);
    const ok = await c.post('/console/setup', { key: s.api.key, email: 'first@example.com', name: 'First', password: 'first-owner-pass' });
    assert.equal(ok.status, 303);
    const again = await c.post('/console/setup', { key: s.api.key, email: 'second@example.com', password: 'second-owner-pass' });
    assert.equal(again.status, 409);
    assert.match(again.text, /already has console members/);
    const signIn = new ConsoleClient(s.url);
    assert.equal((await signIn.signIn('first@example.com', 'first-owner-pass')).status, 303);
    assert.match((await signIn.get('/console/members')).text, /first@example.com/);
  });
});
