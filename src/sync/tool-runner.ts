import type { HttpClient } from '../delivery/http-client.ts';
import type { ConversationT } from '../domain/schemas.ts';
import type { ToolT, ResolvedTool } from '../domain/agents.ts';
import { resolveTool } from '../domain/agents.ts';
import { buildVariables, renderRequest, type RenderedRequest } from '../domain/template.ts';

/**
 * Runs an assistant's WEBHOOK tool: finds it, renders its request from the conversation and the
 * model's arguments, sends it through the shared outbound client and reads the answer. No store
 * access: the tool-call service does the lookups, the client_data merge and the log.
 */

export interface ToolCallInput {
  tool: string;
  arguments: Record<string, unknown>;
  images?: string[];
}

/** The tool named `name` in a list that came from stored JSON (an agent or a merged agent_config). */
export function findTool(tools: unknown, name: string): ResolvedTool | null {
  if (!Array.isArray(tools)) return null;
  const found = tools.find(
    (t): t is ToolT => t !== null && typeof t === 'object' && (t as ToolT).name === name && typeof (t as ToolT).webhook?.url === 'string',
  );
  return found ? resolveTool(found) : null;
}

/** The variables of a tool call: session, company and assistant ids, client_data keys, arguments, images. */
export function toolVariables(companyId: string, conversation: ConversationT, input: ToolCallInput): Record<string, unknown> {
  return buildVariables({
    sessionId: conversation.id,
    companyId,
    assistantId: conversation.agent_id,
    clientData: conversation.client_data,
    args: input.arguments,
    images: input.images ?? [],
  });
}

/**
 * The request the tool would send. A JSON body gets `content-type: application/json` unless the
 * tool sets its own. Throws UnsafeHeaderValueError / InvalidRenderedUrlError (both 422).
 */
export function renderToolRequest(tool: ResolvedTool, variables: Record<string, unknown>): RenderedRequest {
  const rendered = renderRequest(tool.webhook, variables);
  if (rendered.body !== undefined && !rendered.headers.some((h) => h.key.toLowerCase() === 'content-type')) {
    rendered.headers.push({ key: 'content-type', value: 'application/json' });
  }
  return rendered;
}

/** Headers as an object, as the preview and the log show them. */
export function headerObject(headers: { key: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(headers.map((h) => [h.key, h.value]));
}

/** A body as shown in a preview or log: the JSON value (text when it is not JSON), null when absent. */
export function bodyValue(body: string | undefined): unknown {
  if (body === undefined) return null;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

export interface ToolOutcome {
  status_code: number | null;
  duration_ms: number;
  /** The response body as received (first 64 KiB). */
  body: string;
  /** Parsed JSON, else the text; null when there is no body. */
  response: unknown;
  error: string | null;
}

/** Sends a rendered tool request; never throws (a timeout or refused target is an outcome with `error`). */
export async function sendToolRequest(http: HttpClient, rendered: RenderedRequest, timeoutMs: number): Promise<ToolOutcome> {
  const result = await http.send({
    // Its own pools: a tool call never waits for a connection behind event deliveries.
    path: 'tool',
    method: rendered.method,
    url: rendered.url,
    headers: headerObject(rendered.headers),
    ...(rendered.body === undefined ? {} : { body: rendered.body }),
    timeoutMs,
  });
  return {
    status_code: result.statusCode,
    duration_ms: result.durationMs,
    body: result.body,
    response: result.statusCode === null || result.body === '' ? null : bodyValue(result.body),
    error: result.error,
  };
}

/** The `session.client_data` object of a 2xx JSON answer: what the tool asks to merge into the conversation. */
export function clientDataUpdate(outcome: ToolOutcome): Record<string, unknown> | null {
  if (outcome.status_code === null || outcome.status_code < 200 || outcome.status_code > 299) return null;
  const session = (outcome.response as { session?: unknown } | null)?.session;
  if (session === null || typeof session !== 'object' || Array.isArray(session)) return null;
  const data = (session as { client_data?: unknown }).client_data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  return data as Record<string, unknown>;
}
