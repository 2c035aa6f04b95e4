import type { ServiceContext, Work } from '../services/context.ts';
import type { ConversationOpener } from '../services/conversations.ts';
import type { AgentService } from '../services/agents.ts';
import type { ConversationT } from '../domain/schemas.ts';
import type { OutboundResult } from '../delivery/http-client.ts';
import { API_VERSION } from '../domain/event-types.ts';
import { SETUP_EVENT } from '../domain/webhook-rules.ts';
import { maskRequest, redactText } from '../domain/masking.ts';
import { checkTools, publicConversation } from '../domain/agents.ts';
import { deepMerge } from '../domain/config-merge.ts';
import { MAX_JSON_DEPTH, jsonTooDeep } from '../domain/json-depth.ts';
import { SwitchboardError } from '../domain/errors.ts';
import { buildSignedRequest, endpointCredentials } from '../delivery/request.ts';
import { loadSetupEndpoint, type Endpoint } from '../store/webhooks.ts';
import { insertLog, type ConversationLog } from '../store/conversation-logs.ts';

/**
 * conversation.setup: before a conversation without context opens, the company's setup endpoint
 * is asked for its context and for overrides of the agent's configuration.
 *
 * The envelope is signed and sent exactly like an event delivery (same headers, auth, custom
 * headers, target guard), but it is synchronous: one attempt, no retries, never queued, never
 * stored as an event row and never counted by the endpoint's failure rule. Its record is the
 * conversation's log entry (kind `setup`), written in the transaction that creates the conversation.
 */

type SetupAnswer = { context: Record<string, unknown>; overrideConfig: Record<string, unknown> };

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The answer's context and override_config, or why the answer cannot be used. */
export async function readSetupAnswer(result: OutboundResult): Promise<SetupAnswer | { reason: string }> {
  if (result.statusCode === null) return { reason: result.error ?? 'no answer' };
  if (result.statusCode < 200 || result.statusCode > 299) return { reason: `the endpoint answered HTTP ${result.statusCode}` };
  // The same nesting limit as a request body: the answer goes through recursive merges and checks.
  if (jsonTooDeep(result.body)) return { reason: `the answer is nested deeper than ${MAX_JSON_DEPTH} levels` };
  let answer: unknown;
  try {
    answer = JSON.parse(result.body);
  } catch {
    return { reason: result.truncated ? 'the answer is larger than 64 KiB' : 'the answer is not valid JSON' };
  }
  if (!isObject(answer)) return { reason: 'the answer is not a JSON object' };
  if (!isObject(answer.context)) return { reason: 'the answer has no "context" object' };
  const override = answer.override_config ?? {};
  if (!isObject(override)) return { reason: '"override_config" is not an object' };
  if (override.tools !== undefined) {
    // The tools land in the conversation's agent_config and run later: check them now, like an agent's.
    const problem = await checkTools(override.tools, '/override_config/tools');
    if (problem) return { reason: `${problem.param}: ${problem.message}` };
  }
  return { context: answer.context, overrideConfig: override };
}

export function createConversationOpener(ctx: ServiceContext, agents: AgentService): ConversationOpener {
  const { db } = ctx.database;

  async function call(endpoint: Endpoint, companyId: string, draft: ConversationT) {
    const envelope = {
      id: ctx.newId('evt'),
      type: SETUP_EVENT,
      api_version: API_VERSION,
      created_at: new Date().toISOString(),
      company_id: companyId,
      // The endpoint sees the conversation as every other webhook does: tools by name and origin only.
      data: { conversation: publicConversation(draft) },
    };
    const body = JSON.stringify(envelope);
    const signed = buildSignedRequest(endpoint, { id: envelope.id, body });
    const result = await ctx.httpClient.send({
      // Its own pools: a setup call never waits for a connection behind event deliveries.
      path: 'setup',
      method: 'POST',
      url: signed.url,
      headers: signed.headers,
      body,
      // The webhook service gives a setup endpoint 5 s unless the customer chose otherwise.
      timeoutMs: endpoint.timeoutMs,
      logContext: { webhook: endpoint.id },
    });
    // The log shows the request through the one masking policy: the credentials wherever they
    // appear (a query api key in the URL), secret-named fields of the envelope.
    const shown = maskRequest(
      {
        method: 'POST',
        url: signed.url,
        headers: Object.entries(signed.loggedHeaders).map(([key, value]) => ({ key, value })),
        body,
        variablesUsed: {},
        unknownVariables: [],
      },
      endpointCredentials(endpoint),
    );
    const request = { method: shown.method, url: shown.url, headers: Object.fromEntries(shown.headers.map((h) => [h.key, h.value])), body: JSON.parse(shown.body!) };
    return { result, request, secrets: shown.secrets };
  }

  return {
    agentConfig: (companyId, agentId) => agents.configFor(companyId, agentId),

    async setup(companyId, draft) {
      const endpoint = await loadSetupEndpoint(db, ctx.secrets, companyId);
      if (!endpoint || endpoint.status !== 'active') return null;
      const { result, request, secrets } = await call(endpoint, companyId, draft);
      const answer = await readSetupAnswer(result);
      const reason = 'reason' in answer ? answer.reason : null;

      if (reason !== null) {
        ctx.logger.warn({ companyId, webhookId: endpoint.id, conversationId: draft.id, reason }, 'conversation.setup failed');
        if (endpoint.setupFailure === 'reject') throw new SwitchboardError('setup_failed', `conversation.setup failed: ${reason}`);
      }

      const log: ConversationLog = {
        id: ctx.newId('log'),
        conversation_id: draft.id,
        kind: 'setup',
        name: SETUP_EVENT,
        request,
        status_code: result.statusCode,
        response_body: result.statusCode === null && result.body === '' ? null : redactText(result.body, secrets),
        variables: {},
        unknown_variables: [],
        duration_ms: result.durationMs,
        error: reason === null ? null : `${reason}; opened with the base configuration and an empty context`,
        created_at: new Date().toISOString(),
      };
      return {
        // On failure: the base configuration and an empty context.
        context: 'reason' in answer ? {} : answer.context,
        agentConfig: 'reason' in answer ? draft.agent_config : (deepMerge(draft.agent_config, answer.overrideConfig) as Record<string, unknown>),
        log: async (work: Work) => insertLog(work.trx, companyId, log),
      };
    },
  };
}
