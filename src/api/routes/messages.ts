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
        summary: 'Record a message (emits message.received when inbound, message.sent when outbound)',
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
    { schema: { tags, summary: 'Get a message', params: IdParams, response: responses({ 200: Message }) } },
    async (req) => messages.get(callerOf(req), req.params.id),
  );
  app.post(
    '/v1/messages/:id/status',
    {
      schema: {
        tags,
        summary: 'Record a delivery receipt (emits message.delivered, message.read or message.failed)',
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
        summary: 'Record a click on a link of the message (emits message.link_clicked)',
        params: IdParams,
        body: Type.Object({ url: Url }, { additionalProperties: false }),
        response: responses({ 200: Message }),
      },
    },
    async (req) => messages.click(callerOf(req), req.params.id, req.body.url),
  );
}
