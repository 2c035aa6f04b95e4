import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Type, type TSchema } from 'typebox';
import { API_VERSION, EVENT_TYPES } from './event-types.ts';
import { Assignee, Conversation, EndStatus, Message, Nullable, Timestamp, User } from './schemas.ts';

/**
 * The event catalog: for every event type its JSON Schema (of the whole envelope) and a full
 * example envelope. Serves `GET /v1/event-types`, the "send test event" feature and the check that
 * what the write path emits matches what the documentation promises.
 */

export interface CatalogEntry {
  type: string;
  description: string;
  sequenced: boolean;
  /** JSON Schema of the whole envelope for this type (plain JSON, frozen). */
  schema: Record<string, unknown>;
  /** A full, realistic envelope of this type (frozen). */
  example: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Schemas of `data`
// ---------------------------------------------------------------------------------------------

const strict = { additionalProperties: false } as const;
/** Any JSON value (custom field values). */
const AnyJson = Type.Unknown({ description: 'Any JSON value' });
const Int = (description?: string) => Type.Integer(description ? { description } : {});

const ConversationOnly = Type.Object({ conversation: Conversation }, strict);
const ConversationMessage = Type.Object({ conversation: Conversation, message: Message }, strict);
const UserOnly = Type.Object({ user: User }, strict);
const UserTag = Type.Object({ user: User, tag: Type.String() }, strict);

const LegRole = Type.Union([Type.Literal('agent'), Type.Literal('customer')]);
const CallLegEvent = Type.Object(
  {
    conversation: Conversation,
    leg: Nullable(Type.Object({ role: LegRole, number: Nullable(Type.String()), agent: Nullable(Type.String()) }, strict)),
  },
  strict,
);

const CallSummary = Type.Object(
  {
    conversation: Conversation,
    call: Type.Object(
      {
        started_at: Nullable(Timestamp),
        answered_at: Nullable(Timestamp),
        ended_at: Nullable(Timestamp),
        duration_ms: Nullable(Int('From the start to the end of the call')),
        talk_ms: Nullable(Int('From the answer to the end of the call')),
        end_status: Nullable(Type.String()),
      },
      strict,
    ),
    legs: Type.Array(
      Type.Object(
        {
          role: LegRole,
          number: Nullable(Type.String()),
          agent: Nullable(Type.String()),
          started_at: Nullable(Timestamp),
          answered_at: Nullable(Timestamp),
          ended_at: Nullable(Timestamp),
          duration_ms: Nullable(Int('From the answer (else the start) to the end of the leg')),
        },
        strict,
      ),
    ),
    agent: Nullable(
      Type.Object({ name: Nullable(Type.String()), email: Nullable(Type.String()), extension: Nullable(Type.String()) }, strict),
    ),
    department: Nullable(Type.Object({ id: Type.String(), name: Type.String() }, strict)),
  },
  strict,
);

const WebhookEvent = Type.Object(
  {
    webhook: Type.Object(
      {
        id: Type.String(),
        url: Type.String(),
        status: Type.Union([Type.Literal('active'), Type.Literal('inactive'), Type.Literal('failed')]),
        description: Type.String(),
      },
      strict,
    ),
    reason: Type.String(),
  },
  strict,
);

const DeliveryExhausted = Type.Object(
  {
    delivery: Type.Object(
      {
        id: Type.String(),
        event_id: Type.String(),
        event_type: Type.String(),
        attempts: Type.Integer({ minimum: 0 }),
        last_status_code: Nullable(Type.Integer()),
        last_error: Nullable(Type.String()),
      },
      strict,
    ),
    webhook: Type.Object({ id: Type.String(), url: Type.String() }, strict),
  },
  strict,
);

const messageWithStatus = (status: 'delivered' | 'read') =>
  Type.Object({ conversation: Conversation, message: Message, status: Type.Literal(status) }, strict);

const DATA_SCHEMAS: Record<string, TSchema> = {
  'conversation.setup': ConversationOnly,
  'conversation.created': ConversationOnly,
  'conversation.assigned': Type.Object({ conversation: Conversation, assignee: Assignee }, strict),
  'conversation.closed': ConversationOnly,
  'conversation.ended': Type.Object({ conversation: Conversation, status: EndStatus }, strict),
  'conversation.custom_fields.updated': Type.Object(
    {
      conversation: Conversation,
      key: Type.String(),
      value: AnyJson,
      previous_value: Type.Unknown({ description: 'The value before the change; null when the field is new' }),
    },
    strict,
  ),
  'message.received': ConversationMessage,
  'message.sent': ConversationMessage,
  'message.delivered': messageWithStatus('delivered'),
  'message.read': messageWithStatus('read'),
  'message.failed': Type.Object(
    { conversation: Conversation, message: Message, status: Type.Literal('failed'), error: Nullable(Type.String()) },
    strict,
  ),
  'message.link_clicked': Type.Object({ conversation: Conversation, message: Message, url: Type.String() }, strict),
  'user.created': UserOnly,
  'user.updated': UserOnly,
  'tag.applied': UserTag,
  'tag.removed': UserTag,
  'call.initiated': CallLegEvent,
  'call.dial_begin': CallLegEvent,
  'call.answered': CallLegEvent,
  'call.ended': CallLegEvent,
  'call.summary': CallSummary,
  'call.disposition': Type.Object({ conversation: Conversation, tag: Type.String(), note: Nullable(Type.String()) }, strict),
  'webhook.failed': WebhookEvent,
  'webhook.recovered': WebhookEvent,
  'delivery.exhausted': DeliveryExhausted,
};

/** The envelope schema of one type: `sequence` required when sequenced, absent otherwise. */
function envelopeSchema(type: string, description: string, sequenced: boolean, data: TSchema): Record<string, unknown> {
  const properties: Record<string, TSchema> = {
    id: Type.String({ pattern: '^evt_', description: 'Unique forever; receivers deduplicate on it' }),
    type: Type.Literal(type),
    api_version: Type.Literal(API_VERSION),
    created_at: Timestamp,
    company_id: Type.String({ pattern: '^cmp_' }),
  };
  if (sequenced) {
    properties.sequence = Type.Integer({ minimum: 1, description: 'Per conversation, 1, 2, 3, ... in commit order, without gaps' });
  }
  properties.data = data;
  const schema = Type.Object(properties, { additionalProperties: false, title: type, description });
  // Plain JSON: drops TypeBox's non-enumerable markers, so the schema is data anyone can serve.
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Examples: one company, one contact, a WhatsApp support chat and an inbound sales call. Their ids
// carry the time 0 and the word EXAMP1E, so an example can never be mistaken for a real resource.
// ---------------------------------------------------------------------------------------------

const COMPANY_ID = 'cmp_0000000000EXAMP1E000000001';
const USER_ID = 'usr_0000000000EXAMP1E000000002';
const AGENT_ID = 'agt_0000000000EXAMP1E000000003';
const CALL_CONV_ID = 'conv_0000000000EXAMP1E000000004';
const CHAT_CONV_ID = 'conv_0000000000EXAMP1E000000005';
const MSG_IN_ID = 'msg_0000000000EXAMP1E000000006';
const MSG_OUT_ID = 'msg_0000000000EXAMP1E000000007';
const MSG_FAILED_ID = 'msg_0000000000EXAMP1E000000008';
const WEBHOOK_ID = 'wh_0000000000EXAMP1E000000009';
const WEBHOOK_URL = 'https://crm.acme.example/hooks/switchboard';
const DELIVERY_ID = 'dlv_0000000000EXAMP1E000000010';
const MSG_RECEIVED_EVENT_ID = 'evt_0000000000EXAMP1E000000011';

const ASSIGNEE = {
  id: '4471',
  name: 'Jonas Weber',
  email: 'jonas.weber@acme.example',
  extension: '217',
  department: 'sales',
};

const CUSTOMER_NUMBER = '+4915112345678';
const AGENT_NUMBER = '+493040817217';

type Obj = Record<string, unknown>;

function user(at: string, attributes: Obj, tags: string[]): Obj {
  return {
    id: USER_ID,
    external_id: 'crm-48213',
    name: 'Maria Keller',
    email: 'maria.keller@example.com',
    phone: CUSTOMER_NUMBER,
    attributes,
    tags,
    created_at: '2026-09-03T14:21:07.330Z',
    updated_at: at,
  };
}

const BASE_CALL_CONFIG = {
  language: 'en-US',
  voice: { id: 'voice_emma_en' },
  first_message: 'Thanks for calling Acme. How can I help you today?',
};

/** The inbound sales call, as it looks at `at`. */
function callConversation(at: string, state: 'setup' | 'open' | 'assigned' | 'ended'): Obj {
  const opened = state !== 'setup';
  return {
    id: CALL_CONV_ID,
    user_id: USER_ID,
    channel: 'phone',
    direction: 'inbound',
    status: state === 'setup' ? 'setup' : state === 'ended' ? 'ended' : 'open',
    end_status: state === 'ended' ? 'completed' : null,
    agent_id: AGENT_ID,
    assignee: state === 'assigned' || state === 'ended' ? { ...ASSIGNEE } : null,
    department: 'sales',
    context: opened ? { customer_tier: 'gold', account_manager: 'Jonas Weber' } : {},
    client_data: { caller_number: CUSTOMER_NUMBER, dialed_number: '+493040817200' },
    custom_fields: {},
    agent_config: opened
      ? { ...BASE_CALL_CONFIG, first_message: 'Hi Maria, thanks for calling Acme sales. How can I help you today?' }
      : { ...BASE_CALL_CONFIG },
    created_at: '2026-11-22T05:00:00.000Z',
    updated_at: at,
  };
}

/** The WhatsApp support chat, as it looks at `at`. */
function chatConversation(at: string, opts: { orderNumber?: boolean; closed?: boolean } = {}): Obj {
  return {
    id: CHAT_CONV_ID,
    user_id: USER_ID,
    channel: 'whatsapp',
    direction: 'inbound',
    status: opts.closed ? 'closed' : 'open',
    end_status: null,
    agent_id: AGENT_ID,
    assignee: null,
    department: 'support',
    context: { customer_tier: 'gold' },
    client_data: { whatsapp_phone_number_id: '109876543210987' },
    custom_fields: opts.orderNumber ? { order_number: 'A-10482' } : {},
    agent_config: { language: 'en-US', tone: 'friendly' },
    created_at: '2026-11-21T16:42:10.118Z',
    updated_at: at,
  };
}

const INBOUND_MESSAGE = {
  id: MSG_IN_ID,
  conversation_id: CHAT_CONV_ID,
  direction: 'inbound',
  text: "Hi! My order A-10482 still hasn't arrived and the tracking page hasn't changed since Monday. Can you check where it is?",
  images: [],
  template: null,
  status: 'received',
  error: null,
  created_at: '2026-11-21T16:42:10.205Z',
  updated_at: '2026-11-21T16:42:10.205Z',
};

function outboundMessage(status: 'sent' | 'delivered' | 'read', at: string): Obj {
  return {
    id: MSG_OUT_ID,
    conversation_id: CHAT_CONV_ID,
    direction: 'outbound',
    text: 'Thanks for waiting, Maria! Order A-10482 left our warehouse yesterday and is due tomorrow before 6 pm. You can follow it here: https://track.acme.example/A-10482',
    images: [],
    template: null,
    status,
    error: null,
    created_at: '2026-11-21T16:43:02.761Z',
    updated_at: at,
  };
}

const FAILED_ERROR = "(#131026) Message undeliverable: the recipient's phone number is not reachable on WhatsApp.";

const LEG_CUSTOMER = { role: 'customer', number: CUSTOMER_NUMBER, agent: null };
const LEG_AGENT = { role: 'agent', number: AGENT_NUMBER, agent: 'Jonas Weber' };

interface Example {
  id: string;
  created_at: string;
  sequence?: number;
  data: Obj;
}

const EXAMPLES: Record<string, Example> = {
  'conversation.setup': {
    id: 'evt_01M80T0740NA4EW9DAKD40RF4A',
    created_at: '2026-11-22T05:00:00.000Z',
    data: { conversation: callConversation('2026-11-22T05:00:00.000Z', 'setup') },
  },
  'conversation.created': {
    id: 'evt_01M80T07GWX3BAQ8F3E6VB1WSJ',
    created_at: '2026-11-22T05:00:00.412Z',
    sequence: 1,
    data: { conversation: callConversation('2026-11-22T05:00:00.412Z', 'open') },
  },
  'conversation.assigned': {
    id: 'evt_01M80T0JW2EEPFTEN8K9ZM4NYN',
    created_at: '2026-11-22T05:00:12.034Z',
    sequence: 5,
    data: { conversation: callConversation('2026-11-22T05:00:12.034Z', 'assigned'), assignee: { ...ASSIGNEE } },
  },
  'conversation.closed': {
    id: 'evt_01M7ZKCTSP6XJGGZ3XGBH9V8MD',
    created_at: '2026-11-21T17:45:18.902Z',
    sequence: 10,
    data: { conversation: chatConversation('2026-11-21T17:45:18.902Z', { orderNumber: true, closed: true }) },
  },
  'conversation.ended': {
    id: 'evt_01M80T8GQ9V2P5XW2V73VJHXD6',
    created_at: '2026-11-22T05:04:31.977Z',
    sequence: 6,
    data: { conversation: callConversation('2026-11-22T05:04:31.977Z', 'ended'), status: 'completed' },
  },
  'conversation.custom_fields.updated': {
    id: 'evt_01M7ZGHYA52WY3NN61F8QENE7F',
    created_at: '2026-11-21T16:55:40.613Z',
    sequence: 7,
    data: {
      conversation: chatConversation('2026-11-21T16:55:40.613Z', { orderNumber: true }),
      key: 'order_number',
      value: 'A-10482',
      previous_value: null,
    },
  },
  'message.received': {
    id: MSG_RECEIVED_EVENT_ID,
    created_at: '2026-11-21T16:42:10.205Z',
    sequence: 2,
    data: { conversation: chatConversation('2026-11-21T16:42:10.205Z'), message: { ...INBOUND_MESSAGE } },
  },
  'message.sent': {
    id: 'evt_01M7ZFTT79B0AJ1BBMK6DD3EZA',
    created_at: '2026-11-21T16:43:02.761Z',
    sequence: 3,
    data: {
      conversation: chatConversation('2026-11-21T16:43:02.761Z'),
      message: outboundMessage('sent', '2026-11-21T16:43:02.761Z'),
    },
  },
  'message.delivered': {
    id: 'evt_01M7ZFTVGTD9BM6EB8QA1BG449',
    created_at: '2026-11-21T16:43:04.090Z',
    sequence: 4,
    data: {
      conversation: chatConversation('2026-11-21T16:43:04.090Z'),
      message: outboundMessage('delivered', '2026-11-21T16:43:04.090Z'),
      status: 'delivered',
    },
  },
  'message.read': {
    id: 'evt_01M7ZFXPR8NNDN8CS8AW1WBYCX',
    created_at: '2026-11-21T16:44:37.512Z',
    sequence: 5,
    data: {
      conversation: chatConversation('2026-11-21T16:44:37.512Z'),
      message: outboundMessage('read', '2026-11-21T16:44:37.512Z'),
      status: 'read',
    },
  },
  'message.failed': {
    id: 'evt_01M7ZJGTP4KJ7DZ9VWHYXB1ARZ',
    created_at: '2026-11-21T17:30:01.284Z',
    sequence: 9,
    data: {
      conversation: chatConversation('2026-11-21T17:30:01.284Z', { orderNumber: true }),
      message: {
        id: MSG_FAILED_ID,
        conversation_id: CHAT_CONV_ID,
        direction: 'outbound',
        text: 'Did your parcel arrive safely? Just reply here if you need anything else.',
        images: [],
        template: null,
        status: 'failed',
        error: FAILED_ERROR,
        created_at: '2026-11-21T17:30:00.000Z',
        updated_at: '2026-11-21T17:30:01.284Z',
      },
      status: 'failed',
      error: FAILED_ERROR,
    },
  },
  'message.link_clicked': {
    id: 'evt_01M7ZFYNTSQTXKFMQ29K2BMN56',
    created_at: '2026-11-21T16:45:09.337Z',
    sequence: 6,
    data: {
      conversation: chatConversation('2026-11-21T16:45:09.337Z'),
      message: outboundMessage('read', '2026-11-21T16:44:37.512Z'),
      url: 'https://track.acme.example/A-10482',
    },
  },
  'user.created': {
    id: 'evt_01M1KTA5C2XZ17V5SW0A1E6WZW',
    created_at: '2026-09-03T14:21:07.330Z',
    data: { user: user('2026-09-03T14:21:07.330Z', { plan: 'trial', city: 'Berlin' }, []) },
  },
  'user.updated': {
    id: 'evt_01M7W07P4KWK18A26GA3H04JG0',
    created_at: '2026-11-20T08:12:44.051Z',
    data: {
      user: user('2026-11-20T08:12:44.051Z', { plan: 'pro', city: 'Berlin', company: 'Keller Logistik GmbH' }, ['trial']),
    },
  },
  'tag.applied': {
    id: 'evt_01M7W088BW6687BFXD40G910TD',
    created_at: '2026-11-20T08:13:02.716Z',
    data: {
      user: user('2026-11-20T08:13:02.716Z', { plan: 'pro', city: 'Berlin', company: 'Keller Logistik GmbH' }, ['trial', 'vip']),
      tag: 'vip',
    },
  },
  'tag.removed': {
    id: 'evt_01M7W088BWSW6T0RF1XMVA1P2F',
    created_at: '2026-11-20T08:13:02.716Z',
    data: {
      user: user('2026-11-20T08:13:02.716Z', { plan: 'pro', city: 'Berlin', company: 'Keller Logistik GmbH' }, ['vip']),
      tag: 'trial',
    },
  },
  'call.initiated': {
    id: 'evt_01M80T07J2VHMQ7HVFBPZ3NHAA',
    created_at: '2026-11-22T05:00:00.450Z',
    sequence: 2,
    data: { conversation: callConversation('2026-11-22T05:00:00.450Z', 'open'), leg: { ...LEG_CUSTOMER } },
  },
  'call.dial_begin': {
    id: 'evt_01M80T0C408FSX2NA0YHZH4VV6',
    created_at: '2026-11-22T05:00:05.120Z',
    sequence: 3,
    data: { conversation: callConversation('2026-11-22T05:00:05.120Z', 'open'), leg: { ...LEG_AGENT } },
  },
  'call.answered': {
    id: 'evt_01M80T0GRE73CS7WACBV5PB6T9',
    created_at: '2026-11-22T05:00:09.870Z',
    sequence: 4,
    data: { conversation: callConversation('2026-11-22T05:00:09.870Z', 'open'), leg: { ...LEG_AGENT } },
  },
  'call.ended': {
    id: 'evt_01M80T8H8WRQW9A1VKE8P4ZVCJ',
    created_at: '2026-11-22T05:04:32.540Z',
    sequence: 7,
    // Ended without naming a leg: the whole call (every leg) ended.
    data: { conversation: callConversation('2026-11-22T05:04:32.540Z', 'ended'), leg: null },
  },
  'call.summary': {
    id: 'evt_01M80T8H8WXWRV8XVHNN4JKV8D',
    created_at: '2026-11-22T05:04:32.540Z',
    sequence: 8,
    data: {
      conversation: callConversation('2026-11-22T05:04:32.540Z', 'ended'),
      call: {
        started_at: '2026-11-22T05:00:00.450Z',
        answered_at: '2026-11-22T05:00:09.870Z',
        ended_at: '2026-11-22T05:04:32.540Z',
        duration_ms: 272090,
        talk_ms: 262670,
        end_status: 'completed',
      },
      legs: [
        {
          ...LEG_CUSTOMER,
          started_at: '2026-11-22T05:00:00.450Z',
          answered_at: null,
          ended_at: '2026-11-22T05:04:32.540Z',
          duration_ms: 272090,
        },
        {
          ...LEG_AGENT,
          started_at: '2026-11-22T05:00:05.120Z',
          answered_at: '2026-11-22T05:00:09.870Z',
          ended_at: '2026-11-22T05:04:32.540Z',
          duration_ms: 262670,
        },
      ],
      agent: { name: ASSIGNEE.name, email: ASSIGNEE.email, extension: ASSIGNEE.extension },
      department: { id: 'sales', name: 'sales' },
    },
  },
  'call.disposition': {
    id: 'evt_01M80TDG48PSBG298XV1PKNDZ8',
    created_at: '2026-11-22T05:07:15.208Z',
    data: {
      conversation: callConversation('2026-11-22T05:07:15.208Z', 'ended'),
      tag: 'interested',
      note: 'Wants a quote for 25 seats with the annual plan; call back Tuesday morning.',
    },
  },
  'webhook.failed': {
    id: 'evt_01M7ZMBSK8N8CTFZAS2M1YV4GH',
    created_at: '2026-11-21T18:02:13.480Z',
    data: {
      webhook: { id: WEBHOOK_ID, url: WEBHOOK_URL, status: 'failed', description: 'CRM sync' },
      reason: '3 failed attempts in a row (last: HTTP 503 Service Unavailable).',
    },
  },
  'webhook.recovered': {
    id: 'evt_01M7ZRH1S0TTMB88SCAP3M1Y4M',
    created_at: '2026-11-21T19:15:00.000Z',
    data: {
      webhook: { id: WEBHOOK_ID, url: WEBHOOK_URL, status: 'active', description: 'CRM sync' },
      reason: 'The endpoint was enabled.',
    },
  },
  'delivery.exhausted': {
    id: 'evt_01M7ZFT2XZWZYT1G0YHD9WFC12',
    created_at: '2026-11-21T16:42:38.911Z',
    data: {
      delivery: {
        id: DELIVERY_ID,
        event_id: MSG_RECEIVED_EVENT_ID,
        event_type: 'message.received',
        attempts: 3,
        last_status_code: 503,
        last_error: null,
      },
      webhook: { id: WEBHOOK_ID, url: WEBHOOK_URL },
    },
  },
};

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function buildEntry(info: (typeof EVENT_TYPES)[number]): CatalogEntry {
  const data = DATA_SCHEMAS[info.type];
  const ex = EXAMPLES[info.type];
  if (!data || !ex) throw new Error(`Event catalog: no schema or example for ${info.type}`);
  if (info.sequenced !== (ex.sequence !== undefined)) throw new Error(`Event catalog: sequence of the ${info.type} example`);
  const example: Obj = {
    id: ex.id,
    type: info.type,
    api_version: API_VERSION,
    created_at: ex.created_at,
    company_id: COMPANY_ID,
    ...(ex.sequence !== undefined ? { sequence: ex.sequence } : {}),
    data: structuredClone(ex.data),
  };
  return deepFreeze({
    type: info.type,
    description: info.description,
    sequenced: info.sequenced,
    schema: envelopeSchema(info.type, info.description, info.sequenced, data),
    example,
  });
}

/**
 * Same order as EVENT_TYPES. Frozen at runtime (entries deeply): never mutate it. Typed as a plain
 * array so it can be served as-is in a `{data, next_cursor}` list answer.
 */
export const EVENT_CATALOG: CatalogEntry[] = Object.freeze(EVENT_TYPES.map(buildEntry)) as CatalogEntry[];

const BY_TYPE = new Map(EVENT_CATALOG.map((e) => [e.type, e]));

/** The catalog entry of a type, or undefined for an unknown name. */
export function catalogEntry(type: string): CatalogEntry | undefined {
  return BY_TYPE.get(type);
}

/**
 * A fresh (mutable) copy of the type's example with `id`, `company_id` and `created_at` replaced,
 * for "send test event". Throws on an unknown type: check with `catalogEntry` first.
 */
export function exampleEvent(type: string, overrides: { id: string; company_id: string; created_at: string }): object {
  const entry = BY_TYPE.get(type);
  if (!entry) throw new Error(`Unknown event type: ${type}`);
  const copy = structuredClone(entry.example) as Obj;
  copy.id = overrides.id;
  copy.company_id = overrides.company_id;
  copy.created_at = overrides.created_at;
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` and a real instant (no 2026-02-30). */
function isDateTime(s: string): boolean {
  if (!DATE_TIME.test(s)) return false;
  const t = Date.parse(s);
  return !Number.isNaN(t) && new Date(t).toISOString() === s;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => {
      const path = e.instancePath || '/';
      const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
      return `${path} ${e.message ?? 'is invalid'}${extra}`;
    })
    .join('; ');
}

/**
 * Compiles every type's schema once and returns a checker that picks the schema by
 * `envelope.type`. An unknown type, or something that is not an object, is an error.
 */
export function createEventValidator(): (envelope: unknown) => { ok: true } | { ok: false; errors: string } {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
  const validators = new Map<string, ValidateFunction>(EVENT_CATALOG.map((e) => [e.type, ajv.compile(e.schema)]));
  return (envelope) => {
    if (!envelope || typeof envelope !== 'object' || Array.isArray(envelope)) {
      return { ok: false, errors: '/ must be an object' };
    }
    const type = (envelope as { type?: unknown }).type;
    const validate = typeof type === 'string' ? validators.get(type) : undefined;
    if (!validate) return { ok: false, errors: `/type is not a known event type (${JSON.stringify(type) ?? 'missing'})` };
    return validate(envelope) ? { ok: true } : { ok: false, errors: describe(validate.errors) };
  };
}
