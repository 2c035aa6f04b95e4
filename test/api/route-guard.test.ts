import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, client, OWNER_KEY, type TestServer } from '../helpers/server.ts';
import { assertError } from '../helpers/assert-error.ts';

/** Spellings the router decodes to the `/v1/keys` route. */
const KEYS_SPELLINGS = ['/%761/keys', '/v1/%6beys', '/%76%31/%6b%65%79%73', '/v1/keys/'];
/** Spellings that match no route. */
const UNMATCHED = ['/V1/keys', '/v1//keys', '//v1/keys', '/v1/KEYS', '/%2fv1/keys', '/v1/nope', '/%761/nope'];

/** A request with no Authorization header at all. */
async function anonymous(base: string, path: string, method = 'GET') {
  const res = await fetch(base + path, { method });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
}


// The guard is a property of the router, the same for both stores.
describe('route guard', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer('sqlite', { SWITCHBOARD_RATE_LIMIT: '100' });
  });
  after(() => t.close());

  it('guards every /v1 route whatever the URL spelling', async () => {
    const agentKey = (await t.api.post('/v1/keys', { name: 'bot', role: 'agent' })).body.key;
    const agent = client(t.url, agentKey);
    for (const path of KEYS_SPELLINGS) {
      assertError(await anonymous(t.url, path), 401, 'missing_api_key');
      const refused = await agent.get(path);
      assertError(refused, 403, 'forbidden');
      assert.ok(refused.headers.get('ratelimit-limit'), `${path}: the guard took no rate-limit token`);
      assert.equal((await t.api.get(path)).status, 200, path);
    }
    // HEAD rides on the GET route, and so on its guard.
    assert.equal((await fetch(t.url + '/%761/keys', { method: 'HEAD' })).status, 401);
    // A route whose handler never asks for the caller: only the guard stands in the way.
    assertError(await anonymous(t.url, '/%761/event-types'), 401, 'missing_api_key');
    assertError(await agent.get('/%761/event-types'), 403, 'forbidden');
    assertError(await agent.post('/%761/keys', { role: 'owner' }), 403, 'forbidden');
  });

  it('guards every operation of the OpenAPI document under an encoded spelling', async () => {
    const doc = await (await fetch(t.url + '/openapi.json')).json();
    let checked = 0;
    for (const [path, ops] of Object.entries<Record<string, unknown>>(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      const encoded = '/%76' + path.slice(2).replace(/\{[^}]+\}/g, 'x_1');
      for (const method of Object.keys(ops)) {
        const res = await anonymous(t.url, encoded, method.toUpperCase());
        assert.equal(res.status, 401, `${method} ${encoded}: ${res.text}`);
        assert.equal(res.body.error.type, 'authentication');
        checked++;
      }
    }
    assert.ok(checked > 40, String(checked));
  });

  it('answers unmatched spellings with a 404 in the contract body, with or without a key', async () => {
    for (const path of UNMATCHED) {
      assertError(await anonymous(t.url, path), 404, 'route_not_found');
      const res = await client(t.url, OWNER_KEY).get(path);
      assertError(res, 404, 'route_not_found');
      assert.equal(res.body.error.type, 'not_found');
    }
  });

  it('applies idempotency to a request that reached its route by an encoded spelling', async () => {
    const headers = { 'idempotency-key': 'encoded-1' };
    const first = await t.api.post('/%761/users', { name: 'Encoded' }, headers);
    assert.equal(first.status, 201, first.text);
    const again = await t.api.post('/%761/users', { name: 'Encoded' }, headers);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
  });
});
