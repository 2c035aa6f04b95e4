import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, client, STORES, type TestServer, type Client } from '../helpers/server.ts';
import { startToolReceiver, type ToolReceiver } from '../helpers/tool-receiver.ts';
import { assertError, objectSchema } from '../helpers/assert-error.ts';

const DEV = { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128' };
const ERP_TOKEN = 'erp-token-0123456789';


const obj = objectSchema;

function tools(base: string) {
  return [
    {
      name: 'order_status',
      type: 'WEBHOOK',
      description: 'Look up an order',
      parameters: obj({ order_number: { type: 'string' }, session_id: { type: 'string' }, q: { type: 'string' } }, ['order_number']),
      webhook: {
        url: `${base}/orders/$order_number?conv=$session.id&sid=$session_id&q=$q&agent=$assistant.id`,
        method: 'GET',
        headers: [
          { key: 'Authorization', value: 'Bearer $erp_token' },
          { key: 'X-Company', value: '$company.id' },
        ],
        response_directive: 'Inform the customer of the order status clearly.',
      },
    },
    {
      name: 'create_ticket',
      type: 'WEBHOOK',
      parameters: obj({ title: { type: 'string' }, priority: { type: 'integer', minimum: 1, maximum: 5 } }, ['title', 'priority']),
      interpret_response: false,
      webhook: {
        url: `${base}/tickets`,
        method: 'POST',
        body: { title: 'Re: $title', priority: '$priority', conversation: '$session.id', note: 'said "$title"' },
        response_directive: 'never shown',
      },
    },
    { name: 'update_ticket', type: 'WEBHOOK', parameters: obj({ id: { type: 'string' } }, ['id']), webhook: { url: `${base}/tickets/$id`, method: 'PUT', body: { state: 'open' } } },
    { name: 'delete_ticket', type: 'WEBHOOK', parameters: obj({ id: { type: 'string' } }, ['id']), webhook: { url: `${base}/tickets/$id`, method: 'DELETE' } },
    { name: 'slow', type: 'WEBHOOK', webhook: { url: `${base}/slow`, method: 'GET', timeout_ms: 300, response_directive: 'Say sorry.' } },
    {
      name: 'note',
      type: 'WEBHOOK',
      parameters: obj({ note: { type: 'string' } }, ['note']),
      webhook: { url: `${base}/notes`, method: 'POST', headers: [{ key: 'X-Note', value: '$note' }], body: { note: '$note', who: '$nobody_knows' } },
    },
    { name: 'find_patient', type: 'WEBHOOK', parameters: obj({ phone: { type: 'string' } }, ['phone']), webhook: { url: `${base}/patients/lookup?phone=$phone`, method: 'GET' } },
    { name: 'patient_record', type: 'WEBHOOK', webhook: { url: `${base}/patients/$patient_id/record`, method: 'GET' } },
    { name: 'text_answer', type: 'WEBHOOK', webhook: { url: `${base}/text`, method: 'GET' } },
    { name: 'odd_bytes', type: 'WEBHOOK', webhook: { url: `${base}/nul`, method: 'GET' } },
  ];
}

function answer(r: { url: string }) {
  if (r.url.startsWith('/slow')) return 'hang' as const;
  if (r.url.startsWith('/patients/lookup')) return { status: 200, body: { found: true, session: { client_data: { patient_id: 'p-42', stale: null } } } };
  if (r.url.startsWith('/text')) return { status: 200, body: 'plain words' };
  if (r.url.startsWith('/nul')) return { status: 200, body: 'a\u0000b' };
  return undefined;
}

async function setup(api: Client, receiverUrl: string): Promise<{ agentId: string; conversationId: string }> {
  const agent = await api.post('/v1/agents', { name: 'Tools', config: { tools: tools(receiverUrl) } });
  assert.equal(agent.status, 201, agent.text);
  const conv = await api.post('/v1/conversations', {
    channel: 'phone',
    direction: 'inbound',
    agent_id: agent.body.id,
    context: {},
    client_data: { erp_token: ERP_TOKEN, stale: 'x' },
  });
  assert.equal(conv.status, 201, conv.text);
  return { agentId: agent.body.id, conversationId: conv.body.id };
}

for (const store of STORES) {
  describe(`tool calls on ${store}`, () => {
    let t: TestServer;
    let receiver: ToolReceiver;
    let api: Client;
    let ids: { agentId: string; conversationId: string };
    before(async () => {
      receiver = await startToolReceiver(answer);
      t = await startTestServer(store, DEV);
      api = t.api;
      ids = await setup(api, receiver.url);
    });
    after(async () => {
      await t.close();
      await receiver.close();
    });

    it('runs a GET tool: variables, percent-encoding, directive', async () => {
      const res = await api.post(`/v1/conversations/${ids.conversationId}/tool_calls`, {
        tool: 'order_status',
        arguments: { order_number: 'A/B 7?#', session_id: 'mine', q: 'a&b=c' },
      });
      assert.equal(res.status, 200, res.text);
      const seen = receiver.requests.at(-1)!;
      assert.equal(seen.method, 'GET');
      assert.equal(
        seen.url,
        `/orders/A%2FB%207%3F%23?conv=${ids.conversationId}&sid=mine&q=a%26b%3Dc&agent=${ids.agentId}`,
        '$session_id is the argument, $session.id the conversation',
      );
      assert.equal(seen.headers.authorization, `Bearer ${ERP_TOKEN}`);
      assert.match(String(seen.headers['x-company']), /^cmp_/);
      assert.equal(seen.body, '');
      assert.equal(res.body.status_code, 200);
      assert.equal(typeof res.body.duration_ms, 'number');
      assert.equal(res.body.response.method, 'GET');
      assert.equal(res.body.directive, 'Inform the customer of the order status clearly.');
      assert.deepEqual(res.body.client_data, { erp_token: ERP_TOKEN, stale: 'x' });
      assert.equal('error' in res.body, false);
    });

    it('chains tools: client_data from one answer feeds the next call', async () => {
      const first = await api.post(`/v1/conversations/${ids.conversationId}/tool_calls`, { tool: 'find_patient', arguments: { phone: '+44 7700' } });
      assert.equal(first.status, 200, first.text);
      assert.equal(receiver.requests.at(-1)!.url, '/patients/lookup?phone=%2B44%207700');
      assert.deepEqual(first.body.client_data, { erp_token: ERP_TOKEN, patient_id: 'p-42' }, 'merged; null removes a key');
      const conv = await api.get(`/v1/conversations/${ids.conversationId}`);
      assert.deepEqual(conv.body.client_data, { erp_token: ERP_TOKEN, patient_id: 'p-42' });
      const second = await api.post(`/v1/conversations/${ids.conversationId}/tool_calls`, { tool: 'patient_record', arguments: {} });
      assert.equal(second.status, 200, second.text);
      assert.equal(receiver.requests.at(-1)!.url, '/patients/p-42/record');
    });

    it('keeps an answer with a NUL byte (logged with a replacement character)', async () => {
      const res = await api.post(`/v1/conversations/${ids.conversationId}/tool_calls`, { tool: 'odd_bytes', arguments: {} });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.response, 'a\u0000b');
    });

    it('logs every call with its variables, secrets masked', async () => {
      const res = await api.get(`/v1/conversations/${ids.conversationId}/logs`);
      assert.equal(res.status, 200);
      const logs = res.body.data;
      assert.deepEqual(logs.map((l: any) => l.name), ['order_status', 'find_patient', 'patient_record', 'odd_bytes'], 'oldest first');
      assert.equal(logs[3].response_body, 'a\uFFFDb');
      const [order] = logs;
      assert.equal(order.kind, 'tool_call');
      assert.equal(order.status_code, 200);
      assert.equal(order.request.method, 'GET');
      assert.equal(order.request.headers.Authorization, '••••');
      assert.equal(order.variables.erp_token, '••••');
      assert.equal(order.variables.order_number, 'A/B 7?#');
      assert.equal(order.variables['session.id'], ids.conversationId);
      assert.equal(JSON.parse(order.response_body).method, 'GET');
      assert.equal(order.error, null);
      assert.doesNotMatch(JSON.stringify(logs), new RegExp(ERP_TOKEN));
      const page = await api.get(`/v1/conversations/${ids.conversationId}/logs?limit=2`);
      assert.equal(page.body.data.length, 2);
      const rest = await api.get(`/v1/conversations/${ids.conversationId}/logs?limit=2&cursor=${page.body.next_cursor}`);
      assert.deepEqual(rest.body.data.map((l: any) => l.name), ['patient_record', 'odd_bytes']);
      assert.equal(rest.body.next_cursor, null);
    });
  });
}

describe('tool calls', () => {
  let t: TestServer;
  let receiver: ToolReceiver;
  let api: Client;
  let ids: { agentId: string; conversationId: string };
  const call = (tool: string, args: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    api.post(`/v1/conversations/${ids.conversationId}/tool_calls`, { tool, arguments: args, ...extra });
  before(async () => {
    receiver = await startToolReceiver(answer);
    t = await startTestServer('sqlite', DEV);
    api = t.api;
    ids = await setup(api, receiver.url);
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  it('sends POST, PUT and DELETE with their JSON bodies', async () => {
    const post = await call('create_ticket', { title: 'Broken "widget"\n', priority: 3 });
    assert.equal(post.status, 200, post.text);
    const seen = receiver.requests.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(seen.body), {
      title: 'Re: Broken "widget"\n',
      priority: 3,
      conversation: ids.conversationId,
      note: 'said "Broken "widget"\n"',
    });
    assert.equal('directive' in post.body, false, 'interpret_response: false');
    assert.equal(post.body.response.method, 'POST');

    const put = await call('update_ticket', { id: 't 1' });
    assert.equal(put.status, 200);
    assert.equal(receiver.requests.at(-1)!.method, 'PUT');
    assert.equal(receiver.requests.at(-1)!.url, '/tickets/t%201');
    assert.deepEqual(JSON.parse(receiver.requests.at(-1)!.body), { state: 'open' });

    const del = await call('delete_ticket', { id: 't1' });
    assert.equal(del.status, 200);
    assert.equal(receiver.requests.at(-1)!.method, 'DELETE');
    assert.equal(receiver.requests.at(-1)!.body, '');
    assert.equal(del.body.directive, undefined);
  });

  it('returns text answers as text', async () => {
    const res = await call('text_answer');
    assert.equal(res.body.response, 'plain words');
  });

  it('validates the arguments against the tool parameters, naming the argument', async () => {
    const before = receiver.requests.length;
    assertError(await call('create_ticket', { title: 'x' }), 422, 'validation_failed', '/arguments/priority');
    assertError(await call('create_ticket', { title: 'x', priority: '3' }), 422, 'validation_failed', '/arguments/priority');
    assertError(await call('create_ticket', { title: 'x', priority: 9 }), 422, 'validation_failed', '/arguments/priority');
    assertError(await call('no_such_tool'), 422, 'validation_failed', '/tool');
    assertError(await api.post(`/v1/conversations/${ids.conversationId}/tool_calls`, { arguments: {} }), 422, 'validation_failed', '/tool');
    assert.equal(receiver.requests.length, before, 'nothing sent');
  });

  it('refuses a rendered header value with CR or LF (422) and sends nothing', async () => {
    const before = receiver.requests.length;
    const res = await call('note', { note: 'hi\r\nX-Evil: 1' });
    assertError(res, 422, 'unsafe_header_value');
    assert.equal(receiver.requests.length, before);
    const logs = (await api.get(`/v1/conversations/${ids.conversationId}/logs?limit=100`)).body.data;
    assert.match(logs.at(-1).error, /X-Note/);
  });

  it('answers 200 with status_code null and an error on a timeout', async () => {
    const started = Date.now();
    const res = await call('slow');
    assert.equal(res.status, 200, res.text);
    assert.ok(Date.now() - started < 3000);
    assert.equal(res.body.status_code, null);
    assert.match(res.body.error, /timed out after 300 ms/);
    assert.equal(res.body.response, null);
    assert.equal(res.body.directive, 'Say sorry.');
    const logs = (await api.get(`/v1/conversations/${ids.conversationId}/logs?limit=100`)).body.data;
    const log = logs.at(-1);
    assert.equal(log.name, 'slow');
    assert.equal(log.status_code, null);
    assert.match(log.error, /timed out/);
  });

  it('previews the request without sending it: masked secrets, unknown variables', async () => {
    const before = receiver.requests.length;
    const order = await api.post(`/v1/conversations/${ids.conversationId}/tool_calls/preview`, { tool: 'order_status', arguments: { order_number: 'N 1' } });
    assert.equal(order.status, 200, order.text);
    assert.equal(order.body.method, 'GET');
    assert.match(order.body.url, /\/orders\/N%201\?conv=conv_/);
    assert.equal(order.body.headers.Authorization, '••••');
    assert.equal(order.body.variables_used.erp_token, '••••');
    assert.equal(order.body.variables_used.order_number, 'N 1');
    assert.equal(order.body.body, null);
    // Arguments left out are unknown variables, left as written.
    assert.deepEqual(order.body.unknown_variables.sort(), ['q', 'session_id']);
    assert.match(order.body.url, /sid=\$session_id/);

    const note = await api.post(`/v1/conversations/${ids.conversationId}/tool_calls/preview`, { tool: 'note', arguments: { note: 'hello' } });
    assert.equal(note.status, 200, note.text);
    assert.deepEqual(note.body.body, { note: 'hello', who: '$nobody_knows' });
    assert.deepEqual(note.body.unknown_variables, ['nobody_knows']);
    assert.equal(note.body.headers['content-type'], 'application/json');
    assertError(
      await api.post(`/v1/conversations/${ids.conversationId}/tool_calls/preview`, { tool: 'note', arguments: { note: 'a\nb' } }),
      422,
      'unsafe_header_value',
    );
    assertError(await api.post(`/v1/conversations/${ids.conversationId}/tool_calls/preview`, { tool: 'note', arguments: {} }), 422, 'validation_failed', '/arguments/note');
    assert.equal(receiver.requests.length, before);
  });

  it('may be called with an agent key; other companies get 404', async () => {
    const k = await api.post('/v1/keys', { name: 'runtime', role: 'agent' });
    const runtime = client(t.url, k.body.key);
    const res = await runtime.post(`/v1/conversations/${ids.conversationId}/tool_calls`, { tool: 'delete_ticket', arguments: { id: 'x' } });
    assert.equal(res.status, 200, res.text);
    assert.equal((await runtime.get(`/v1/conversations/${ids.conversationId}/logs`)).status, 200);
    const other = await t.newCompany();
    assertError(await other.api.post(`/v1/conversations/${ids.conversationId}/tool_calls`, { tool: 'delete_ticket', arguments: { id: 'x' } }), 404, 'resource_not_found');
    assertError(await other.api.get(`/v1/conversations/${ids.conversationId}/logs`), 404, 'resource_not_found');
  });

  it('finds a tool added to the agent after the conversation opened', async () => {
    const agent = await api.get(`/v1/agents/${ids.agentId}`);
    const extra = { name: 'late', type: 'WEBHOOK', webhook: { url: `${receiver.url}/late`, method: 'GET' } };
    const patched = await api.patch(`/v1/agents/${ids.agentId}`, { config: { tools: [...agent.body.config.tools, extra] } });
    assert.equal(patched.status, 200, patched.text);
    const res = await call('late');
    assert.equal(res.status, 200, res.text);
    assert.equal(receiver.requests.at(-1)!.url, '/late');
  });
});

describe('tool calls without the target allowlist', () => {
  let t: TestServer;
  let receiver: ToolReceiver;
  before(async () => {
    receiver = await startToolReceiver();
    t = await startTestServer('sqlite', { SWITCHBOARD_ALLOW_HTTP: 'true' });
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  it('refuses a loopback target: 200 with status_code null and the refusal as error', async () => {
    const ids = await setup(t.api, receiver.url);
    const res = await t.api.post(`/v1/conversations/${ids.conversationId}/tool_calls`, { tool: 'delete_ticket', arguments: { id: '1' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status_code, null);
    assert.match(res.body.error, /refused target 127\.0\.0\.1 \(loopback\)/);
    assert.equal(receiver.requests.length, 0);
    const [log] = (await t.api.get(`/v1/conversations/${ids.conversationId}/logs`)).body.data;
    assert.match(log.error, /refused target/);
  });
});
