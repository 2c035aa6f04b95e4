import { Type } from 'typebox';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { Direction, IdParams, JsonObject, Message } from '../../domain/schemas.ts';
import type { MessageService } from '../../services/messages.ts';
import { callerOf } from '../auth.ts';

const Url = Type.String({ minLength: 1, maxLength: 2048, format: 'uri' });

export function messageRoutes(app: App, messages: MessageService) {
  const tags = ['messages'];
  app.post(
    '/v1/messages',
    {
      schema: {
        tags,
        operationId: 'createMessage',
        summary: 'Record a message',
        description: 'Records a message with text, images or a template and emits `message.received` (inbound) or `message.sent` (outbound).',
        errors: { 404: 'No conversation with this `conversation_id` in the company (`resource_not_found`, `param` conversation_id).', 409: 'The conversation has ended (`conflict`).' },
        body: Type.Object(
          {
            conversation_id: Type.String({ maxLength: 64 }),
            direction: Direction,
            text: Type.Optional(Type.String({ maxLength: 65536 })),
            images: Type.Optional(Type.Array(Url, { maxItems: 20 })),
            template: Type.Optional(JsonObject),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: Message }),
      },
    },
    async (req, reply) => reply.code(201).send(await messages.create(callerOf(req), req.body)),
  );
  app.get(
    '/v1/messages/:id',
    {
      schema: {
        tags,
        operationId: 'getMessage',
        summary: 'Get a message',
        description: 'Returns one message with its delivery status.',
        params: IdParams,
        response: responses({ 200: Message }),
      },
    },
    async (req) => messages.get(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/messages/:id/status',
    {
      schema: {
        tags,
        operationId: 'setMessageStatus',
        summary: 'Record a delivery receipt',
        description: 'Records that an outbound message was delivered, read or failed, and emits `message.delivered`, `message.read` or `message.failed`.',
        params: IdParams,
        body: Type.Object(
          {
            status: Type.Union([Type.Literal('delivered'), Type.Literal('read'), Type.Literal('failed')]),
            error: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: Message }),
      },
    },
    async (req) => messages.setStatus(callerOf(req), req.params.id, req.body.status, req.body.error),
  );
  app.post(
    '/v1/messages/:id/clicks',
    {
      schema: {
        tags,
        operationId: 'recordLinkClick',
        summary: 'Record a link click',
        description: 'Records a click on a link of the message and emits `message.link_clicked`.',
        params: IdParams,
        body: Type.Object({ url: Url }, { additionalProperties: false }),
        response: responses({ 200: Message }),
      },
    },
    async (req) => messages.click(callerOf(req), req.params.id, req.body.url),
  );
}
