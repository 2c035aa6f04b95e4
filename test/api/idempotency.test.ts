import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startTestServer, client, STORES, ADMIN_TOKEN, type TestServer, type Client } from '../helpers/server.ts';
import { assertError } from '../helpers/assert-error.ts';


for (const store of STORES) {
  describe(`Idempotency-Key on ${store}`, () => {
    let t: TestServer;
    let owner: Client;
    before(async () => {
      t = await startTestServer(store, { SWITCHBOARD_IDEMPOTENCY_PURGE_SECONDS: '1' });
      owner = (await t.newCompany('idem')).api;
    });
    after(() => t.close());

    const mint = async (role: string) => {
      const res = await owner.post('/v1/keys', { name: role, role });
      assert.equal(res.status, 201, res.text);
      return { id: res.body.id as string, api: client(t.url, res.body.key) };
    };
    /** Every stored idempotency record, as text, to look for secrets in. */
    const storedRecords = async () => JSON.stringify(await t.server.platform.database.db.selectFrom('idempotency_keys').selectAll().execute());

    it('keeps records per API key: another key of the company runs its own request', async () => {
      const admin = await mint('admin');
      const headers = { 'idempotency-key': 'per-key-1' };
      const a = await owner.post('/v1/users', { name: 'Per key' }, headers);
      const b = await admin.api.post('/v1/users', { name: 'Per key' }, headers);
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.equal(b.headers.get('idempotent-replayed'), null);
      assert.notEqual(b.body.id, a.body.id);
      // Each key still replays its own answer.
      const again = await admin.api.post('/v1/users', { name: 'Per key' }, headers);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.body, b.body);
    });

    it('authenticates again before a replay: a revoked key gets 401, not the answer', async () => {
      const admin = await mint('admin');
      const headers = { 'idempotency-key': 'revoked-1' };
      assert.equal((await admin.api.post('/v1/users', { name: 'Before revoke' }, headers)).status, 201);
      assert.equal((await owner.delete(`/v1/keys/${admin.id}`)).status, 204);
      const replay = await admin.api.post('/v1/users', { name: 'Before revoke' }, headers);
      assertError(replay, 401, 'invalid_api_key');
      assert.equal(replay.headers.get('idempotent-replayed'), null);
    });

    it('checks the role before a replay: an agent key gets 403 on a managers route', async () => {
      const agent = await mint('agent');
      const headers = { 'idempotency-key': 'role-1' };
      const body = { name: 'webhook key', role: 'agent' };
      assert.equal((await owner.post('/v1/keys', body, headers)).status, 201);
      assertError(await agent.api.post('/v1/keys', body, headers), 403, 'forbidden');
    });

    it('never stores a new API key; a repeat is 409 idempotent_secret and creates nothing', async () => {
      const headers = { 'idempotency-key': 'secret-key-1' };
      const body = { name: 'ci', role: 'admin' };
      const first = await owner.post('/v1/keys', body, headers);
      assert.equal(first.status, 201, first.text);
      const before = (await owner.get('/v1/keys?limit=100')).body.data.length;
      const repeat = await owner.post('/v1/keys', body, headers);
      assertError(repeat, 409, 'idempotent_secret');
      assert.equal(repeat.body.error.type, 'conflict');
      assert.ok(!repeat.text.includes(first.body.key));
      assert.match(repeat.body.error.message, /shown once/);
      assert.ok(repeat.body.error.message.includes(first.body.id), 'names the key it created');
      assert.ok(repeat.body.error.message.includes(`DELETE /v1/keys/${first.body.id}`), 'says what to do');
      assert.equal((await owner.get('/v1/keys?limit=100')).body.data.length, before, 'no second key');
      assert.ok(!(await storedRecords()).includes(first.body.key), 'the plaintext is in the store');
      // Another body with that Idempotency-Key is still a mismatch, not a secret refusal.
      assertError(await owner.post('/v1/keys', { name: 'other' }, headers), 409, 'idempotency_key_reused');
    });

    it('replays a refusal of a secret route as usual (no secret in it)', async () => {
      const admin = await mint('admin');
      const headers = { 'idempotency-key': 'secret-refused-1' };
      const first = await admin.api.post('/v1/keys', { role: 'owner' }, headers);
      assertError(first, 403, 'forbidden');
      const again = await admin.api.post('/v1/keys', { role: 'owner' }, headers);
      assertError(again, 403, 'forbidden');
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
    });

    it('never stores a new company and its owner key; a repeat is 409 idempotent_secret', async () => {
      const admin = client(t.url, ADMIN_TOKEN);
      const headers = { 'idempotency-key': 'company-1' };
      const name = `Initech ${store}`;
      const first = await admin.post('/v1/companies', { name }, headers);
      assert.equal(first.status, 201, first.text);
      const repeat = await admin.post('/v1/companies', { name }, headers);
      assertError(repeat, 409, 'idempotent_secret');
      assert.ok(!repeat.text.includes(first.body.key.key));
      assert.ok(repeat.body.error.message.includes(first.body.company.id));
      const companies = await t.server.platform.database.db.selectFrom('companies').select('id').where('name', '=', name).execute();
      assert.equal(companies.length, 1, 'no second company');
      assert.ok(!(await storedRecords()).includes(first.body.key.key));
    });

    it('never stores a rotated signing secret; a repeat is 409 idempotent_secret and rotates nothing', async () => {
      const wh = await owner.post('/v1/webhooks', { url: 'https://hooks.example.com/in', events: ['message.received'] });
      assert.equal(wh.status, 201, wh.text);
      assert.doesNotMatch(wh.text, /whsec_/, 'the create answer carries no secret, so it may be stored');
      const headers = { 'idempotency-key': 'rotate-1' };
      const first = await owner.post(`/v1/webhooks/${wh.body.id}/secret/rotate`, undefined, headers);
      assert.equal(first.status, 200, first.text);
      const repeat = await owner.post(`/v1/webhooks/${wh.body.id}/secret/rotate`, undefined, headers);
      assertError(repeat, 409, 'idempotent_secret');
      assert.ok(!repeat.text.includes(first.body.secret));
      assert.ok(repeat.body.error.message.includes(`GET /v1/webhooks/${wh.body.id}/secret`));
      assert.equal((await owner.get(`/v1/webhooks/${wh.body.id}/secret`)).body.secret, first.body.secret, 'rotated once');
      assert.ok(!(await storedRecords()).includes(first.body.secret.slice(6)));
    });

    it('documents the secret routes in the OpenAPI document', async () => {
      const doc = await (await fetch(t.url + '/openapi.json')).json();
      for (const path of ['/v1/keys', '/v1/companies', '/v1/webhooks/{id}/secret/rotate']) {
        assert.match(doc.paths[path].post.description ?? '', /idempotent_secret/, path);
      }
      assert.doesNotMatch(doc.paths['/v1/users'].post.description ?? '', /idempotent_secret/);
      assert.match(doc.info.description, /idempotent_secret/);
    });

    it('purges expired records on its timer', async () => {
      const { db } = t.server.platform.database;
      const purge = t.server.idempotencyPurge;
      assert.ok(purge, 'the API process runs the purge');
      await owner.post('/v1/users', { name: 'Expiring' }, { 'idempotency-key': 'expiring-1' });
      await owner.post('/v1/users', { name: 'Fresh' }, { 'idempotency-key': 'fresh-1' });
      await db.updateTable('idempotency_keys').set({ expires_ms: Date.now() - 1 }).where('idem_key', '=', 'expiring-1').execute();
      const exists = async (key: string) => (await db.selectFrom('idempotency_keys').select('idem_key').where('idem_key', '=', key).execute()).length > 0;
      // A purge that began before the update may still miss the row; the next one may not.
      let runs = 0;
      while (await exists('expiring-1')) {
        await once(purge, 'ran');
        if (++runs > 3) assert.fail('the purge ran three times and kept the expired record');
      }
      assert.ok(await exists('fresh-1'), 'a live record was purged');
    });
  });
}
