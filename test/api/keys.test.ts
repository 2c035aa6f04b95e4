import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, client, STORES, type TestServer, type Client } from '../helpers/server.ts';
import { assertError } from '../helpers/assert-error.ts';


for (const store of STORES) {
  describe(`API key roles on ${store}`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer(store);
    });
    after(() => t.close());

    /** A fresh company whose owner mints an admin and an agent key. */
    async function company() {
      const { companyId, api: owner } = await t.newCompany();
      const mint = async (c: Client, role: string) => {
        const res = await c.post('/v1/keys', { name: role, role });
        assert.equal(res.status, 201, res.text);
        return { id: res.body.id as string, api: client(t.url, res.body.key) };
      };
      const ownerId = (await owner.get('/v1/keys')).body.data.find((k: any) => k.role === 'owner').id as string;
      return { companyId, owner, ownerId, admin: await mint(owner, 'admin'), agent: await mint(owner, 'agent'), mint };
    }

    const ownerCount = async (c: Client) => (await c.get('/v1/keys?limit=100')).body.data.filter((k: any) => k.role === 'owner').length;

    it('an admin cannot create or revoke an owner key, and says why', async () => {
      const { owner, ownerId, admin } = await company();
      const created = await admin.api.post('/v1/keys', { name: 'climb', role: 'owner' });
      assertError(created, 403, 'forbidden');
      assert.match(created.body.error.message, /admin key cannot create an owner key/);
      const revoked = await admin.api.delete(`/v1/keys/${ownerId}`);
      assertError(revoked, 403, 'forbidden');
      assert.match(revoked.body.error.message, /admin key cannot revoke an owner key/);
      assert.equal((await owner.get('/v1/keys')).status, 200, 'the owner key still works');
      assert.equal(await ownerCount(owner), 1);
    });

    it('an admin manages keys up to its own rank; lists never carry a secret', async () => {
      const { owner, admin, agent, mint } = await company();
      const other = await mint(admin.api, 'admin');
      assert.equal((await admin.api.delete(`/v1/keys/${other.id}`)).status, 204);
      assert.equal((await admin.api.delete(`/v1/keys/${agent.id}`)).status, 204);
      assertError(await agent.api.get('/v1/users'), 401, 'invalid_api_key');
      const listed = await admin.api.get('/v1/keys');
      assert.equal(listed.status, 200);
      assert.ok(listed.body.data.some((k: any) => k.role === 'owner'), 'admins see that owner keys exist');
      for (const k of listed.body.data) assert.deepEqual(Object.keys(k).sort(), ['created_at', 'id', 'last_used_at', 'name', 'prefix', 'role']);
      assert.ok(!listed.text.includes(owner.key));
    });

    it('a key in use is refused from the request after its revocation on, even with requests in flight', async () => {
      for (let round = 0; round < 3; round++) {
        const { owner, agent } = await company();
        assert.equal((await agent.api.get('/v1/users')).status, 200);
        // Requests of the key race the revocation: each may pass or be refused, but none may
        // bring the key back once the revocation answered.
        const inFlight = Array.from({ length: 20 }, () => agent.api.get('/v1/users'));
        assert.equal((await owner.delete(`/v1/keys/${agent.id}`)).status, 204);
        for (const res of await Promise.all(inFlight)) assert.ok([200, 401].includes(res.status), res.text);
        for (let i = 0; i < 3; i++) assertError(await agent.api.get('/v1/users'), 401, 'invalid_api_key');
      }
    });

    it("nobody can revoke the company's last owner key (409 last_owner_key)", async () => {
      const { owner, ownerId, mint } = await company();
      const self = await owner.delete(`/v1/keys/${ownerId}`);
      assertError(self, 409, 'last_owner_key');
      assert.match(self.body.error.message, /create another owner key/);
      assert.equal((await owner.get('/v1/keys')).status, 200);
      // With a second owner the first may go; then the second is the last one.
      const second = await mint(owner, 'owner');
      assert.equal((await second.api.delete(`/v1/keys/${ownerId}`)).status, 204);
      assertError(await owner.get('/v1/keys'), 401, 'invalid_api_key');
      assertError(await second.api.delete(`/v1/keys/${second.id}`), 409, 'last_owner_key');
      assert.equal(await ownerCount(second.api), 1);
    });

    it('two owners revoking each other at once leave one owner', async () => {
      for (let round = 0; round < 5; round++) {
        const { owner, ownerId, mint } = await company();
        const second = await mint(owner, 'owner');
        const [a, b] = await Promise.all([owner.delete(`/v1/keys/${second.id}`), second.api.delete(`/v1/keys/${ownerId}`)]);
        const statuses = [a.status, b.status].sort();
        // One wins (204); the other finds the last owner (409), or its own key already gone (401).
        assert.equal(statuses.filter((s) => s === 204).length, 1, `${a.text} ${b.text}`);
        assert.ok([401, 409].includes(statuses[1]), `${a.text} ${b.text}`);
        const survivor = a.status === 204 ? owner : second.api;
        assert.equal(await ownerCount(survivor), 1);
      }
    });

    it("an admin never obtains an owner key's plaintext by replaying the owner's request", async () => {
      const { owner, admin } = await company();
      const headers = { 'idempotency-key': 'K-owner-key' };
      const body = { name: 'second owner', role: 'owner' };
      const first = await owner.post('/v1/keys', body, headers);
      assert.equal(first.status, 201, first.text);
      const plaintext: string = first.body.key;
      const replay = await admin.api.post('/v1/keys', body, headers);
      assert.ok(!replay.text.includes(plaintext), 'the admin got the owner key');
      assert.equal(replay.headers.get('idempotent-replayed'), null);
      assertError(replay, 403, 'forbidden');
      assert.equal(await ownerCount(owner), 2);
    });
  });
}
