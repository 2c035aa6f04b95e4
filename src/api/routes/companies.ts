import { Type } from 'typebox';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { Company, CreatedApiKey } from '../../domain/schemas.ts';
import type { KeyService } from '../../services/keys.ts';

export function companyRoutes(app: App, keys: KeyService) {
  app.post(
    '/v1/companies',
    {
      config: {
        auth: 'admin-token',
        secretAnswer: (answer: { company: { id: string }; key: { id: string; prefix: string } }) =>
          `It created company ${answer.company.id} with owner key ${answer.key.id} (prefix ${answer.key.prefix}). ` +
          `If that key was lost, make another owner key with "switchboard keys ${answer.company.id} --role owner".`,
      },
      schema: {
        tags: ['companies'],
        operationId: 'createCompany',
        summary: 'Create a company',
        description: 'Creates a company and its first owner key; needs the server admin token (SWITCHBOARD_ADMIN_TOKEN), not an API key.',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: responses({ 201: Type.Object({ company: Company, key: CreatedApiKey }) }),
      },
    },
    async (req, reply) => reply.code(201).send(await keys.createCompany(req.body.name)),
  );
}
