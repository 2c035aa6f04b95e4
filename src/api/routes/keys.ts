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
    {
      config,
      schema: {
        tags: ['keys'],
        operationId: 'listKeys',
        summary: 'List API keys',
        description: 'Lists the company\'s API keys with their id, name, role and prefix; never the secret, which only the create answer carries.',
        querystring: ListQuery,
        response: responses({ 200: ListOf(ApiKey) }),
      },
    },
    async (req) => keys.list(callerOf(req), req.query.limit ?? 20, req.query.cursor),
  );
  app.post(
    '/v1/keys',
    {
      config: {
        ...config,
        secretAnswer: (key: { id: string; prefix: string }) =>
          `It created key ${key.id} (prefix ${key.prefix}). ` +
          `If its plaintext was lost, revoke it (DELETE /v1/keys/${key.id}) and create another with a new Idempotency-Key.`,
      },
      schema: {
        tags: ['keys'],
        operationId: 'createKey',
        summary: 'Create an API key',
        description: 'Creates an API key of the company; the plaintext key is in this answer only.',
        errors: { 403: 'The new key\'s role is higher than the caller\'s (`forbidden`).' },
        body: Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })), role: Type.Optional(Role) }, { additionalProperties: false }),
        response: responses({ 201: CreatedApiKey }),
      },
    },
    async (req, reply) => reply.code(201).send(await keys.create(callerOf(req), req.body)),
  );
  app.delete(
    '/v1/keys/:id',
    {
      config,
      schema: {
        tags: ['keys'],
        operationId: 'revokeKey',
        summary: 'Revoke an API key',
        description: 'Revokes the key at once: its next request answers 401.',
        errors: { 403: 'The key to revoke has a higher role than the caller\'s (`forbidden`).', 409: 'It is the company\'s last owner key (`last_owner_key`): create another owner key first.' },
        params: IdParams,
        response: responses({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      await keys.remove(callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
