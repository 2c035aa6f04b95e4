import { Type, type TSchema, type Static } from 'typebox';

/**
 * JSON Schemas of the platform resources. One definition serves request validation, response
 * serialisation, the OpenAPI document and the event catalog, so they cannot drift apart.
 */

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A free-form JSON object (attributes, context, client_data, ...). */
export const JsonObject = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 UTC with milliseconds' });

export const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('agent')]);

export const Channel = Type.Union([Type.Literal('chat'), Type.Literal('whatsapp'), Type.Literal('phone')]);
export const Direction = Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]);
export const ConversationStatus = Type.Union([
  Type.Literal('setup'),
  Type.Literal('open'),
  Type.Literal('closed'),
  Type.Literal('ended'),
]);
export const EndStatus = Type.Union([
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('busy'),
  Type.Literal('no-answer'),
  Type.Literal('voicemail'),
]);
export const MessageStatus = Type.Union([
  Type.Literal('received'),
  Type.Literal('sent'),
  Type.Literal('delivered'),
  Type.Literal('read'),
  Type.Literal('failed'),
]);

export const Company = Type.Object({ id: Type.String(), name: Type.String(), created_at: Timestamp });

export const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
});

export const CreatedApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  prefix: Type.String(),
  key: Type.String({ description: 'The plaintext key. Shown once, in this answer only.' }),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
});

export const User = Type.Object({
  id: Type.String(),
  external_id: Nullable(Type.String()),
  name: Nullable(Type.String()),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  attributes: JsonObject,
  tags: Type.Array(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const Assignee = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 255 }),
    name: Type.Optional(Type.String({ maxLength: 255 })),
    email: Type.Optional(Type.String({ maxLength: 255 })),
    extension: Type.Optional(Type.String({ maxLength: 64 })),
    department: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

/** A tool as conversation.agent_config shows it: what it is for and where it goes, never how it authenticates. */
export const PublicTool = Type.Object(
  {
    name: Type.String(),
    description: Type.String(),
    origin: Nullable(Type.String({ description: 'scheme://host[:port] of the tool URL; its path, headers, body and parameters are not shown.' })),
  },
  { additionalProperties: false },
);

/**
 * The agent configuration a conversation opened with (the agent's, merged with the setup answer's
 * override_config), as API answers and event payloads show it: tools by name, description and URL
 * origin only, fields with credential-like names masked. The full configuration is kept internally
 * to run the tools; owners and admins read it through GET /v1/agents/{id}.
 */
export const PublicAgentConfig = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  additionalProperties: true,
  properties: { tools: Type.Array(PublicTool) },
  description:
    'The configuration this conversation runs with: voice, runtime, prompt, first_message and other fields as merged; ' +
    'tools by name, description and URL origin only (no URL path, headers, body or parameters); credential-like fields masked "••••".',
});

export const Conversation = Type.Object({
  id: Type.String(),
  user_id: Nullable(Type.String()),
  channel: Channel,
  direction: Direction,
  status: ConversationStatus,
  end_status: Nullable(EndStatus),
  agent_id: Nullable(Type.String()),
  assignee: Nullable(Assignee),
  department: Nullable(Type.String()),
  context: JsonObject,
  client_data: JsonObject,
  custom_fields: JsonObject,
  agent_config: PublicAgentConfig,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const Message = Type.Object({
  id: Type.String(),
  conversation_id: Type.String(),
  direction: Direction,
  text: Nullable(Type.String()),
  images: Type.Array(Type.String()),
  template: Nullable(JsonObject),
  status: MessageStatus,
  error: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const Event = Type.Object({
  id: Type.String(),
  type: Type.String(),
  api_version: Type.String(),
  created_at: Timestamp,
  company_id: Type.String(),
  sequence: Type.Optional(Type.Integer({ minimum: 1 })),
  data: JsonObject,
  test: Type.Optional(Type.Literal(true, { description: 'Present on test events ("Send test event") in GET /v1/events answers only; never in a delivered body' })),
});

export const ErrorBody = Type.Object({
  error: Type.Object({
    type: Type.String(),
    code: Type.String(),
    message: Type.String(),
    param: Type.Optional(Type.String()),
  }),
});

/** `{data: [...], next_cursor}` — the shape of every list answer. */
export const ListOf = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String()) });

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

/** Path ids: our ids are short and url-safe; anything else cannot name a resource. */
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const IdParams = Type.Object({ id: Id });

export type UserT = Static<typeof User>;
export type ConversationT = Static<typeof Conversation>;
export type MessageT = Static<typeof Message>;
export type EventT = Static<typeof Event>;
export type ApiKeyT = Static<typeof ApiKey>;
export type CompanyT = Static<typeof Company>;
export type RoleT = Static<typeof Role>;
