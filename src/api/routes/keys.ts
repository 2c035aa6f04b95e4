import { Type } from 'typebox';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { ApiKey, CreatedApiKey, IdParams, ListOf, ListQuery, Role } from '../../domain/schemas.ts';
import type { KeyService } from '../../services/keys.ts';
import { MANAGERS, callerOf } from '../auth.ts';

export function keyRoutes(app: App, keys: KeyService) {
  const config = { roles: MANAGERS };
  app.get(
    '/v1/keys',
    { config, schema: { tags: ['keys'], summary: 'List API keys', querystring: ListQuery, response: responses({ 200: ListOf(ApiKey) }) } },
    async (req) => keys.list(callerOf(req), req.query.limit ?? 20, req.query.cursor),
  );
  app.post(
    '/v1/keys',
    {
      config,
      schema: {
        tags: ['keys'],
        summary: 'Create an API key (the plaintext key is in this answer only)',
        body: Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })), role: Type.Optional(Role) }, { additionalProperties: false }),
        response: responses({ 201: CreatedApiKey }),
      },
    },
    async (req, reply) => reply.code(201).send(await keys.create(callerOf(req), req.body)),
  );
  app.delete(
    '/v1/keys/:id',
    { config, schema: { tags: ['keys'], summary: 'Revoke an API key', params: IdParams, response: responses({ 204: Type.Null() }) } },
    async (req, reply) => {
      await keys.remove(callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
