import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer, OWNER_KEY, type TestServer } from '../helpers/server.ts';
import { startToolReceiver, type ToolReceiver } from '../helpers/tool-receiver.ts';
import os from 'node:os';
import path from 'node:path';
import { docBlock } from '../helpers/doc-blocks.ts';
import { DocSession } from '../helpers/doc-runner.ts';

const FIXTURE = new URL('../fixtures/tools.json', import.meta.url);
const DOC = new URL('../../docs/tools.md', import.meta.url);

describe('docs/tools.md examples', () => {
  let t: TestServer;
  let receiver: ToolReceiver;
  before(async () => {
    receiver = await startToolReceiver((r) => {
      if (r.url.startsWith('/api/orders/')) return { status: 200, body: { status: 'shipped', eta: '2026-11-25' } };
      if (r.url === '/api/tickets') return { status: 201, body: { ticket: 'T-1001', session: { client_data: { last_ticket: 'T-1001' } } } };
      if (r.url === '/v1/analyse') return { status: 200, body: { description: 'A cracked screen' } };
      return { status: 404 };
    });
    t = await startTestServer('sqlite', { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8,::1/128' });
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  it('shows test/fixtures/tools.json verbatim', () => {
    const fixture = fs.readFileSync(FIXTURE, 'utf8').trimEnd();
    assert.ok(fs.readFileSync(DOC, 'utf8').includes('```json\n' + fixture + '\n```'));
  });

  it("runs the page's shell commands: create the agent and a conversation, call a tool, read the logs", { timeout: 120_000 }, async () => {
    // $API and $KEY are this server's; test/fixtures/tools.json is read from a copy whose example
    // hosts point at the local receiver (the commands send real requests to the tools' URLs).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-tools-doc-'));
    const tools = path.join(dir, 'tools.json');
    fs.writeFileSync(tools, fs.readFileSync(FIXTURE, 'utf8').replace(/https:\/\/[a-z]+\.example\.com/g, receiver.url));
    const session = new DocSession({ env: { API: t.url + '/v1', KEY: OWNER_KEY }, replace: [['test/fixtures/tools.json', tools]] });
    try {
      const [agent, conv] = await session.runBlock(docBlock('docs/tools.md', 'Examples', 0));
      assert.match(JSON.parse(agent!.out).id, /^agt_/);
      const convId = JSON.parse(conv!.out).id;
      const [called] = await session.runBlock(docBlock('docs/tools.md', 'Running a tool', 0));
      const answer = JSON.parse(called!.out);
      assert.equal(answer.status_code, 200, called!.out);
      assert.deepEqual(answer.response, { status: 'shipped', eta: '2026-11-25' });
      assert.equal(receiver.requests.at(-1)!.url, '/api/orders/SO-1042?customer=c-981');
      const [logs] = await session.runBlock(docBlock('docs/tools.md', 'Logs', 0));
      const entries = JSON.parse(logs!.out).data;
      assert.deepEqual(entries.map((l: any) => [l.conversation_id, l.name]), [[convId, 'order_status']]);
    } finally {
      await session.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the three example tools as documented', async () => {
    // The only change: every example host points at the local receiver.
    const text = fs.readFileSync(FIXTURE, 'utf8').replace(/https:\/\/[a-z]+\.example\.com/g, receiver.url);
    const api = t.api;
    const agent = await api.post('/v1/agents', { name: 'Support', config: { tools: JSON.parse(text) } });
    assert.equal(agent.status, 201, agent.text);
    const conv = await api.post('/v1/conversations', {
      channel: 'chat',
      direction: 'inbound',
      agent_id: agent.body.id,
      context: {},
      client_data: { customer_id: 'c-981', erp_token: 'erp_live_xyz', helpdesk_key: 'hd_live_abc' },
    });
    assert.equal(conv.status, 201, conv.text);
    const id = conv.body.id;
    const call = (body: unknown) => api.post(`/v1/conversations/${id}/tool_calls`, body);

    // Order status: GET with the order number in the path.
    const order = await call({ tool: 'order_status', arguments: { order_number: 'SO-1042' } });
    assert.equal(order.status, 200, order.text);
    let seen = receiver.requests.at(-1)!;
    assert.equal(seen.method, 'GET');
    assert.equal(seen.url, '/api/orders/SO-1042?customer=c-981');
    assert.equal(seen.headers.authorization, 'Bearer erp_live_xyz');
    assert.deepEqual(order.body.response, { status: 'shipped', eta: '2026-11-25' });
    assert.equal(order.body.directive, 'Tell the customer the order status and the expected delivery date.');

    // Create ticket: POST with a JSON body from the arguments (priority from the schema default).
    const ticket = await call({ tool: 'create_ticket', arguments: { subject: 'Screen cracked', details: 'Arrived with a "cracked" screen' } });
    assert.equal(ticket.status, 200, ticket.text);
    seen = receiver.requests.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/api/tickets');
    assert.equal(seen.headers['x-api-key'], 'hd_live_abc');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(seen.body), {
      subject: 'Screen cracked',
      description: `Reported in conversation ${id}: Arrived with a "cracked" screen`,
      priority: 'normal',
      requester: { customer_id: 'c-981' },
    });
    assert.equal(ticket.body.status_code, 201);
    assert.equal(ticket.body.client_data.last_ticket, 'T-1001');

    // Analyse image: "$images" is the array itself, "$images[0]" the first URL.
    const images = ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.jpg'];
    const vision = await call({ tool: 'analyse_image', arguments: { question: 'Is the screen damaged?' }, images });
    assert.equal(vision.status, 200, vision.text);
    seen = receiver.requests.at(-1)!;
    assert.equal(seen.url, '/v1/analyse');
    assert.deepEqual(JSON.parse(seen.body), { question: 'Is the screen damaged?', first_image: images[0], images, conversation_id: id });
    assert.deepEqual(vision.body.response, { description: 'A cracked screen' });

    // The documented preview of order_status.
    const preview = await api.post(`/v1/conversations/${id}/tool_calls/preview`, { tool: 'order_status', arguments: { order_number: 'SO-1042' } });
    assert.deepEqual(preview.body, {
      method: 'GET',
      url: `${receiver.url}/api/orders/SO-1042?customer=c-981`,
      headers: { Authorization: '••••' },
      body: null,
      variables_used: { order_number: 'SO-1042', customer_id: 'c-981', erp_token: '••••' },
      unknown_variables: [],
    });

    const logs = (await api.get(`/v1/conversations/${id}/logs`)).body.data;
    assert.deepEqual(logs.map((l: any) => l.name), ['order_status', 'create_ticket', 'analyse_image']);
    assert.doesNotMatch(JSON.stringify(logs), /erp_live_xyz|hd_live_abc/);
  });
});
