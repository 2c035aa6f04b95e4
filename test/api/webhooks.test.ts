import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, client, STORES, type TestServer, type Client } from '../helpers/server.ts';
import { settingsOf } from '../../src/store/webhooks.ts';

const URL_OK = 'https://hooks.example.com/in';

function assertInvalid(res: { status: number; body: any }, param: string, code = 'validation_failed') {
  assert.equal(res.status, 422, JSON.stringify(res.body));
  assert.equal(res.body.error.type, 'validation', JSON.stringify(res.body));
  assert.equal(res.body.error.code, code, JSON.stringify(res.body));
  assert.equal(res.body.error.param, param, JSON.stringify(res.body));
}

for (const store of STORES) {
  describe(`webhook endpoints API on ${store}`, () => {
    let t: TestServer;
    let api: Client;
    before(async () => {
      // No SWITCHBOARD_ALLOW_HTTP: http:// URLs are refused.
      t = await startTestServer(store, { SWITCHBOARD_MAX_WEBHOOKS: '6' });
      api = (await t.newCompany('webhooks-api')).api;
    });
    after(async () => {
      await t.close();
    });

    /** A fresh company, so the per-company rules start from zero. */
    const fresh = async () => (await t.newCompany()).api;
    const create = (c: Client, body: Record<string, unknown>) => c.post('/v1/webhooks', { url: URL_OK, events: ['message.received'], ...body });

    it('creates an endpoint with the documented defaults and never shows the signing secret', async () => {
      const res = await api.post('/v1/webhooks', { url: URL_OK, events: ['conversation.*', 'message.received'] });
      assert.equal(res.status, 201, res.text);
      const wh = res.body;
      assert.match(wh.id, /^wh_[0-9A-Z]{26}$/);
      assert.deepEqual(
        { ...wh, id: undefined, created_at: undefined, updated_at: undefined },
        {
          id: undefined,
          url: URL_OK,
          description: '',
          status: 'active',
          events: ['conversation.*', 'message.received'],
          filter: null,
          auth: { type: 'none' },
          headers: [],
          retry: { schedule: [3, 3] },
          failure_threshold: 3,
          timeout_ms: 10000,
          ordering: 'none',
          max_in_flight: 16,
          rate_limit_per_s: null,
          setup_failure: 'fallback',
          body_format: 'envelope',
          created_at: undefined,
          updated_at: undefined,
        },
      );
      assert.match(wh.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.doesNotMatch(res.text, /whsec_/);
      assert.deepEqual((await api.get(`/v1/webhooks/${wh.id}`)).body, wh);
      const list = await api.get('/v1/webhooks');
      assert.equal(list.status, 200);
      assert.ok(list.body.data.some((w: any) => w.id === wh.id));
      assert.doesNotMatch(list.text, /whsec_/);
    });

    it('gives a conversation.setup endpoint a 5 s default timeout and allows only one per company', async () => {
      const c = await fresh();
      const setup = await create(c, { events: ['conversation.setup'], setup_failure: 'reject' });
      assert.equal(setup.status, 201, setup.text);
      assert.equal(setup.body.timeout_ms, 5000);
      assert.equal(setup.body.setup_failure, 'reject');
      assertInvalid(await create(c, { events: ['message.received', 'conversation.setup'] }), '/events/1');
      const other = await create(c, { events: ['message.received'] });
      assertInvalid(await c.patch(`/v1/webhooks/${other.body.id}`, { events: ['conversation.setup'] }), '/events/0');
      // the setup endpoint itself may be patched while it keeps the subscription
      const patched = await c.patch(`/v1/webhooks/${setup.body.id}`, { events: ['conversation.setup', 'user.created'] });
      assert.equal(patched.status, 200, patched.text);
      // a wildcard never subscribes to conversation.setup, so it does not count
      assert.equal((await create(c, { events: ['*'] })).status, 201);
    });

    it('refuses invalid URLs with param /url', async () => {
      const plain = await create(api, { url: 'http://hooks.example.com/in' });
      assertInvalid(plain, '/url');
      assert.match(plain.body.error.message, /--dev.*SWITCHBOARD_ALLOW_HTTP=true/, 'says which setting allows http:// for local development');
      const two = await create(api, { url: 'https://a.example.com/in,https://b.example.com/in' });
      assertInvalid(two, '/url');
      assert.match(two.body.error.message, /one endpoint per URL/);
      assert.equal((await create(api, { url: 'https://a.example.com/in?x=1,2' })).status, 201, 'a comma alone is fine');
      assertInvalid(await create(api, { url: 'hooks.example.com/in' }), '/url');
      assertInvalid(await create(api, { url: 'ftp://hooks.example.com/in' }), '/url');
      assertInvalid(await create(api, { url: 'https://user:pass@hooks.example.com/in' }), '/url');
      assertInvalid(await create(api, { url: 'https://hooks.example.com/\nin' }), '/url');
      assertInvalid(await create(api, { url: 'https://hooks.example.com/' + 'a'.repeat(2048) }), '/url');
      assertInvalid(await api.post('/v1/webhooks', { events: ['message.received'] }), '/url');
      assertInvalid(await create(api, { url: 42 }), '/url');
    });

    it('refuses unknown event names and patterns with their index', async () => {
      assertInvalid(await create(api, { events: ['message.received', 'message.recieved'] }), '/events/1');
      assertInvalid(await create(api, { events: ['nothing.*'] }), '/events/0');
      // A product docs name gets the Switchboard name and where the catalog is.
      const foreign = await create(api, { events: ['call.end'] });
      assertInvalid(foreign, '/events/0');
      assert.match(foreign.body.error.message, /Did you mean "call\.ended"\?.*GET \/v1\/event-types/);
      const typo = await create(api, { events: ['message.recieved'] });
      assert.match(typo.body.error.message, /Did you mean "message\.received"/);
      assertInvalid(await create(api, { events: [] }), '/events');
      assertInvalid(await api.post('/v1/webhooks', { url: URL_OK }), '/events');
      assert.equal((await create(api, { events: ['*'] })).status, 201);
    });

    it('checks the payload filter', async () => {
      assertInvalid(await create(api, { filter: { 'data.conversation.department': { $bad: 1 } } }), '/filter/data.conversation.department');
      assertInvalid(await create(api, { filter: { 'data..x': 1 } }), '/filter/data..x');
      assertInvalid(await create(api, { filter: { 'data.x': { $in: 'sales' } } }), '/filter/data.x');
      assertInvalid(await create(api, { filter: [] }), '/filter');
    });

    it('checks every custom header rule', async () => {
      const h = (key: string, value = 'v') => ({ key, value });
      assertInvalid(await create(api, { headers: Array.from({ length: 11 }, (_, i) => h(`X-H${i}`)) }), '/headers');
      assertInvalid(await create(api, { headers: [h('X-A'), h('')] }), '/headers/1/key');
      assertInvalid(await create(api, { headers: [h('X-A'), h('X-B'), h('x-a')] }), '/headers/2/key');
      assertInvalid(await create(api, { headers: [h('X-A', 'a\r\nInjected: 1')] }), '/headers/0/value');
      assertInvalid(await create(api, { headers: [h('X-A', 'a\nb')] }), '/headers/0/value');
      assertInvalid(await create(api, { headers: [h('X-A', 'a\0b')] }), '/headers/0/value');
      assertInvalid(await create(api, { headers: [h('X-A\r\nB')] }), '/headers/0/key');
      assertInvalid(await create(api, { headers: [h('X A')] }), '/headers/0/key');
      const clientOwned = ['Transfer-Encoding', 'connection', 'Keep-Alive', 'upgrade', 'Expect', 'TE', 'trailer', 'Proxy-Authorization', 'proxy-connection'];
      for (const reserved of ['webhook-id', 'Webhook-Signature', 'webhook-anything', 'Content-Type', 'content-length', 'Host', ...clientOwned]) {
        assertInvalid(await create(api, { headers: [h('X-Ok'), h(reserved)] }), '/headers/1/key');
      }
      for (const reserved of clientOwned) {
        assertInvalid(await create(api, { auth: { type: 'api_key', in: 'header', name: reserved, value: 'k' } }), '/auth/name');
      }
      // authorization is reserved only when auth is basic
      assertInvalid(await create(api, { auth: { type: 'basic', username: 'u', password: 'p' }, headers: [h('Authorization', 'Bearer x')] }), '/headers/0/key');
      // the api_key header would be sent twice
      assertInvalid(await create(api, { auth: { type: 'api_key', in: 'header', name: 'X-Key', value: 'k' }, headers: [h('x-key')] }), '/headers/0/key');
      // the value is optional (an empty header is sent); the key is not
      assertInvalid(await create(api, { headers: [{ value: 'v' }] }), '/headers/0/key');
      assertInvalid(await create(api, { headers: [{ key: '', value: '' }] }), '/headers/0/key');
      const valueless = await create(api, { headers: [{ key: 'X-A' }, { key: 'X-B', value: '' }] });
      assert.equal(valueless.status, 201, valueless.text);
      assert.deepEqual(valueless.body.headers, [{ key: 'X-A', value: '' }, { key: 'X-B', value: '' }]);
      await api.delete(`/v1/webhooks/${valueless.body.id}`);
      assertInvalid(await create(api, { headers: [{ key: 'X-A', value: 'v', extra: 1 }] }), '/headers/0/extra');
      const ok = await create(api, { headers: [h('Authorization', 'Bearer x'), h('X-Source', 'switchboard')] });
      assert.equal(ok.status, 201, ok.text);
      await api.delete(`/v1/webhooks/${ok.body.id}`);
    });

    it('checks auth per type', async () => {
      assertInvalid(await create(api, { auth: { type: 'oauth' } }), '/auth/type');
      assertInvalid(await create(api, { auth: { type: 'basic', password: 'p' } }), '/auth/username');
      assertInvalid(await create(api, { auth: { type: 'basic', username: 'u' } }), '/auth/password');
      assertInvalid(await create(api, { auth: { type: 'basic', username: 'a:b', password: 'p' } }), '/auth/username');
      assertInvalid(await create(api, { auth: { type: 'basic', username: 'u', password: 'p', name: 'x' } }), '/auth/name');
      assertInvalid(await create(api, { auth: { type: 'none', username: 'u' } }), '/auth/username');
      assertInvalid(await create(api, { auth: { type: 'api_key', name: 'k', value: 'v' } }), '/auth/in');
      assertInvalid(await create(api, { auth: { type: 'api_key', in: 'header', value: 'v' } }), '/auth/name');
      assertInvalid(await create(api, { auth: { type: 'api_key', in: 'header', name: 'X-Key' } }), '/auth/value');
      assertInvalid(await create(api, { auth: { type: 'api_key', in: 'header', name: 'Content-Type', value: 'v' } }), '/auth/name');
      assertInvalid(await create(api, { auth: { type: 'api_key', in: 'header', name: 'X-Key', value: 'a\r\nb' } }), '/auth/value');
      assertInvalid(await create(api, { auth: { type: 'api_key', in: 'cookie', name: 'k', value: 'v' } }), '/auth/in');
    });

    it('checks numbers, enums, the retry schedule and unknown fields', async () => {
      assertInvalid(await create(api, { retry: { schedule: [1, 1.5] } }), '/retry/schedule/1');
      assertInvalid(await create(api, { retry: { schedule: [-1] } }), '/retry/schedule/0');
      assertInvalid(await create(api, { retry: { schedule: Array(21).fill(1) } }), '/retry/schedule');
      assertInvalid(await create(api, { retry: {} }), '/retry/schedule');
      assertInvalid(await create(api, { failure_threshold: 0 }), '/failure_threshold');
      assertInvalid(await create(api, { timeout_ms: 10 }), '/timeout_ms');
      assertInvalid(await create(api, { timeout_ms: 60_001 }), '/timeout_ms');
      assertInvalid(await create(api, { max_in_flight: '5' }), '/max_in_flight');
      assertInvalid(await create(api, { rate_limit_per_s: 0 }), '/rate_limit_per_s');
      assertInvalid(await create(api, { ordering: 'global' }), '/ordering');
      assertInvalid(await create(api, { setup_failure: 'ignore' }), '/setup_failure');
      assertInvalid(await create(api, { body_format: 'markdown' }), '/body_format');
      assertInvalid(await create(api, { status: 'inactive' }), '/status');
      assertInvalid(await create(api, { secret: 'whsec_x' }), '/secret');
      const ok = await create(api, { retry: { schedule: [] }, failure_threshold: 10, timeout_ms: 100, max_in_flight: 1, rate_limit_per_s: 5, ordering: 'conversation' });
      assert.equal(ok.status, 201, ok.text);
      await api.delete(`/v1/webhooks/${ok.body.id}`);
    });

    it('body_format "slack" is for the operational events alone, on create and on every patch', async () => {
      const c = await fresh();
      const msg = async (res: { status: number; body: any }, param: string, names: RegExp) => {
        assertInvalid(res, param);
        assert.match(res.body.error.message, /body_format "slack" posts a one-line summary, which only webhook\.failed, webhook\.recovered, delivery\.exhausted have/);
        assert.match(res.body.error.message, names);
      };
      await msg(await create(c, { body_format: 'slack' }), '/events/0', /"message\.received" selects message\.received/);
      await msg(await create(c, { body_format: 'slack', events: ['webhook.failed', '*'] }), '/events/1', /"\*" selects /);
      await msg(await create(c, { body_format: 'slack', events: ['conversation.*'] }), '/events/0', /"conversation\.\*" selects conversation\./);
      // Patterns that select only operational events are fine.
      const ok = await create(c, { body_format: 'slack', events: ['webhook.*', 'delivery.exhausted'] });
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.body.body_format, 'slack');
      assert.equal((await c.get(`/v1/webhooks/${ok.body.id}`)).body.body_format, 'slack');
      // A patch is checked against what the endpoint will be: the stored format with the new events.
      await msg(await c.patch(`/v1/webhooks/${ok.body.id}`, { events: ['webhook.failed', 'message.received'] }), '/events/1', /message\.received/);
      const back = await c.patch(`/v1/webhooks/${ok.body.id}`, { body_format: 'envelope', events: ['message.received'] });
      assert.equal(back.status, 200, back.text);
      assert.equal(back.body.body_format, 'envelope');
      await msg(await c.patch(`/v1/webhooks/${ok.body.id}`, { body_format: 'slack' }), '/events/0', /message\.received/);
      assert.equal((await c.get(`/v1/webhooks/${ok.body.id}`)).body.body_format, 'envelope', 'a refused patch changes nothing');
    });

    it('caps the endpoints per company (limit_reached)', async () => {
      const c = await fresh();
      for (let i = 0; i < t.config.maxWebhooksPerCompany; i++) assert.equal((await create(c, {})).status, 201);
      const res = await create(c, {});
      assert.equal(res.status, 422);
      assert.equal(res.body.error.code, 'limit_reached');
      // deleting one makes room again
      const first = (await c.get('/v1/webhooks?limit=1')).body.data[0];
      assert.equal((await c.delete(`/v1/webhooks/${first.id}`)).status, 204);
      assert.equal((await create(c, {})).status, 201);
    });

    it('encrypts credentials at rest, masks them on reads and keeps them when the mask is sent back', async () => {
      const c = await fresh();
      const res = await create(c, {
        auth: { type: 'basic', username: 'ada', password: 'pa55-word' },
        headers: [
          { key: 'X-Source', value: 'switchboard' },
          { key: 'X-Api-Token', value: 'tok-123' },
        ],
      });
      assert.equal(res.status, 201, res.text);
      const wh = res.body;
      assert.deepEqual(wh.auth, { type: 'basic', username: 'ada', password: '••••' });
      assert.deepEqual(wh.headers, [
        { key: 'X-Source', value: 'switchboard' },
        { key: 'X-Api-Token', value: '••••' },
      ]);
      assert.doesNotMatch(res.text, /pa55-word|tok-123/);
      const { db } = t.server.platform.database;
      const row = await db.selectFrom('webhooks').selectAll().where('id', '=', wh.id).executeTakeFirstOrThrow();
      for (const column of [row.auth, row.headers, row.secret]) assert.doesNotMatch(column, /pa55-word|tok-123|whsec_|switchboard/);

      // a read-modify-write round trip keeps the stored credentials
      const back = await c.patch(`/v1/webhooks/${wh.id}`, { auth: wh.auth, headers: [...wh.headers, { key: 'X-New', value: 'n' }], description: 'crm' });
      assert.equal(back.status, 200, back.text);
      assert.equal(back.body.description, 'crm');
      let stored = settingsOf(await db.selectFrom('webhooks').selectAll().where('id', '=', wh.id).executeTakeFirstOrThrow(), t.server.platform.secrets);
      assert.deepEqual(stored.auth, { type: 'basic', username: 'ada', password: 'pa55-word' });
      assert.deepEqual(stored.headers.map((h) => h.value), ['switchboard', 'tok-123', 'n']);

      const apiKey = await c.patch(`/v1/webhooks/${wh.id}`, { auth: { type: 'api_key', in: 'query', name: 'key', value: 'k-999' } });
      assert.deepEqual(apiKey.body.auth, { type: 'api_key', in: 'query', name: 'key', value: '••••' });
      stored = settingsOf(await db.selectFrom('webhooks').selectAll().where('id', '=', wh.id).executeTakeFirstOrThrow(), t.server.platform.secrets);
      assert.equal(stored.auth.type === 'api_key' && stored.auth.value, 'k-999');
      // patching filter to null removes it; other fields stay
      const f = await c.patch(`/v1/webhooks/${wh.id}`, { filter: { type: 'message.received' } });
      assert.deepEqual(f.body.filter, { type: 'message.received' });
      const nf = await c.patch(`/v1/webhooks/${wh.id}`, { filter: null });
      assert.equal(nf.body.filter, null);
      assert.equal(nf.body.description, 'crm');
    });

    it('drops stored credentials when the url moves to another origin, unless the same patch sends them again', async () => {
      const c = await fresh();
      const { db } = t.server.platform.database;
      const storedOf = async (id: string) => settingsOf(await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirstOrThrow(), t.server.platform.secrets);
      const res = await create(c, {
        url: 'https://hooks.example.com/in',
        auth: { type: 'basic', username: 'ada', password: 'pa55-word' },
        headers: [
          { key: 'X-Source', value: 'switchboard' },
          { key: 'X-Api-Token', value: 'tok-123' },
        ],
      });
      assert.equal(res.status, 201, res.text);
      const id = res.body.id;

      // Same origin, other path and query: the credentials stay.
      let p = await c.patch(`/v1/webhooks/${id}`, { url: 'https://hooks.example.com:443/v2?x=1' });
      assert.equal(p.status, 200, p.text);
      assert.deepEqual((await storedOf(id)).auth, { type: 'basic', username: 'ada', password: 'pa55-word' });

      // Another host, port or scheme: auth becomes none and credential-looking headers go.
      for (const url of ['https://evil.example.net/in', 'https://hooks.example.com:8443/in']) {
        const again = await c.patch(`/v1/webhooks/${id}`, { url: 'https://hooks.example.com/in', auth: { type: 'basic', username: 'ada', password: 'pa55-word' }, headers: [{ key: 'X-Source', value: 'switchboard' }, { key: 'X-Api-Token', value: 'tok-123' }] });
        assert.equal(again.status, 200, again.text);
        p = await c.patch(`/v1/webhooks/${id}`, { url });
        assert.equal(p.status, 200, p.text);
        assert.deepEqual(p.body.auth, { type: 'none' });
        assert.deepEqual(p.body.headers, [{ key: 'X-Source', value: 'switchboard' }]);
        const stored = await storedOf(id);
        assert.deepEqual(stored.auth, { type: 'none' }, url);
        assert.deepEqual(stored.headers, [{ key: 'X-Source', value: 'switchboard' }], url);
      }

      // A read-modify-write that moves the url cannot carry a masked credential along: 422.
      await c.patch(`/v1/webhooks/${id}`, { url: 'https://hooks.example.com/in', auth: { type: 'api_key', in: 'header', name: 'X-Key', value: 'k-1' }, headers: [{ key: 'X-Api-Token', value: 'tok-123' }] });
      const read = (await c.get(`/v1/webhooks/${id}`)).body;
      assertInvalid(await c.patch(`/v1/webhooks/${id}`, { url: 'https://other.example.org/in', auth: read.auth }), '/auth/value');
      assertInvalid(await c.patch(`/v1/webhooks/${id}`, { url: 'https://other.example.org/in', auth: { type: 'none' }, headers: read.headers }), '/headers/0/value');
      assert.deepEqual((await storedOf(id)).auth, { type: 'api_key', in: 'header', name: 'X-Key', value: 'k-1' });

      // Sent again in full with the move, they are kept for the new origin.
      p = await c.patch(`/v1/webhooks/${id}`, { url: 'https://other.example.org/in', auth: { type: 'api_key', in: 'header', name: 'X-Key', value: 'k-2' } });
      assert.equal(p.status, 200, p.text);
      const moved = await storedOf(id);
      assert.deepEqual(moved.auth, { type: 'api_key', in: 'header', name: 'X-Key', value: 'k-2' });
      assert.deepEqual(moved.headers, []);
    });

    it('serves and rotates the signing secret; the previous one keeps signing for 24 h', async () => {
      const wh = (await create(api, {})).body;
      const s1 = await api.get(`/v1/webhooks/${wh.id}/secret`);
      assert.equal(s1.status, 200);
      assert.match(s1.body.secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
      assert.ok(Buffer.from(s1.body.secret.slice(6), 'base64').length >= 24);
      const r = await api.post(`/v1/webhooks/${wh.id}/secret/rotate`);
      assert.equal(r.status, 200, r.text);
      assert.match(r.body.secret, /^whsec_/);
      assert.notEqual(r.body.secret, s1.body.secret);
      assert.equal((await api.get(`/v1/webhooks/${wh.id}/secret`)).body.secret, r.body.secret);
      const row = await t.server.platform.database.db.selectFrom('webhooks').selectAll().where('id', '=', wh.id).executeTakeFirstOrThrow();
      assert.equal(t.server.platform.secrets.open(row.previous_secret!), s1.body.secret);
      const overlap = Date.parse(row.previous_secret_expires_at!) - Date.now();
      assert.ok(overlap > 23.9 * 3600_000 && overlap <= 24 * 3600_000, String(overlap));
      await api.delete(`/v1/webhooks/${wh.id}`);
    });

    it('disables and enables; enabling a failed endpoint resets its counter and emits webhook.recovered', async () => {
      const c = await fresh();
      const wh = (await create(c, {})).body;
      const off = await c.post(`/v1/webhooks/${wh.id}/disable`);
      assert.equal(off.status, 200, off.text);
      assert.equal(off.body.status, 'inactive');
      const on = await c.post(`/v1/webhooks/${wh.id}/enable`);
      assert.equal(on.body.status, 'active');
      assert.equal((await c.get('/v1/events?type=webhook.recovered')).body.data.length, 0, 'inactive -> active is not a recovery');

      const { db } = t.server.platform.database;
      await db.updateTable('webhooks').set({ status: 'failed', failure_count: 3, failure_window_start: new Date().toISOString() }).where('id', '=', wh.id).execute();
      assert.equal((await c.get(`/v1/webhooks/${wh.id}`)).body.status, 'failed');
      assert.equal((await c.post(`/v1/webhooks/${wh.id}/enable`)).body.status, 'active');
      const row = await db.selectFrom('webhooks').selectAll().where('id', '=', wh.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.failure_count), 0);
      const recovered = (await c.get('/v1/events?type=webhook.recovered')).body.data;
      assert.equal(recovered.length, 1);
      assert.equal(recovered[0].data.webhook.id, wh.id);
      assert.equal(recovered[0].data.webhook.status, 'active');
    });

    it('deletes an endpoint (204), after which it is gone', async () => {
      const wh = (await create(api, {})).body;
      const del = await api.delete(`/v1/webhooks/${wh.id}`);
      assert.equal(del.status, 204);
      assert.equal((await api.get(`/v1/webhooks/${wh.id}`)).status, 404);
      assert.equal((await api.delete(`/v1/webhooks/${wh.id}`)).status, 404);
    });

    it('pages the list with a cursor', async () => {
      const c = await fresh();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await create(c, { description: `n${i}` })).body.id);
      const p1 = await c.get('/v1/webhooks?limit=2');
      assert.deepEqual(p1.body.data.map((w: any) => w.id), [ids[2], ids[1]]);
      const p2 = await c.get(`/v1/webhooks?limit=2&cursor=${p1.body.next_cursor}`);
      assert.deepEqual(p2.body.data.map((w: any) => w.id), [ids[0]]);
      assert.equal(p2.body.next_cursor, null);
      assert.equal((await c.get('/v1/webhooks?cursor=bogus')).status, 400);
    });

    it('hides another company\'s endpoints (404) and refuses agent keys (403)', async () => {
      const wh = (await create(api, {})).body;
      const other = (await t.newCompany('intruder')).api;
      for (const res of [
        await other.get(`/v1/webhooks/${wh.id}`),
        await other.patch(`/v1/webhooks/${wh.id}`, { description: 'x' }),
        await other.delete(`/v1/webhooks/${wh.id}`),
        await other.get(`/v1/webhooks/${wh.id}/secret`),
        await other.post(`/v1/webhooks/${wh.id}/secret/rotate`),
        await other.post(`/v1/webhooks/${wh.id}/disable`),
        await other.post(`/v1/webhooks/${wh.id}/enable`),
        await other.post(`/v1/webhooks/${wh.id}/test`, { type: 'user.created' }),
        await other.post(`/v1/webhooks/${wh.id}/recover`, { since: new Date().toISOString() }),
        await other.get(`/v1/webhooks/${wh.id}/deliveries`),
      ]) {
        assert.equal(res.status, 404, JSON.stringify(res.body));
        assert.equal(res.body.error.type, 'not_found');
      }
      assert.equal((await other.get('/v1/webhooks')).body.data.length, 0);
      assert.equal((await api.get(`/v1/webhooks/${wh.id}`)).body.status, 'active');

      const agentKey = (await api.post('/v1/keys', { name: 'agent', role: 'agent' })).body.key;
      const agent = client(t.url, agentKey);
      for (const res of [
        await agent.get('/v1/webhooks'),
        await agent.post('/v1/webhooks', { url: URL_OK, events: ['*'] }),
        await agent.get(`/v1/webhooks/${wh.id}`),
        await agent.get(`/v1/webhooks/${wh.id}/secret`),
        await agent.get(`/v1/webhooks/${wh.id}/deliveries`),
        await agent.get('/v1/deliveries/dlv_01JAAAAAAAAAAAAAAAAAAAAAAA'),
      ]) {
        assert.equal(res.status, 403, JSON.stringify(res.body));
        assert.equal(res.body.error.type, 'permission');
      }
      await api.delete(`/v1/webhooks/${wh.id}`);
    });

    it('validates the test and recover bodies', async () => {
      const wh = (await create(api, {})).body;
      assertInvalid(await api.post(`/v1/webhooks/${wh.id}/test`, { type: 'no.such' }), '/type');
      assertInvalid(await api.post(`/v1/webhooks/${wh.id}/test`, {}), '/type');
      assertInvalid(await api.post(`/v1/webhooks/${wh.id}/recover`, { since: 'yesterday' }), '/since');
      assertInvalid(await api.post(`/v1/webhooks/${wh.id}/recover`, {}), '/since');
      assert.equal((await api.get(`/v1/webhooks/${wh.id}/deliveries?status=lost`)).status, 422);
      await api.delete(`/v1/webhooks/${wh.id}`);
    });
  });
}
