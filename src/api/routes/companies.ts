import { Type } from 'typebox';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { Company, CreatedApiKey } from '../../domain/schemas.ts';
import type { KeyService } from '../../services/keys.ts';

export function companyRoutes(app: App, keys: KeyService) {
  app.post(
    '/v1/companies',
    {
      config: { auth: 'admin-token' },
      schema: {
        tags: ['companies'],
        summary: 'Create a company and its first owner key (server admin token only)',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: responses({ 201: Type.Object({ company: Company, key: CreatedApiKey }) }),
      },
    },
    async (req, reply) => reply.code(201).send(await keys.createCompany(req.body.name)),
  );
}
