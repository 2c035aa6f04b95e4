import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startToolReceiver, type ToolReceiver } from '../helpers/tool-receiver.ts';
import { ConsoleClient, toastOf } from '../helpers/console-client.ts';

const DEV = { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8' };

function form(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    name: 'Orders',
    prompt: 'Help',
    first_message: 'Hi',
    voice: '{"id": "v1"}',
    runtime: '',
    tool_count: '1',
    t0_name: 'lookup',
    t0_description: 'Find an order',
    t0_parameters: '{"type":"object","properties":{"order":{"type":"string"}},"required":["order"]}',
    t0_interpret_response: 'on',
    t0_method: 'POST',
    t0_url: url,
    t0_headers: 'Authorization: Bearer $erp_token',
    t0_body: '{"order": "$order", "who": "$nobody"}',
    t0_timeout_ms: '5000',
    t0_response_directive: 'Say the status.',
    action: 'save',
    ...extra,
  };
}

describe('console assistants pages (sqlite)', () => {
  let s: TestServer;
  let c: ConsoleClient;
  let receiver: ToolReceiver;
  before(async () => {
    receiver = await startToolReceiver(() => ({ status: 200, body: { status: 'shipped', session: { client_data: { last_order: 'A-1' } } } }));
    s = await startTestServer('sqlite', DEV);
    const m = s.server.platform.services.members;
    await m.add((await m.company('default')).id, { email: 'o@example.com', role: 'owner', password: 'a-long-password-1' });
    c = new ConsoleClient(s.url);
    await c.signIn('o@example.com', 'a-long-password-1');
    await c.get('/console/agents/new');
  });
  after(async () => {
    await s.close();
    await receiver.close();
  });

  test("the API's rules land at their field: origin with a variable, bad JSON, a schema that does not compile, a bad timeout", async () => {
    const origin = await c.htmx('POST', '/console/agents', form('https://$host/x'));
    assert.equal(origin.status, 200);
    assert.match(origin.text, /id="err-tools_0_webhook_url">[^<]*\$/);
    assert.equal(toastOf(origin)?.kind, 'error');
    const json = await c.htmx('POST', '/console/agents', form(receiver.url + '/t', { t0_parameters: '{nope' }));
    assert.match(json.text, /id="err-tools_0_parameters">The parameters schema is not valid JSON/);
    const schema = await c.htmx('POST', '/console/agents', form(receiver.url + '/t', { t0_parameters: '{"type":"object","properties":{"x":{"type":"nonsense"}}}' }));
    assert.match(schema.text, /id="err-tools_0_parameters">[^<]+</);
    const timeout = await c.htmx('POST', '/console/agents', form(receiver.url + '/t', { t0_timeout_ms: '5' }));
    assert.match(timeout.text, /id="err-tools_0_webhook_timeout_ms">[^<]+</);
    const header = await c.htmx('POST', '/console/agents', form(receiver.url + '/t', { t0_headers: 'no colon here' }));
    assert.match(header.text, /id="err-tools_0_webhook_headers">Write each header as/);
    const added = await c.htmx('POST', '/console/agents', form(receiver.url + '/t', { action: 'add_tool' }));
    assert.match(added.text, /name="tool_count" value="2"/);
    assert.equal((await s.api.get('/v1/agents')).body.data.length, 0, 'nothing saved');
  });

  test('create, edit, preview with the unknown variable highlighted, send and see the merge', async () => {
    const created = await c.htmx('POST', '/console/agents', form(receiver.url + '/orders'));
    const to = created.headers.get('hx-redirect')!;
    assert.match(to, /^\/console\/agents\/agt_[0-9A-Z]+\?toast=created$/);
    const agentId = /agt_[0-9A-Z]+/.exec(to)![0];
    const agent = (await s.api.get(`/v1/agents/${agentId}`)).body;
    assert.deepEqual(agent.config.voice, { id: 'v1' });
    assert.deepEqual(agent.config.tools[0].webhook.headers, [{ key: 'Authorization', value: 'Bearer $erp_token' }]);
    const edited = await c.htmx('POST', `/console/agents/${agentId}`, form(receiver.url + '/orders', { prompt: 'Help more', voice: '' }));
    assert.ok(edited.headers.get('hx-redirect'));
    const after1 = (await s.api.get(`/v1/agents/${agentId}`)).body;
    assert.equal(after1.config.prompt, 'Help more');
    assert.equal(after1.config.voice, undefined, 'an emptied field is removed');

    const conv = (await s.api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', agent_id: agentId, client_data: { erp_token: 'tok-secret-123456' } })).body;
    const p = await c.get(`/console/agents/${agentId}`);
    assert.match(p.text, new RegExp(`<option value="${conv.id}">`));
    const preview = await c.htmx('POST', `/console/agents/${agentId}/try`, { tool: 'lookup', arg_order: 'A-1', conversation_id: conv.id, mode: 'preview' });
    assert.match(preview.text, /<mark class="unknown-var">\$nobody<\/mark>/);
    assert.equal(preview.text.includes('tok-secret-123456'), false, 'secrets masked');
    assert.equal(receiver.requests.length, 0, 'a preview sends nothing');
    const sent = await c.htmx('POST', `/console/agents/${agentId}/try`, { tool: 'lookup', arg_order: 'A-1', conversation_id: conv.id, mode: 'send' });
    assert.equal(receiver.requests.length, 1);
    assert.equal(JSON.parse(receiver.requests[0]!.body).order, 'A-1');
    assert.match(sent.text, /class="directive">Say the status\.</);
    assert.match(sent.text, /&quot;last_order&quot;<\/span>: <span class="j-str">&quot;A-1&quot;/);
    const bad = await c.htmx('POST', `/console/agents/${agentId}/try`, { tool: 'lookup', conversation_id: conv.id, mode: 'preview' });
    assert.match(bad.text, /class="form-error">[^<]*order/);
  });
});
