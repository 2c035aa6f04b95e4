import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startToolReceiver, type ToolReceiver } from '../helpers/tool-receiver.ts';
import { eventually } from '../helpers/webhook-receiver.ts';
import { ConsoleClient } from '../helpers/console-client.ts';
import { seedConversation, SEED_TOKEN as TOKEN } from '../helpers/console-seed.ts';

const DEV = { SWITCHBOARD_ALLOW_HTTP: 'true', SWITCHBOARD_ALLOW_TARGETS: '127.0.0.0/8' };

describe('console conversation pages (sqlite)', () => {
  let s: TestServer;
  let c: ConsoleClient;
  let receiver: ToolReceiver;
  let ids: { conversationId: string; agentId: string };
  before(async () => {
    receiver = await startToolReceiver((r) => (r.url === '/setup' ? { status: 200, body: { context: { tier: 'gold' } } } : undefined));
    s = await startTestServer('sqlite', DEV);
    const m = s.server.platform.services.members;
    await m.add((await m.company('default')).id, { email: 'o@example.com', role: 'owner', password: 'a-long-password-1' });
    c = new ConsoleClient(s.url);
    await c.signIn('o@example.com', 'a-long-password-1');
    ids = await seedConversation(s, receiver);
  });
  after(async () => {
    await s.close();
    await receiver.close();
  });

  test('the list filters by status, channel, direction, agent and date', async () => {
    await s.api.post('/v1/conversations', { channel: 'phone', direction: 'outbound' });
    const all = await c.get('/console/conversations');
    assert.equal([...all.text.matchAll(/id="conv-/g)].length, 2);
    const chat = await c.get('/console/conversations?channel=chat&direction=inbound&status=open');
    assert.deepEqual([...chat.text.matchAll(/id="conv-(conv_[0-9A-Z]+)"/g)].map((m) => m[1]), [ids.conversationId]);
    const byAgent = await c.get(`/console/conversations?agent_id=${ids.agentId}`);
    assert.equal([...byAgent.text.matchAll(/id="conv-/g)].length, 1);
    const future = await c.get('/console/conversations?after=2999-01-01T00:00');
    assert.match(future.text, /No conversations match/);
  });

  test('one conversation: logs newest first with masked secrets and unknown variables, transcript, events with deliveries, field history', async () => {
    const p = await c.get(`/console/conversations/${ids.conversationId}`);
    assert.equal(p.status, 200);
    const kinds = [...p.text.matchAll(/data-log-kind="(\w+)"/g)].map((m) => m[1]);
    assert.deepEqual(kinds, ['tool_call', 'tool_call', 'setup']);
    assert.ok(p.text.indexOf('Tool call: note') < p.text.indexOf('Tool call: order_status'), 'newest first');
    const logs = p.text.slice(p.text.indexOf('id="logs-title"'), p.text.indexOf('id="transcript-title"'));
    assert.equal(logs.includes(TOKEN), false, 'the secret is masked in the logged request and variables');
    assert.equal(p.text.includes(TOKEN), false, 'nor anywhere else on the page: client_data, event envelopes');
    assert.match(p.text, /<span class="j-key">&quot;erp_token&quot;<\/span>: <span class="j-str">&quot;••••&quot;/, 'client_data shows the key, masked');
    assert.match(logs, /&quot;Authorization&quot;<\/span>: <span class="j-str">&quot;••••&quot;/);
    assert.match(p.text, /<code class="unknown-var">nobody_knows<\/code>/);
    assert.match(p.text, /Where is &lt;b&gt;my&lt;\/b&gt; order\?/);
    assert.match(p.text, /class="bubble from-us"/);
    assert.match(p.text, /<th scope="row">order_number<\/th><td>null → &quot;A-1&quot;/);
    assert.match(p.text, /&quot;A-1&quot; → &quot;A-2&quot;/);
    assert.match(p.text, /<span class="j-key">&quot;tier&quot;<\/span>/, 'context from the setup answer');
    const seqs = [...p.text.matchAll(/<span class="muted">#(\d+)<\/span> <code>/g)].map((m) => Number(m[1]));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'events in sequence order');
    assert.match(p.text, /Agent configuration/);
  });

  test('each event lists its deliveries and their outcomes', async () => {
    await s.api.post('/v1/webhooks', { url: receiver.url + '/hooks', events: ['message.received'] });
    await s.api.post('/v1/messages', { conversation_id: ids.conversationId, direction: 'inbound', text: 'again' });
    await eventually(async () => /class="event-deliveries"><li><span class="pill pill-active">succeeded<\/span>/.test((await c.get(`/console/conversations/${ids.conversationId}`)).text), 10_000, 'delivery shown');
  });
});
