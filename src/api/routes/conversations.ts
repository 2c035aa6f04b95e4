import { Type } from 'typebox';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { Assignee, Channel, Conversation, ConversationStatus, Direction, EndStatus, IdParams, JsonObject, ListOf, ListQuery, Message } from '../../domain/schemas.ts';
import type { ConversationService } from '../../services/conversations.ts';
import type { MessageService } from '../../services/messages.ts';
import type { CallService } from '../../services/calls.ts';
import { callerOf } from '../auth.ts';

const Id = Type.String({ maxLength: 64 });
const Leg = Type.Object(
  {
    role: Type.Union([Type.Literal('agent'), Type.Literal('customer')]),
    number: Type.Optional(Type.String({ maxLength: 64 })),
    agent: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

export function conversationRoutes(app: App, conversations: ConversationService, messages: MessageService, calls: CallService) {
  const tags = ['conversations'];
  app.post(
    '/v1/conversations',
    {
      schema: {
        tags,
        summary: 'Create a conversation (calls conversation.setup when it has no context; emits conversation.created)',
        body: Type.Object(
          {
            user_id: Type.Optional(Id),
            channel: Channel,
            direction: Direction,
            agent_id: Type.Optional(Id),
            context: Type.Optional(JsonObject),
            client_data: Type.Optional(JsonObject),
            department: Type.Optional(Type.String({ maxLength: 255 })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: Conversation }),
      },
    },
    async (req, reply) => reply.code(201).send(await conversations.create(callerOf(req), req.body)),
  );
  app.get(
    '/v1/conversations',
    {
      schema: {
        tags,
        summary: 'List conversations, newest first',
        querystring: Type.Object({
          ...ListQuery.properties,
          status: Type.Optional(ConversationStatus),
          user_id: Type.Optional(Id),
          channel: Type.Optional(Channel),
        }),
        response: responses({ 200: ListOf(Conversation) }),
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return conversations.list(callerOf(req), filter, limit ?? 20, cursor);
    },
  );
  app.get(
    '/v1/conversations/:id',
    { schema: { tags, summary: 'Get a conversation', params: IdParams, response: responses({ 200: Conversation }) } },
    async (req) => conversations.get(callerOf(req), req.params.id),
  );
  app.patch(
    '/v1/conversations/:id',
    {
      schema: {
        tags,
        summary: 'Merge client_data and context (a null value removes a key)',
        params: IdParams,
        body: Type.Object({ client_data: Type.Optional(JsonObject), context: Type.Optional(JsonObject) }, { additionalProperties: false }),
        response: responses({ 200: Conversation }),
      },
    },
    async (req) => conversations.patch(callerOf(req), req.params.id, req.body),
  );
  app.post(
    '/v1/conversations/:id/assign',
    {
      schema: {
        tags,
        summary: 'Assign the conversation to a person (emits conversation.assigned)',
        params: IdParams,
        body: Type.Object({ assignee: Assignee }, { additionalProperties: false }),
        response: responses({ 200: Conversation }),
      },
    },
    async (req) => conversations.assign(callerOf(req), req.params.id, req.body.assignee),
  );
  app.post(
    '/v1/conversations/:id/close',
    { schema: { tags, summary: 'Close the conversation (emits conversation.closed)', params: IdParams, response: responses({ 200: Conversation }) } },
    async (req) => conversations.close(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/conversations/:id/end',
    {
      schema: {
        tags,
        summary: 'End the conversation with a final status (emits conversation.ended)',
        params: IdParams,
        body: Type.Object({ status: EndStatus }, { additionalProperties: false }),
        response: responses({ 200: Conversation }),
      },
    },
    async (req) => conversations.end(callerOf(req), req.params.id, req.body.status),
  );
  app.put(
    '/v1/conversations/:id/custom_fields/:key',
    {
      schema: {
        tags,
        summary: 'Set a custom field (emits conversation.custom_fields.updated when the value changes)',
        params: Type.Object({ id: Id, key: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }) }),
        body: Type.Object({ value: Type.Unknown() }, { additionalProperties: false, required: ['value'] }),
        response: responses({ 200: Conversation }),
      },
    },
    async (req) => conversations.setCustomField(callerOf(req), req.params.id, req.params.key, req.body.value ?? null),
  );
  app.get(
    '/v1/conversations/:id/messages',
    {
      schema: { tags: ['messages'], summary: 'Messages of a conversation, oldest first', params: IdParams, querystring: ListQuery, response: responses({ 200: ListOf(Message) }) },
    },
    async (req) => messages.listForConversation(callerOf(req), req.params.id, req.query.limit ?? 20, req.query.cursor),
  );
  app.post(
    '/v1/conversations/:id/call_events',
    {
      schema: {
        tags: ['calls'],
        summary: 'Record call progress (emits call.initiated, call.dial_begin, call.answered, call.ended then call.summary)',
        params: IdParams,
        body: Type.Object(
          {
            type: Type.Union([Type.Literal('initiated'), Type.Literal('dial_begin'), Type.Literal('answered'), Type.Literal('ended')]),
            leg: Type.Optional(Leg),
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: Conversation }),
      },
    },
    async (req) => calls.record(callerOf(req), req.params.id, req.body.type, req.body.leg),
  );
  app.post(
    '/v1/conversations/:id/disposition',
    {
      schema: {
        tags: ['calls'],
        summary: 'Set the disposition of a call (emits call.disposition)',
        params: IdParams,
        body: Type.Object(
          { tag: Type.String({ minLength: 1, maxLength: 64 }), note: Type.Optional(Type.String({ maxLength: 4000 })) },
          { additionalProperties: false },
        ),
        response: responses({ 200: Conversation }),
      },
    },
    async (req) => calls.disposition(callerOf(req), req.params.id, req.body.tag, req.body.note),
  );
}
