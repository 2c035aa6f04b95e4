import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, client, type TestServer, type Client } from '../helpers/server.ts';
import { assertError } from '../helpers/assert-error.ts';


const orderStatus = {
  name: 'order_status',
  type: 'WEBHOOK',
  description: 'Look up an order',
  parameters: { type: 'object', properties: { order_number: { type: 'string' } }, required: ['order_number'] },
  webhook: { url: 'https://erp.example.com/api/orders/$order_number', method: 'GET', headers: [{ key: 'Authorization', value: 'Bearer $erp_token' }] },
};

describe('agents API', () => {
  let t: TestServer;
  let api: Client;
  before(async () => {
    t = await startTestServer('sqlite');
    api = t.api;
  });
  after(async () => t.close());

  it('creates, reads, lists, patches and deletes an agent', async () => {
    const created = await api.post('/v1/agents', {
      name: 'Support',
      config: { voice: { id: 'v1', speed: 1 }, prompt: 'Be kind.', first_message: 'Hello!', tools: [orderStatus] },
    });
    assert.equal(created.status, 201, created.text);
    const agent = created.body;
    assert.match(agent.id, /^agt_[0-9A-Z]{26}$/);
    assert.equal(agent.name, 'Support');
    assert.deepEqual(agent.config.voice, { id: 'v1', speed: 1 });
    // Defaults are filled in.
    const tool = agent.config.tools[0];
    assert.equal(tool.interpret_response, true);
    assert.equal(tool.webhook.timeout_ms, 10000);
    assert.equal(tool.description, 'Look up an order');
    assert.ok(agent.created_at.endsWith('Z'));

    const got = await api.get(`/v1/agents/${agent.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, agent);

    const second = await api.post('/v1/agents', { name: 'Bare' });
    assert.equal(second.status, 201);
    assert.deepEqual(second.body.config, { tools: [] });

    const page1 = await api.get('/v1/agents?limit=1');
    assert.equal(page1.body.data[0].id, second.body.id, 'newest first');
    assert.ok(page1.body.next_cursor);
    const page2 = await api.get(`/v1/agents?limit=1&cursor=${page1.body.next_cursor}`);
    assert.equal(page2.body.data[0].id, agent.id);

    // PATCH: objects merge, scalars replace, tools (an array) replace, null removes a field.
    const patched = await api.patch(`/v1/agents/${agent.id}`, {
      name: 'Support 2',
      config: { voice: { speed: 1.2 }, prompt: 'Be brief.', first_message: null },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.name, 'Support 2');
    assert.deepEqual(patched.body.config.voice, { id: 'v1', speed: 1.2 });
    assert.equal(patched.body.config.prompt, 'Be brief.');
    assert.equal('first_message' in patched.body.config, false);
    assert.equal(patched.body.config.tools.length, 1);
    const noTools = await api.patch(`/v1/agents/${agent.id}`, { config: { tools: [] } });
    assert.deepEqual(noTools.body.config.tools, []);

    assert.equal((await api.delete(`/v1/agents/${agent.id}`)).status, 204);
    assertError(await api.get(`/v1/agents/${agent.id}`), 404, 'resource_not_found');
    assertError(await api.delete(`/v1/agents/${agent.id}`), 404, 'resource_not_found');
  });

  it('validates the configuration and its tools', async () => {
    const withTool = (patch: Record<string, unknown>, webhook: Record<string, unknown> = {}) => ({
      name: 'x',
      config: { tools: [{ ...orderStatus, ...patch, webhook: { ...orderStatus.webhook, ...webhook } }] },
    });
    assertError(await api.post('/v1/agents', {}), 422, 'validation_failed', '/name');
    assertError(await api.post('/v1/agents', { name: 'x', config: { colour: 'red' } }), 422, 'validation_failed', '/config/colour');
    assertError(await api.post('/v1/agents', withTool({ name: 'bad name!' })), 422, 'validation_failed', '/config/tools/0/name');
    assertError(await api.post('/v1/agents', withTool({ name: 'x'.repeat(65) })), 422, 'validation_failed', '/config/tools/0/name');
    assertError(await api.post('/v1/agents', withTool({ type: 'FUNCTION' })), 422, 'validation_failed', '/config/tools/0/type');
    assertError(await api.post('/v1/agents', withTool({}, { method: 'TRACE' })), 422, 'validation_failed', '/config/tools/0/webhook/method');
    assertError(await api.post('/v1/agents', withTool({}, { timeout_ms: 30001 })), 422, 'validation_failed', '/config/tools/0/webhook/timeout_ms');
    assertError(await api.post('/v1/agents', withTool({}, { url: 'ftp://x' })), 422, 'validation_failed', '/config/tools/0/webhook/url');
    assertError(
      await api.post('/v1/agents', withTool({}, { headers: [{ key: 'X-A', value: 'a\r\nInjected: yes' }] })),
      422,
      'validation_failed',
      '/config/tools/0/webhook/headers/0/value',
    );
    assertError(
      await api.post('/v1/agents', withTool({}, { headers: Array.from({ length: 21 }, (_, i) => ({ key: `X-${i}`, value: 'v' })) })),
      422,
      'validation_failed',
      '/config/tools/0/webhook/headers',
    );
    assertError(
      await api.post('/v1/agents', withTool({}, { headers: [{ key: 'Host', value: 'evil' }] })),
      422,
      'validation_failed',
      '/config/tools/0/webhook/headers/0/key',
    );
    // parameters must compile.
    assertError(
      await api.post('/v1/agents', withTool({ parameters: { type: 'object', properties: { n: { type: 'strnig' } } } })),
      422,
      'validation_failed',
      '/config/tools/0/parameters',
    );
    assertError(await api.post('/v1/agents', withTool({ parameters: { type: 'string' } })), 422, 'validation_failed', '/config/tools/0/parameters/type');
    assertError(
      await api.post('/v1/agents', withTool({ parameters: { type: 'object', $async: true } })),
      422,
      'validation_failed',
      '/config/tools/0/parameters',
    );
    assertError(
      await api.post('/v1/agents', withTool({ parameters: { type: 'object', properties: { a: { $ref: 'https://example.com/s.json' } } } })),
      422,
      'validation_failed',
      '/config/tools/0/parameters',
    );
    // Patterns run on a linear-time engine: nested repetition is fine, syntax it lacks (lookaround,
    // backreferences) is refused where it stands.
    assert.equal(
      (await api.post('/v1/agents', withTool({ parameters: { type: 'object', properties: { a: { type: 'string', pattern: '^(a+)+$' } } } }))).status,
      201,
    );
    assertError(
      await api.post('/v1/agents', withTool({ parameters: { type: 'object', properties: { a: { type: 'string', pattern: '^(?=a)' } } } })),
      422,
      'validation_failed',
      '/config/tools/0/parameters/properties/a/pattern',
    );
    assertError(
      await api.post('/v1/agents', withTool({ parameters: { type: 'object', patternProperties: { '^(a)\\1$': { type: 'string' } } } })),
      422,
      'validation_failed',
      '/config/tools/0/parameters/patternProperties/^(a)\\1$',
    );
    assert.equal(
      (await api.post('/v1/agents', withTool({ parameters: { type: 'object', properties: { a: { type: 'string', pattern: '^[A-Z]{2}-[0-9]+\\u00e9?$' } } } }))).status,
      201,
    );
    // Declared arguments are plain words, never named like a system variable.
    for (const name of ['images', 'session.id', 'images[0]', 'order-number', '1st']) {
      assertError(
        await api.post('/v1/agents', withTool({ parameters: { type: 'object', properties: { [name]: { type: 'string' } } } })),
        422,
        'validation_failed',
        `/config/tools/0/parameters/properties/${name}`,
      );
    }
    // No variable in the URL's scheme, host or port, on create and on PATCH.
    for (const url of ['https://$erp_host/api/orders/$order_number', 'https://erp.example.com:$port/x', 'https://$tenant.erp.example.com/x']) {
      const res = await api.post('/v1/agents', withTool({}, { url }));
      assertError(res, 422, 'validation_failed', '/config/tools/0/webhook/url');
      assert.match(res.body.error.message, /scheme, host and port/);
    }
    // Bounded schemas: size and depth.
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 17; i++) deep = { type: 'object', properties: { x: deep } };
    assertError(await api.post('/v1/agents', withTool({ parameters: deep })), 422, 'validation_failed', '/config/tools/0/parameters');
    const big = { type: 'object', properties: { a: { type: 'string', description: 'x'.repeat(17 * 1024) } } };
    const tooBig = await api.post('/v1/agents', withTool({ parameters: big }));
    assertError(tooBig, 422, 'validation_failed', '/config/tools/0/parameters');
    assert.match(tooBig.body.error.message, /at most 16384 bytes/);
    // Names are unique within the agent.
    assertError(
      await api.post('/v1/agents', { name: 'x', config: { tools: [orderStatus, { ...orderStatus, description: 'again' }] } }),
      422,
      'validation_failed',
      '/config/tools/1/name',
    );
    // A PATCH is checked too.
    const ok = await api.post('/v1/agents', { name: 'ok' });
    assertError(
      await api.patch(`/v1/agents/${ok.body.id}`, { config: { tools: [orderStatus, orderStatus] } }),
      422,
      'validation_failed',
      '/config/tools/1/name',
    );
    assertError(
      await api.patch(`/v1/agents/${ok.body.id}`, { config: { tools: [{ ...orderStatus, webhook: { ...orderStatus.webhook, url: 'https://$erp_host/x' } }] } }),
      422,
      'validation_failed',
      '/config/tools/0/webhook/url',
    );
  });

  it('refuses plain http tool URLs unless the server allows insecure targets', async () => {
    const res = await api.post('/v1/agents', {
      name: 'x',
      config: { tools: [{ ...orderStatus, webhook: { ...orderStatus.webhook, url: 'http://erp.example.com/o' } }] },
    });
    assertError(res, 422, 'validation_failed', '/config/tools/0/webhook/url');
  });

  it('is for owners and admins only, and scoped to the company', async () => {
    const k = await api.post('/v1/keys', { name: 'bot', role: 'agent' });
    const agentKey = client(t.url, k.body.key);
    assertError(await agentKey.get('/v1/agents'), 403, 'forbidden');
    assertError(await agentKey.post('/v1/agents', { name: 'x' }), 403, 'forbidden');
    const a = await api.post('/v1/agents', { name: 'mine' });
    const other = await t.newCompany();
    assertError(await other.api.get(`/v1/agents/${a.body.id}`), 404, 'resource_not_found');
    assertError(await other.api.patch(`/v1/agents/${a.body.id}`, { name: 'stolen' }), 404, 'resource_not_found');
  });

  it('gives new conversations the agent configuration; a missing agent is named', async () => {
    const a = await api.post('/v1/agents', { name: 'conv', config: { prompt: 'p', tools: [orderStatus] } });
    const conv = await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', agent_id: a.body.id, context: {} });
    assert.equal(conv.status, 201, conv.text);
    assert.equal(conv.body.agent_id, a.body.id);
    // Tools by name, description and URL origin only: agent keys read conversations, not agents.
    assert.deepEqual(conv.body.agent_config, { prompt: 'p', tools: [{ name: 'order_status', description: 'Look up an order', origin: 'https://erp.example.com' }] });
    const missing = await api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', agent_id: 'agt_nope' });
    assertError(missing, 404, 'resource_not_found', 'agent_id');
  });

  it('publishes the agent routes and schemas in the OpenAPI document', async () => {
    const doc = await (await fetch(t.url + '/openapi.json')).json();
    assert.ok(doc.paths['/v1/agents'].post);
    assert.ok(doc.paths['/v1/agents/{id}'].patch);
    assert.ok(doc.paths['/v1/conversations/{id}/tool_calls'].post);
    assert.ok(doc.paths['/v1/conversations/{id}/tool_calls/preview'].post);
    assert.ok(doc.paths['/v1/conversations/{id}/logs'].get);
    const schema = JSON.stringify(doc.paths['/v1/agents'].post.requestBody);
    assert.match(schema, /WEBHOOK/);
    assert.match(schema, /response_directive/);
    // conversation.agent_config documents the public view: tools by name, description and origin.
    const agentConfig = doc.paths['/v1/conversations/{id}'].get.responses['200'].content['application/json'].schema.properties.agent_config;
    const tool = agentConfig.properties.tools.items;
    assert.deepEqual(Object.keys(tool.properties).sort(), ['description', 'name', 'origin']);
    assert.equal(tool.additionalProperties, false);
  });
});
