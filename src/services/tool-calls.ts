import type { ServiceContext, Caller } from './context.ts';
import type { ConversationService } from './conversations.ts';
import type { ConversationT } from '../domain/schemas.ts';
import type { ResolvedTool } from '../domain/agents.ts';
import { checkArguments } from '../domain/agents.ts';
import type { RenderedRequest } from '../domain/template.ts';
import { maskRequest, redactText, type ShownRequest } from '../domain/masking.ts';
import { SwitchboardError, invalid } from '../domain/errors.ts';
import { decodeCursor, pageOf } from '../domain/cursor.ts';
import { mergeObject } from './users.ts';
import { getAgent } from '../store/agents.ts';
import { insertLog, listLogs, type ConversationLog } from '../store/conversation-logs.ts';
import {
  bodyValue,
  clientDataUpdate,
  findTool,
  headerObject,
  renderToolRequest,
  sendToolRequest,
  toolVariables,
  type ToolCallInput,
  type ToolOutcome,
} from '../sync/tool-runner.ts';

export interface ToolCallAnswer {
  status_code: number | null;
  duration_ms: number;
  response: unknown;
  directive?: string;
  client_data: Record<string, unknown>;
  error?: string;
}

export interface ToolCallPreview {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  variables_used: Record<string, unknown>;
  unknown_variables: string[];
}

/** What a log shows of a request (already masked): headers as an object, body as its JSON value. */
function loggedRequest(r: ShownRequest) {
  return { method: r.method, url: r.url, headers: headerObject(r.headers), body: bodyValue(r.body) };
}

/**
 * Assistant tool calls on a conversation: look the tool up, check the arguments, render, send,
 * merge the answer's `session.client_data` and log the call. Also serves the preview (no send)
 * and the conversation's log of synchronous webhook calls.
 */
export function createToolCallService(ctx: ServiceContext, conversations: ConversationService) {
  const { db } = ctx.database;

  /**
   * The conversation's tool: first its own agent_config (the agent's configuration merged with the
   * setup answer when it opened), then its agent's current configuration (a tool added later).
   * An unknown name is a 422 on /tool: the conversation exists, the field is wrong.
   */
  async function toolOf(caller: Caller, conversation: ConversationT, name: string): Promise<ResolvedTool> {
    let tool = findTool(conversation.agent_config.tools, name);
    if (!tool && conversation.agent_id) {
      const agent = await getAgent(db, caller.companyId, conversation.agent_id);
      tool = agent ? findTool(agent.config.tools, name) : null;
    }
    if (!tool) throw invalid('/tool', `The conversation's agent has no tool named "${name}".`);
    return tool;
  }

  async function prepare(caller: Caller, conversationId: string, input: ToolCallInput) {
    // The stored conversation: its agent_config holds the tools in full (answers show a public view).
    const { conversation } = await conversations.getStored(caller, conversationId);
    const tool = await toolOf(caller, conversation, input.tool);
    const args = structuredClone(input.arguments);
    const problem = checkArguments(tool, args);
    if (problem) throw invalid(problem.param, problem.message);
    const variables = toolVariables(caller.companyId, conversation, { ...input, arguments: args });
    return { conversation, tool, variables };
  }

  function logEntry(conversationId: string, tool: ResolvedTool, fields: Partial<ConversationLog> & Pick<ConversationLog, 'request'>): ConversationLog {
    return {
      id: ctx.newId('log'),
      conversation_id: conversationId,
      kind: 'tool_call',
      name: tool.name,
      status_code: null,
      response_body: null,
      variables: {},
      unknown_variables: [],
      duration_ms: 0,
      error: null,
      created_at: new Date().toISOString(),
      ...fields,
    };
  }

  return {
    async preview(caller: Caller, conversationId: string, input: ToolCallInput): Promise<ToolCallPreview> {
      const { tool, variables } = await prepare(caller, conversationId, input);
      const masked = maskRequest(renderToolRequest(tool, variables));
      return { ...loggedRequest(masked), variables_used: masked.variablesUsed, unknown_variables: masked.unknownVariables };
    },

    async run(caller: Caller, conversationId: string, input: ToolCallInput): Promise<ToolCallAnswer> {
      const { conversation, tool, variables } = await prepare(caller, conversationId, input);
      let rendered: RenderedRequest;
      try {
        rendered = renderToolRequest(tool, variables);
      } catch (err) {
        // Refused before sending (header injection, a URL a variable broke): logged, then a 422.
        if (err instanceof SwitchboardError) {
          const template = maskRequest({
            method: tool.webhook.method,
            url: tool.webhook.url,
            headers: tool.webhook.headers,
            body: tool.webhook.body === undefined ? undefined : JSON.stringify(tool.webhook.body),
            variablesUsed: {},
            unknownVariables: [],
          });
          await insertLog(db, caller.companyId, logEntry(conversation.id, tool, { request: loggedRequest(template), error: err.message }));
        }
        throw err;
      }
      const outcome: ToolOutcome = await sendToolRequest(ctx.httpClient, rendered, tool.webhook.timeout_ms);
      const masked = maskRequest(rendered);
      const log = logEntry(conversation.id, tool, {
        request: loggedRequest(masked),
        status_code: outcome.status_code,
        // An API that echoes what it got must not put the token back into the log.
        response_body: outcome.body === '' && outcome.status_code === null ? null : redactText(outcome.body, masked.secrets),
        variables: masked.variablesUsed,
        unknown_variables: masked.unknownVariables,
        duration_ms: outcome.duration_ms,
        error: outcome.error,
      });

      let clientData = conversation.client_data;
      const update = clientDataUpdate(outcome);
      if (update) {
        // The merge and its log commit together; no event (client_data changes are silent, as in PATCH).
        const after = await conversations.mutate(caller, conversation.id, async (s, work) => {
          s.conversation.client_data = mergeObject(s.conversation.client_data, update);
          await insertLog(work.trx, caller.companyId, log);
          return [];
        });
        clientData = after.client_data;
      } else {
        await insertLog(db, caller.companyId, log);
      }

      const answer: ToolCallAnswer = {
        status_code: outcome.status_code,
        duration_ms: outcome.duration_ms,
        response: outcome.response,
        client_data: clientData,
      };
      if (tool.interpret_response && tool.webhook.response_directive !== undefined) answer.directive = tool.webhook.response_directive;
      if (outcome.error !== null) answer.error = outcome.error;
      return answer;
    },

    /** The conversation's synchronous webhook calls (setup and tool calls), oldest first. */
    async logs(caller: Caller, conversationId: string, limit: number, cursor?: string) {
      await conversations.get(caller, conversationId);
      const after = cursor ? decodeCursor(cursor, 'log') : undefined;
      return pageOf(await listLogs(db, caller.companyId, conversationId, limit + 1, after), limit);
    },
  };
}

export type ToolCallService = ReturnType<typeof createToolCallService>;
