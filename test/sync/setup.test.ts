import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { startTestServer, STORES, type TestServer, type Client } from '../helpers/server.ts';
import { startReceiver, type Receiver, type Answer } from '../helpers/receiver.ts';
import { addSetupEndpoint, endpointHealth } from '../helpers/setup-endpoint.ts';
import { createEventValidator } from '../../src/domain/event-catalog.ts';

const validateEvent = createEventValidator();

const DEV = { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128' };

const lookup = {
  name: 'lookup',
  type: 'WEBHOOK',
  parameters: { type: 'object', properties: {} },
  webhook: { url: 'http://127.0.0.1:1/lookup', method: 'GET' },
};
const vipTool = {
  name: 'vip_desk',
  type: 'WEBHOOK',
  parameters: { type: 'object', properties: {} },
  webhook: { url: 'http://127.0.0.1:1/vip', method: 'POST', body: { who: '$session.id' } },
};

const ANSWERS: Record<string, Answer> = {
  '/ok': {
    status: 200,
    body: JSON.stringify({ context: { customer_tier: 'gold' }, override_config: { voice: { id: 'vip' }, tools: [vipTool] } }),
  },
  '/context-only': { status: 200, body: JSON.stringify({ context: { a: 1 } }) },
  '/slow': 'hang',
  '/error': { status: 503, body: '{"error":"down"}' },
  '/not-json': { status: 200, body: 'hello <html>' },
  '/no-context': { status: 200, body: JSON.stringify({ override_config: {} }) },
  '/bad-override': { status: 200, body: JSON.stringify({ context: {}, override_config: [1] }) },
  '/bad-tools': { status: 200, body: JSON.stringify({ context: {}, override_config: { tools: [{ name: 'x' }] } }) },
};

async function logsOf(api: Client, conversationId: string): Promise<any[]> {
  const res = await api.get(`/v1/conversations/${conversationId}/logs`);
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}

for (const store of STORES) {
  describe(`conversation.setup on ${store}`, () => {
    let t: TestServer;
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver((a) => ANSWERS[a.path.split('?')[0]!] ?? { status: 404 });
      t = await startTestServer(store, DEV);
    });
    after(async () => {
      await t.close();
      await receiver.close();
    });

    it('stores the context and deep-merges override_config into that conversation only, signed like a delivery', async () => {
      const { companyId, api } = await t.newCompany('setup-ok');
      const endpoint = await addSetupEndpoint(t, companyId, {
        url: receiver.url + '/ok',
        auth: { type: 'api_key', in: 'header', name: 'X-Api-Key', value: 'setup-secret-value' },
        headers: [{ key: 'X-Source', value: 'switchboard' }],
      });
      const agent = await api.post('/v1/agents', {
        name: 'Support',
        config: { voice: { id: 'base', speed: 1.1 }, prompt: 'Be kind.', tools: [lookup] },
      });
      assert.equal(agent.status, 201, agent.text);

      const before = receiver.arrivals.length;
      const res = await api.post('/v1/conversations', { channel: 'phone', direction: 'inbound', agent_id: agent.body.id, client_data: { k: 'v' } });
      assert.equal(res.status, 201, res.text);
      const conv = res.body;
      assert.equal(conv.status, 'open');
      assert.deepEqual(conv.context, { customer_tier: 'gold' });
      // Objects merge, arrays (tools) replace, untouched fields stay.
      assert.deepEqual(conv.agent_config.voice, { id: 'vip', speed: 1.1 });
      assert.equal(conv.agent_config.prompt, 'Be kind.');
      assert.deepEqual(conv.agent_config.tools.map((x: any) => x.name), ['vip_desk']);
      // The agent itself is unchanged.
      const again = await api.get(`/v1/agents/${agent.body.id}`);
      assert.deepEqual(again.body, agent.body);

      // The request: the envelope, signed with the endpoint's secret (Standard Webhooks), with auth and custom headers.
      assert.equal(receiver.arrivals.length, before + 1);
      const arrival = receiver.arrivals.at(-1)!;
      const wh = new Webhook(endpoint.secret);
      const verified = wh.verify(arrival.body, {
        'webhook-id': String(arrival.headers['webhook-id']),
        'webhook-timestamp': String(arrival.headers['webhook-timestamp']),
        'webhook-signature': String(arrival.headers['webhook-signature']),
      }) as any;
      assert.equal(verified.type, 'conversation.setup');
      const envelope = JSON.parse(arrival.body);
      assert.deepEqual(Object.keys(envelope).sort(), ['api_version', 'company_id', 'created_at', 'data', 'id', 'type']);
      assert.equal('sequence' in envelope, false);
      assert.deepEqual(validateEvent(envelope), { ok: true }, 'matches the catalog schema of conversation.setup');
      assert.match(envelope.id, /^evt_/);
      assert.equal(envelope.id, arrival.headers['webhook-id']);
      assert.equal(envelope.company_id, companyId);
      assert.equal(envelope.data.conversation.id, conv.id);
      assert.equal(envelope.data.conversation.status, 'setup');
      assert.deepEqual(envelope.data.conversation.client_data, { k: 'v' });
      assert.deepEqual(envelope.data.conversation.agent_config.voice, { id: 'base', speed: 1.1 });
      assert.equal(arrival.headers['x-api-key'], 'setup-secret-value');
      assert.equal(arrival.headers['x-source'], 'switchboard');
      assert.equal(arrival.headers['content-type'], 'application/json');
      assert.match(String(arrival.headers['user-agent']), /^Switchboard-Webhooks\//);

      // Logged on the conversation, credentials masked.
      const logs = await logsOf(api, conv.id);
      assert.equal(logs.length, 1);
      const log = logs[0];
      assert.equal(log.kind, 'setup');
      assert.equal(log.name, 'conversation.setup');
      assert.equal(log.status_code, 200);
      assert.equal(log.error, null);
      assert.equal(log.request.method, 'POST');
      assert.equal(log.request.url, receiver.url + '/ok');
      assert.equal(log.request.headers['X-Api-Key'], '••••');
      assert.equal(log.request.headers['X-Source'], 'switchboard');
      assert.equal(log.request.body.id, envelope.id);
      assert.equal(JSON.parse(log.response_body).context.customer_tier, 'gold');
      assert.equal(typeof log.duration_ms, 'number');
      assert.doesNotMatch(JSON.stringify(logs), /setup-secret-value/);

      // Not stored as an event (it is synchronous); conversation.created carries the merged result.
      const setupEvents = await api.get('/v1/events?type=conversation.setup');
      assert.deepEqual(setupEvents.body.data, []);
      const created = await api.get(`/v1/events?type=conversation.created&conversation_id=${conv.id}`);
      assert.equal(created.body.data.length, 1);
      assert.deepEqual(created.body.data[0].data.conversation.context, { customer_tier: 'gold' });
      assert.equal(created.body.data[0].sequence, 1);
      assert.deepEqual(await endpointHealth(t, endpoint.id), { status: 'active', failure_count: 0 });
    });

    it('does not call the endpoint when the conversation comes with a context', async () => {
      const { companyId, api } = await t.newCompany('setup-skip');
      await addSetupEndpoint(t, companyId, { url: receiver.url + '/ok' });
      const before = receiver.arrivals.length;
      const res = await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', context: { given: true } });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.body.context, { given: true });
      assert.equal(receiver.arrivals.length, before);
      assert.deepEqual(await logsOf(api, res.body.id), []);
    });
  });
}

describe('conversation.setup failures', () => {
  let t: TestServer;
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver((a) => ANSWERS[a.path.split('?')[0]!] ?? { status: 404 });
    t = await startTestServer('sqlite', DEV);
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  const cases: [string, string, RegExp][] = [
    ['a timeout', '/slow', /timed out after 300 ms/],
    ['a non-2xx answer', '/error', /HTTP 503/],
    ['invalid JSON', '/not-json', /not valid JSON/],
    ['a missing context', '/no-context', /no "context" object/],
    ['an override_config that is not an object', '/bad-override', /override_config/],
    ['override tools that are not valid tools', '/bad-tools', /\/override_config\/tools\/0/],
  ];
  for (const [what, path, reason] of cases) {
    it(`falls back to the base configuration and an empty context on ${what}, and logs why`, async () => {
      const { companyId, api } = await t.newCompany(`fallback${path}`);
      const endpoint = await addSetupEndpoint(t, companyId, { url: receiver.url + path, timeout_ms: 300 });
      const agent = await api.post('/v1/agents', { name: 'a', config: { prompt: 'base', tools: [lookup] } });
      const started = Date.now();
      const res = await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', agent_id: agent.body.id });
      assert.equal(res.status, 201, res.text);
      assert.ok(Date.now() - started < 3000);
      assert.deepEqual(res.body.context, {});
      assert.deepEqual(res.body.agent_config, { prompt: 'base', tools: [{ name: 'lookup', description: '', origin: 'http://127.0.0.1:1' }] });
      const [log] = await logsOf(api, res.body.id);
      assert.equal(log.kind, 'setup');
      assert.match(log.error, reason);
      // Setup calls never count against the endpoint.
      assert.deepEqual(await endpointHealth(t, endpoint.id), { status: 'active', failure_count: 0 });
      assert.ok(t.logs.some((l) => l.includes('conversation.setup failed') && l.includes(res.body.id)));
    });
  }

  it('rejects the create with 424 when the endpoint says setup_failure: reject, and creates nothing', async () => {
    const { companyId, api } = await t.newCompany('reject');
    await addSetupEndpoint(t, companyId, { url: receiver.url + '/error', setup_failure: 'reject' });
    const res = await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound' });
    assert.equal(res.status, 424, res.text);
    assert.equal(res.body.error.code, 'setup_failed');
    assert.match(res.body.error.message, /HTTP 503/);
    assert.deepEqual((await api.get('/v1/conversations')).body.data, []);
    assert.deepEqual((await api.get('/v1/events')).body.data, []);
    // A good answer still opens the conversation.
    const ok = await t.newCompany('reject-ok');
    await addSetupEndpoint(t, ok.companyId, { url: receiver.url + '/context-only', setup_failure: 'reject' });
    const opened = await ok.api.post('/v1/conversations', { channel: 'chat', direction: 'inbound' });
    assert.equal(opened.status, 201, opened.text);
    assert.deepEqual(opened.body.context, { a: 1 });
    assert.deepEqual(opened.body.agent_config, {});
  });

  it('calls an endpoint made with the webhook API, signed with the secret that API reveals', async () => {
    const { api } = await t.newCompany('via-api');
    const wh = await api.post('/v1/webhooks', { url: receiver.url + '/context-only', events: ['conversation.setup'] });
    assert.equal(wh.status, 201, wh.text);
    assert.equal(wh.body.timeout_ms, 5000, 'setup endpoints default to 5 s');
    const { secret } = (await api.get(`/v1/webhooks/${wh.body.id}/secret`)).body;
    const res = await api.post('/v1/conversations', { channel: 'whatsapp', direction: 'inbound' });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.context, { a: 1 });
    const arrival = receiver.arrivals.at(-1)!;
    assert.equal(JSON.parse(arrival.body).data.conversation.id, res.body.id);
    new Webhook(secret).verify(arrival.body, {
      'webhook-id': String(arrival.headers['webhook-id']),
      'webhook-timestamp': String(arrival.headers['webhook-timestamp']),
      'webhook-signature': String(arrival.headers['webhook-signature']),
    });
    // Not queued as a delivery either.
    const deliveries = await api.get(`/v1/webhooks/${wh.body.id}/deliveries`);
    assert.deepEqual(deliveries.body.data, []);
  });

  it('does not call an endpoint that is not active', async () => {
    const { companyId, api } = await t.newCompany('inactive');
    await addSetupEndpoint(t, companyId, { url: receiver.url + '/ok', status: 'inactive' });
    const before = receiver.arrivals.length;
    const res = await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound' });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.context, {});
    assert.equal(receiver.arrivals.length, before);
  });

  it('masks query api keys in the log', async () => {
    const { companyId, api } = await t.newCompany('query-key');
    await addSetupEndpoint(t, companyId, { url: receiver.url + '/context-only', auth: { type: 'api_key', in: 'query', name: 'code', value: 'q-secret' } });
    const res = await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound' });
    assert.equal(res.status, 201, res.text);
    assert.equal(receiver.arrivals.at(-1)!.path, '/context-only?code=q-secret');
    const [log] = await logsOf(api, res.body.id);
    assert.doesNotMatch(JSON.stringify(log), /q-secret/);
    assert.match(log.request.url, /code=/);
  });
});
