import type { ServiceContext, Caller } from './context.ts';
import type { AgentT, AgentConfigT } from '../domain/agents.ts';
import { checkTools } from '../domain/agents.ts';
import { deepMerge } from '../domain/config-merge.ts';
import { SwitchboardError, invalid, notFound } from '../domain/errors.ts';
import { decodeCursor, pageOf } from '../domain/cursor.ts';
import * as store from '../store/agents.ts';

export interface AgentInput {
  name: string;
  config?: Partial<AgentConfigT>;
}

export interface AgentPatch {
  name?: string;
  config?: Record<string, unknown>;
}

/**
 * Agents (assistants): a name and a configuration (voice, runtime, prompt, first message, tools).
 * A conversation copies its agent's configuration when it opens (merged with the setup answer's
 * override_config), so editing an agent changes conversations opened afterwards, not running ones.
 */
export function createAgentService(ctx: ServiceContext) {
  const { db } = ctx.database;

  async function mustGet(caller: Caller, id: string): Promise<AgentT> {
    const agent = await store.getAgent(db, caller.companyId, id);
    if (!agent) throw notFound('agent', id);
    return agent;
  }

  /** What JSON Schema cannot check: unique tool names, URL origins, bounded compiling parameters, plain http only in development. */
  async function check(config: AgentConfigT): Promise<void> {
    const problem = await checkTools(config.tools, '/config/tools');
    if (problem) throw invalid(problem.param, problem.message);
    if (!ctx.config.allowHttp) {
      for (const [i, tool] of config.tools.entries()) {
        if (!/^https:\/\//i.test(tool.webhook.url)) {
          throw invalid(`/config/tools/${i}/webhook/url`, 'The tool URL must start with https:// (http:// is accepted only when the server allows insecure targets).');
        }
      }
    }
  }

  return {
    get: mustGet,

    async list(caller: Caller, limit: number, cursor?: string) {
      const before = cursor ? decodeCursor(cursor, 'agt') : undefined;
      return pageOf(await store.listAgents(db, caller.companyId, limit + 1, before), limit);
    },

    async create(caller: Caller, input: AgentInput): Promise<AgentT> {
      const config: AgentConfigT = { ...input.config, tools: input.config?.tools ?? [] };
      await check(config);
      const now = new Date().toISOString();
      const agent: AgentT = { id: ctx.newId('agt'), name: input.name, config, created_at: now, updated_at: now };
      await store.insertAgent(db, caller.companyId, agent);
      return agent;
    },

    /**
     * `name` replaces; `config` is deep-merged over the stored configuration with the same rule as
     * a setup answer's override_config (objects merge, arrays such as `tools` and scalars replace),
     * and a top-level null removes that field.
     */
    async patch(caller: Caller, id: string, input: AgentPatch): Promise<AgentT> {
      const agent = await mustGet(caller, id);
      let config = agent.config as Record<string, unknown>;
      if (input.config) {
        const removed = Object.keys(input.config).filter((k) => input.config![k] === null);
        const changes = Object.fromEntries(Object.entries(input.config).filter(([, v]) => v !== null));
        config = deepMerge(config, changes) as Record<string, unknown>;
        for (const k of removed) delete config[k];
      }
      const next: AgentT = {
        ...agent,
        name: input.name ?? agent.name,
        config: { ...(config as AgentConfigT), tools: (config.tools as AgentConfigT['tools'] | undefined) ?? [] },
        updated_at: new Date().toISOString(),
      };
      await check(next.config);
      await store.updateAgent(db, caller.companyId, next);
      return next;
    },

    async remove(caller: Caller, id: string): Promise<void> {
      if (!(await store.deleteAgent(db, caller.companyId, id))) throw notFound('agent', id);
    },

    /**
     * The agent's configuration for a new conversation. A missing agent is a 404 naming agent_id,
     * like a missing user_id in the same request.
     */
    async configFor(companyId: string, agentId: string): Promise<AgentConfigT> {
      const agent = await store.getAgent(db, companyId, agentId);
      if (!agent) throw new SwitchboardError('resource_not_found', `No such agent: ${agentId}`, 'agent_id');
      return agent.config;
    },
  };
}

export type AgentService = ReturnType<typeof createAgentService>;
