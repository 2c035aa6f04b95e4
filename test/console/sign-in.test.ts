import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, STORES, type TestServer } from '../helpers/server.ts';
import { ConsoleClient } from '../helpers/console-client.ts';
import { CSP } from '../../src/console/security.ts';

const PASSWORD = 'a-long-password-1';

async function addMember(s: TestServer, email: string, role: 'owner' | 'admin' | 'agent') {
  const m = s.server.platform.services.members;
  const company = await m.company('default');
  await m.add(company.id, { email, role, password: PASSWORD });
}

for (const store of STORES) {
  describe(`console sign-in (${store})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(store, { SWITCHBOARD_CONSOLE_SIGNIN_LIMIT: '3', SWITCHBOARD_CONSOLE_IDLE_MINUTES: '1' });
      await addMember(s, 'owner@example.com', 'owner');
      await addMember(s, 'agent@example.com', 'agent');
    });
    after(() => s.close());

    test('GET / redirects to /console, which asks to sign in; every page sends the CSP without unsafe-inline', async () => {
      const root = await fetch(s.url + '/', { redirect: 'manual' });
      assert.equal(root.status, 302);
      assert.equal(root.headers.get('location'), '/console');
      const c = new ConsoleClient(s.url);
      const r = await c.get('/console/webhooks');
      assert.equal(r.status, 303);
      assert.match(r.headers.get('location')!, /^\/console\/sign-in\?next=%2Fconsole%2Fwebhooks/);
      const page = await c.get('/console/sign-in');
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('content-security-policy'), CSP);
      assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval/);
      assert.doesNotMatch(page.text, /<script>|<style|style="/, 'no inline script or style');
    });

    test('sign-in sets an httpOnly SameSite=Lax session cookie (Secure behind HTTPS), rotates the id, and signs out', async () => {
      const c = new ConsoleClient(s.url);
      await c.get('/console/sign-in');
      const res = await c.post('/console/sign-in', { email: 'OWNER@example.com', password: PASSWORD, next: '/console/webhooks' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/console/webhooks');
      const cookie = res.headers.getSetCookie().find((l) => l.startsWith('sb_session='))!;
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      assert.doesNotMatch(cookie, /Secure/, 'plain HTTP: no Secure flag, or the browser would drop it');
      const first = c.cookies.get('sb_session')!;
      assert.equal((await c.get('/console/webhooks')).status, 200);

      const old = new ConsoleClient(s.url);
      old.cookies.set('sb_session', first);
      const signedIn = await fetch(s.url + '/console/sign-in', { headers: { cookie: `sb_session=${first}` }, redirect: 'manual' });
      assert.equal(signedIn.status, 302, 'a signed-in browser is sent on from the sign-in page');
      // New sign-in with the old cookie present.
      const c2 = new ConsoleClient(s.url);
      await c2.get('/console/sign-in');
      c2.cookies.set('sb_session', first);
      const rotated = await c2.request('POST', '/console/sign-in', { _csrf: c2.cookies.get('sb_presession')!, email: 'owner@example.com', password: PASSWORD, next: '/console' });
      assert.equal(rotated.status, 303);
      assert.notEqual(c2.cookies.get('sb_session'), first, 'a new session id at sign-in');
      assert.equal((await old.get('/console/webhooks')).status, 303, 'the session the browser had before is ended');

      const behindProxy = await fetch(s.url + '/console/sign-in', { headers: { 'x-forwarded-proto': 'https' } });
      assert.match(behindProxy.headers.getSetCookie().join('\n'), /sb_presession=.*Secure/);

      await c2.get('/console/webhooks'); // the signed-in page carries the session's CSRF token
      const out = await c2.post('/console/sign-out');
      assert.equal(out.status, 303);
      assert.equal(c2.cookies.has('sb_session'), false);
      const after = new ConsoleClient(s.url);
      after.cookies.set('sb_session', rotated.headers.getSetCookie().find((l) => l.startsWith('sb_session='))!.split(';')[0]!.split('=')[1]!);
      assert.equal((await after.get('/console/webhooks')).status, 303, 'signed out sessions are gone from the store');
    });

    test('state-changing requests without the CSRF token are refused', async () => {
      const c = new ConsoleClient(s.url);
      const noToken = await c.request('POST', '/console/sign-in', { email: 'owner@example.com', password: PASSWORD });
      assert.equal(noToken.status, 403);
      assert.match(noToken.text, /form expired/);
      await c.signIn('owner@example.com', PASSWORD);
      const r = await c.request('POST', '/console/webhooks/check', { url: 'x' }, { 'hx-request': 'true' });
      assert.equal(r.status, 403);
      const wrong = await c.request('POST', '/console/sign-out', { _csrf: 'not-the-token' });
      assert.equal(wrong.status, 403);
      assert.equal((await c.get('/console/webhooks')).status, 200, 'still signed in');
    });

    test('failed sign-ins are limited per account with a clear message; the right password then waits too', async () => {
      const c = new ConsoleClient(s.url);
      for (let i = 0; i < 3; i++) {
        await c.get('/console/sign-in');
        const r = await c.post('/console/sign-in', { email: 'agent@example.com', password: 'wrong-password-x' });
        assert.equal(r.status, 401);
        assert.match(r.text, /The email or password is not right/);
      }
      await c.get('/console/sign-in');
      const limited = await c.post('/console/sign-in', { email: 'agent@example.com', password: PASSWORD });
      assert.equal(limited.status, 429);
      assert.match(limited.text, /Too many failed sign-ins for this account\. Try again in \d+ minutes?\./);
      // Another account from the same address is still fine (per-address limit is 4x).
      const other = new ConsoleClient(s.url);
      assert.equal((await other.signIn('owner@example.com', PASSWORD)).status, 303);
    });

    test('failed sign-ins are limited per address across accounts', async () => {
      const c = new ConsoleClient(s.url);
      // 12 = 4x the per-account limit of 3; spread over unknown accounts so no account limit hits first.
      let last = 0;
      for (let i = 0; i < 13; i++) {
        await c.get('/console/sign-in');
        last = (await c.post('/console/sign-in', { email: `nobody${i}@example.com`, password: 'whatever-password' })).status;
      }
      assert.equal(last, 429);
      await c.get('/console/sign-in');
      const r = await c.post('/console/sign-in', { email: 'owner@example.com', password: PASSWORD });
      assert.equal(r.status, 429);
      assert.match(r.text, /from your address/);
      await s.server.platform.database.db.deleteFrom('sign_in_failures').execute();
    });

    test('sessions expire when idle and at the absolute limit', async () => {
      const c = new ConsoleClient(s.url);
      await c.signIn('owner@example.com', PASSWORD);
      assert.equal((await c.get('/console/webhooks')).status, 200);
      const db = s.server.platform.database.db;
      // Idle: last seen two minutes ago (the limit is one minute here).
      await db.updateTable('console_sessions').set({ seen_ms: Date.now() - 120_000 }).execute();
      assert.equal((await c.get('/console/webhooks')).status, 303);
      await c.signIn('owner@example.com', PASSWORD);
      // Absolute: created 13 hours ago, even though it was seen just now.
      await db.updateTable('console_sessions').set({ created_ms: Date.now() - 13 * 3_600_000, seen_ms: Date.now() }).execute();
      assert.equal((await c.get('/console/webhooks')).status, 303);
    });

    test('agents see no webhook link and get a 403 page on webhook settings', async () => {
      const c = new ConsoleClient(s.url);
      await s.server.platform.database.db.deleteFrom('sign_in_failures').execute();
      assert.equal((await c.signIn('agent@example.com', PASSWORD)).status, 303);
      const home = await c.get('/console');
      assert.equal(home.status, 200);
      assert.doesNotMatch(home.text, /href="\/console\/webhooks"/);
      for (const path of ['/console/webhooks', '/console/webhooks/new']) {
        const r = await c.get(path);
        assert.equal(r.status, 403, path);
        assert.match(r.text, /Not available for your role/);
      }
      const post = await c.htmx('POST', '/console/webhooks', { url: 'https://example.com', events: 'message.received' });
      assert.equal(post.status, 403);
      assert.equal((await s.api.get('/v1/webhooks')).body.data.length, 0);
    });
  });
}
