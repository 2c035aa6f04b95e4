import { EVENT_TYPE_NAMES, eventTypeInfo } from '../domain/event-types.ts';
import { unknownEventTypeMessage } from '../domain/event-names.ts';
import { CliError, call, type ApiTarget } from './client.ts';

/**
 * `switchboard trigger <type>`: causes a real event of that type through the public API (the
 * resources it needs are created first, marked as examples), so every subscribed endpoint and
 * listener session receives it exactly as in production. `--webhook wh_...` instead sends one
 * example event to that endpoint only (POST /v1/webhooks/{id}/test).
 */

type Api = (method: string, route: string, body?: unknown) => Promise<any>;

interface Made {
  /** What was created, for the printed line ("user usr_..., conversation conv_..."). */
  created: string[];
  /** Narrows the event lookup to the conversation the event belongs to. */
  conversationId?: string;
}

const user = async (api: Api, made: Made) => {
  const u = await api('POST', '/v1/users', { name: 'Ada Lovelace (switchboard trigger)', phone: '+447700900123', attributes: { example: true } });
  made.created.push(`user ${u.id}`);
  return u;
};
const conversation = async (api: Api, made: Made, channel: 'whatsapp' | 'phone' = 'whatsapp') => {
  const u = await user(api, made);
  const c = await api('POST', '/v1/conversations', { user_id: u.id, channel, direction: 'inbound', context: { example: true } });
  made.created.push(`${channel} conversation ${c.id}`);
  made.conversationId = c.id;
  return c;
};
const message = async (api: Api, made: Made, direction: 'inbound' | 'outbound') => {
  const c = await conversation(api, made);
  const m = await api('POST', '/v1/messages', { conversation_id: c.id, direction, text: direction === 'inbound' ? 'Where is my order?' : 'It ships today.' });
  made.created.push(`message ${m.id}`);
  return m;
};
const phoneCall = async (api: Api, made: Made, upTo: 'initiated' | 'dial_begin' | 'answered' | 'ended') => {
  const c = await conversation(api, made, 'phone');
  for (const type of ['initiated', 'dial_begin', 'answered', 'ended'] as const) {
    // The call as a whole starts and ends; the agent's leg is dialled and answered in between.
    const leg = type === 'dial_begin' || type === 'answered' ? { leg: { role: 'agent', agent: 'Maria Keller', number: '+4930123456' } } : {};
    await api('POST', `/v1/conversations/${c.id}/call_events`, { type, ...leg });
    made.created.push(`call event ${type}`);
    if (type === upTo) break;
  }
  return c;
};

/** How each event type that the API can cause is caused. */
const RECIPES: Record<string, (api: Api, made: Made) => Promise<unknown>> = {
  'user.created': (api, made) => user(api, made),
  'user.updated': async (api, made) => api('PATCH', `/v1/users/${(await user(api, made)).id}`, { attributes: { example: true, plan: 'gold' } }),
  'tag.applied': async (api, made) => api('POST', '/v1/tags', { user_id: (await user(api, made)).id, tag: 'vip' }),
  'tag.removed': async (api, made) => {
    const u = await user(api, made);
    await api('POST', '/v1/tags', { user_id: u.id, tag: 'vip' });
    return api('DELETE', `/v1/users/${u.id}/tags/vip`);
  },
  'conversation.created': (api, made) => conversation(api, made),
  'conversation.assigned': async (api, made) => api('POST', `/v1/conversations/${(await conversation(api, made)).id}/assign`, { assignee: { id: 'agent-1', name: 'Maria Keller' } }),
  'conversation.closed': async (api, made) => api('POST', `/v1/conversations/${(await conversation(api, made)).id}/close`),
  'conversation.ended': async (api, made) => api('POST', `/v1/conversations/${(await conversation(api, made)).id}/end`, { status: 'completed' }),
  'conversation.custom_fields.updated': async (api, made) => api('PUT', `/v1/conversations/${(await conversation(api, made)).id}/custom_fields/order_id`, { value: 'A-1001' }),
  'message.received': (api, made) => message(api, made, 'inbound'),
  'message.sent': (api, made) => message(api, made, 'outbound'),
  'message.delivered': async (api, made) => api('POST', `/v1/messages/${(await message(api, made, 'outbound')).id}/status`, { status: 'delivered' }),
  'message.read': async (api, made) => api('POST', `/v1/messages/${(await message(api, made, 'outbound')).id}/status`, { status: 'read' }),
  'message.failed': async (api, made) => api('POST', `/v1/messages/${(await message(api, made, 'outbound')).id}/status`, { status: 'failed', error: 'example failure' }),
  'message.link_clicked': async (api, made) => api('POST', `/v1/messages/${(await message(api, made, 'outbound')).id}/clicks`, { url: 'https://example.com/track' }),
  'call.initiated': (api, made) => phoneCall(api, made, 'initiated'),
  'call.dial_begin': (api, made) => phoneCall(api, made, 'dial_begin'),
  'call.answered': (api, made) => phoneCall(api, made, 'answered'),
  'call.ended': (api, made) => phoneCall(api, made, 'ended'),
  'call.summary': (api, made) => phoneCall(api, made, 'ended'),
  'call.disposition': async (api, made) => api('POST', `/v1/conversations/${(await phoneCall(api, made, 'ended')).id}/disposition`, { tag: 'resolved', note: 'example' }),
};

/** Why a catalog type cannot be caused through the API (and what to do instead). */
function notTriggerable(type: string): string {
  if (type === 'conversation.setup') {
    return 'conversation.setup is a synchronous call Switchboard makes to one endpoint while a conversation opens, not a queued event; send an example to that endpoint with --webhook wh_...';
  }
  return `${type} is an operational event: Switchboard emits it when a delivery or an endpoint fails or recovers, and no API call causes it on purpose; send an example to one endpoint with --webhook wh_...`;
}

/** The types `trigger` can cause through the API (every catalog type but the operational ones and conversation.setup). */
export const TRIGGERABLE = Object.keys(RECIPES);

export async function trigger(target: ApiTarget, type: string, print: (line: string) => void): Promise<void> {
  if (!(EVENT_TYPE_NAMES as readonly string[]).includes(type)) throw new CliError(unknownEventTypeMessage(type, EVENT_TYPE_NAMES));
  const recipe = RECIPES[type];
  if (!recipe) throw new CliError(notTriggerable(type));
  const api: Api = (method, route, body) => call(target, method, route, body);
  const made: Made = { created: [] };
  await recipe(api, made);
  const q = new URLSearchParams({ type, limit: '1', ...(made.conversationId ? { conversation_id: made.conversationId } : {}) });
  const page = await api('GET', `/v1/events?${q}`);
  const event = page.data[0] as { id: string } | undefined;
  print(`triggered ${type}${event ? ` (event ${event.id})` : ''}: created ${made.created.join(', ')}`);
}

/** `trigger --webhook`: one example event to one endpoint, as a real signed delivery. */
export async function triggerTest(target: ApiTarget, webhook: string, type: string, print: (line: string) => void): Promise<void> {
  if (!(EVENT_TYPE_NAMES as readonly string[]).includes(type)) throw new CliError(unknownEventTypeMessage(type, EVENT_TYPE_NAMES));
  const d = await call<{ id: string; event_id: string }>(target, 'POST', `/v1/webhooks/${encodeURIComponent(webhook)}/test`, { type });
  print(`sent a test ${type} to ${webhook} (event ${d.event_id}, delivery ${d.id}; see GET /v1/deliveries/${d.id})`);
}

// Every catalog type is either caused by a recipe or explained: a new type must pick one.
for (const t of EVENT_TYPE_NAMES) {
  if (!RECIPES[t] && !eventTypeInfo(t)?.operational && t !== 'conversation.setup') throw new Error(`trigger: no recipe for ${t}`);
}
