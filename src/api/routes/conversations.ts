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
        operationId: 'createConversation',
        summary: 'Create a conversation',
        description: 'Opens a conversation and emits `conversation.created`. Without a `context`, the company\'s `conversation.setup` endpoint (if any) is called first, synchronously, for the context and agent overrides; the conversation copies its agent\'s configuration merged with them.',
        errors: { 404: 'No such `user_id` or `agent_id` in the company (`resource_not_found`, `param` names it).', 424: 'The conversation.setup call failed (no answer, a non-2xx status, or no context object) and the setup endpoint sets `setup_failure: "reject"` (`setup_failed`): nothing was created.' },
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
        operationId: 'listConversations',
        summary: 'List conversations',
        description: 'Lists the company\'s conversations, newest first, optionally filtered by `status`, `user_id` and `channel`; `limit` and `cursor` page it.',
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
    {
      schema: {
        tags,
        operationId: 'getConversation',
        summary: 'Get a conversation',
        description: 'Returns one conversation with its context, client_data, custom fields and agent configuration.',
        params: IdParams,
        response: responses({ 200: Conversation }),
      },
    },
    async (req) => conversations.get(callerOf(req), req.params.id),
  );
  app.patch(
    '/v1/conversations/:id',
    {
      schema: {
        tags,
        operationId: 'updateConversation',
        summary: 'Update a conversation',
        description: 'Merges `client_data` and `context` into the stored objects; a null value removes its key. Emits no event.',
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
        operationId: 'assignConversation',
        summary: 'Assign a conversation',
        description: 'Assigns the conversation to a person (and their department, when given) and emits `conversation.assigned`.',
        params: IdParams,
        body: Type.Object({ assignee: Assignee }, { additionalProperties: false }),
        response: responses({ 200: Conversation }),
      },
    },
    async (req) => conversations.assign(callerOf(req), req.params.id, req.body.assignee),
  );
  app.post(
    '/v1/conversations/:id/close',
    {
      schema: {
        tags,
        operationId: 'closeConversation',
        summary: 'Close a conversation',
        description: 'Closes the conversation and emits `conversation.closed`; closing a closed conversation changes nothing.',
        errors: { 409: 'The conversation has ended (`conflict`).' },
        params: IdParams,
        response: responses({ 200: Conversation }),
      },
    },
    async (req) => conversations.close(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/conversations/:id/end',
    {
      schema: {
        tags,
        operationId: 'endConversation',
        summary: 'End a conversation',
        description: 'Ends the conversation (usually a call) with a final status and emits `conversation.ended`.',
        errors: { 409: 'The conversation has already ended (`conflict`).' },
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
        operationId: 'setCustomField',
        summary: 'Set a custom field',
        description: 'Sets one custom field of the conversation to any JSON value; emits `conversation.custom_fields.updated` when the value changes.',
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
      schema: {
        tags: ['messages'],
        operationId: 'listConversationMessages',
        summary: 'List a conversation\'s messages',
        description: 'The messages of the conversation, oldest first; `limit` and `cursor` page it.',
        params: IdParams,
        querystring: ListQuery,
        response: responses({ 200: ListOf(Message) }),
      },
    },
    async (req) => messages.listForConversation(callerOf(req), req.params.id, req.query.limit ?? 20, req.query.cursor),
  );
  app.post(
    '/v1/conversations/:id/call_events',
    {
      schema: {
        tags: ['calls'],
        operationId: 'recordCallEvent',
        summary: 'Record call progress',
        description: 'Records a step of a phone call and emits `call.initiated`, `call.dial_begin`, `call.answered` or `call.ended`; `ended` also emits `call.summary` with the durations of the call and its legs.',
        errors: { 409: 'The conversation\'s channel is not `phone`, or the call has already ended (`conflict`).' },
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
        operationId: 'setCallDisposition',
        summary: 'Set a call disposition',
        description: 'Sets the outcome tag (and an optional note) of a phone call and emits `call.disposition`.',
        errors: { 409: 'The conversation\'s channel is not `phone` (`conflict`).' },
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
