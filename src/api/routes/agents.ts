import { Type } from 'typebox';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { IdParams, ListOf, ListQuery } from '../../domain/schemas.ts';
import { Agent, AgentConfigInput, AgentConfigPatch } from '../../domain/agents.ts';
import type { AgentService } from '../../services/agents.ts';
import { MANAGERS, callerOf } from '../auth.ts';

const Name = Type.String({ minLength: 1, maxLength: 255 });

export function agentRoutes(app: App, agents: AgentService) {
  const config = { roles: MANAGERS };
  const tags = ['agents'];
  app.post(
    '/v1/agents',
    {
      config,
      schema: {
        tags,
        operationId: 'createAgent',
        summary: 'Create an agent',
        description:
          'Tool names are unique within the agent and each tool\'s `parameters` must be a JSON Schema of type object that compiles ' +
          '(at most 16 KiB and 16 levels deep, 64 KiB over all tools; argument names are plain words, none named like a system variable; ' +
          '`pattern` runs on RE2, so no lookaround or backreferences). A tool URL\'s scheme, host and port cannot contain $variables. ' +
          'Otherwise 422 naming the field (e.g. `/config/tools/1/name`, `/config/tools/0/webhook/url`).',
        body: Type.Object({ name: Name, config: Type.Optional(AgentConfigInput) }, { additionalProperties: false }),
        response: responses({ 201: Agent }),
      },
    },
    async (req, reply) => reply.code(201).send(await agents.create(callerOf(req), req.body)),
  );
  app.get(
    '/v1/agents',
    {
      config,
      schema: {
        tags,
        operationId: 'listAgents',
        summary: 'List agents',
        description: 'Lists the company\'s agents, newest first; `limit` and `cursor` page it.',
        querystring: ListQuery,
        response: responses({ 200: ListOf(Agent) }),
      },
    },
    async (req) => agents.list(callerOf(req), req.query.limit ?? 20, req.query.cursor),
  );
  app.get(
    '/v1/agents/:id',
    {
      config,
      schema: {
        tags,
        operationId: 'getAgent',
        summary: 'Get an agent',
        description: 'Returns one agent with its configuration (tool credentials masked).',
        params: IdParams,
        response: responses({ 200: Agent }),
      },
    },
    async (req) => agents.get(callerOf(req), req.params.id),
  );
  app.patch(
    '/v1/agents/:id',
    {
      config,
      schema: {
        tags,
        operationId: 'updateAgent',
        summary: 'Update an agent',
        description:
          '`name` replaces; `config` is deep-merged (objects merge, arrays such as `tools` replace, a top-level null removes). ' +
          'Conversations copy their agent\'s configuration when they open, so a change applies to conversations opened afterwards. ' +
          'Tool calls of a running conversation still find a tool added later to the agent.',
        params: IdParams,
        body: Type.Object({ name: Type.Optional(Name), config: Type.Optional(AgentConfigPatch) }, { additionalProperties: false }),
        response: responses({ 200: Agent }),
      },
    },
    async (req) => agents.patch(callerOf(req), req.params.id, req.body),
  );
  app.delete(
    '/v1/agents/:id',
    {
      config,
      schema: {
        tags,
        operationId: 'deleteAgent',
        summary: 'Delete an agent',
        description: 'Deletes the agent; its conversations keep their copy of the configuration.',
        params: IdParams,
        response: responses({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      await agents.remove(callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
