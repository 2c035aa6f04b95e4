import assert from 'node:assert/strict';
import type { TestServer } from './server.ts';
import type { ToolReceiver } from './tool-receiver.ts';
import { addSetupEndpoint } from './setup-endpoint.ts';

export const SEED_TOKEN = 'erp-token-0123456789';
const TOKEN = SEED_TOKEN;

/** A conversation with a setup call, two tool calls, two messages and a custom field changed twice. */
export async function seedConversation(s: TestServer, receiver: ToolReceiver): Promise<{ conversationId: string; agentId: string }> {
  const companyId = (await s.server.platform.services.members.company('default')).id;
  await addSetupEndpoint(s, companyId, { url: receiver.url + '/setup' });
  const agent = await s.api.post('/v1/agents', {
    name: 'Orders',
    config: {
      prompt: 'Help with orders',
      tools: [
        {
          name: 'order_status',
          type: 'WEBHOOK',
          parameters: { type: 'object', properties: { order_number: { type: 'string' } }, required: ['order_number'] },
          webhook: { url: `${receiver.url}/orders/$order_number`, method: 'GET', headers: [{ key: 'Authorization', value: 'Bearer $erp_token' }], response_directive: 'Tell the status.' },
        },
        { name: 'note', type: 'WEBHOOK', webhook: { url: `${receiver.url}/notes`, method: 'POST', body: { who: '$nobody_knows' } } },
      ],
    },
  });
  assert.equal(agent.status, 201, agent.text);
  const conv = await s.api.post('/v1/conversations', { channel: 'chat', direction: 'inbound', agent_id: agent.body.id, client_data: { erp_token: TOKEN } });
  assert.equal(conv.status, 201, conv.text);
  const id = conv.body.id;
  assert.equal((await s.api.post(`/v1/conversations/${id}/tool_calls`, { tool: 'order_status', arguments: { order_number: 'A-1' } })).status, 200);
  assert.equal((await s.api.post(`/v1/conversations/${id}/tool_calls`, { tool: 'note', arguments: {} })).status, 200);
  await s.api.post('/v1/messages', { conversation_id: id, direction: 'inbound', text: 'Where is <b>my</b> order?' });
  await s.api.post('/v1/messages', { conversation_id: id, direction: 'outbound', text: 'It ships today.' });
  await s.api.put(`/v1/conversations/${id}/custom_fields/order_number`, { value: 'A-1' });
  await s.api.put(`/v1/conversations/${id}/custom_fields/order_number`, { value: 'A-2' });
  return { conversationId: id, agentId: agent.body.id };
}

