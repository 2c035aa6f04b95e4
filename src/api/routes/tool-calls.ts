import { Type } from 'typebox';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { IdParams, JsonObject, ListOf, ListQuery, Nullable, Timestamp } from '../../domain/schemas.ts';
import type { ToolCallService } from '../../services/tool-calls.ts';
import { callerOf } from '../auth.ts';

const ToolCallBody = Type.Object(
  {
    tool: Type.String({ minLength: 1, maxLength: 64, description: 'The name of one of the agent\'s tools.' }),
    arguments: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true, default: {}, description: 'Checked against the tool\'s parameters.' })),
    images: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: 20, description: 'Image URLs: $images[0], $images[1], … and $images.' })),
  },
  { additionalProperties: false },
);

const AnyJson = Type.Unknown();
const HeaderMap = Type.Record(Type.String(), Type.String());

const ToolCallAnswer = Type.Object({
  status_code: Nullable(Type.Integer({ description: 'null when no answer came (timeout, connection error, refused target)' })),
  duration_ms: Type.Integer(),
  response: Type.Unknown({ description: 'The answer body: parsed JSON, else the text; null when empty or none.' }),
  directive: Type.Optional(Type.String({ description: 'The tool\'s response_directive; absent when interpret_response is false.' })),
  client_data: JsonObject,
  error: Type.Optional(Type.String({ description: 'Why no answer came; the call is still a 200 so the runtime can tell the model.' })),
});

const ToolCallPreview = Type.Object({
  method: Type.String(),
  url: Type.String(),
  headers: HeaderMap,
  body: Type.Unknown({ description: 'The JSON body that would be sent; null when none.' }),
  variables_used: JsonObject,
  unknown_variables: Type.Array(Type.String()),
});

const ConversationLog = Type.Object({
  id: Type.String(),
  conversation_id: Type.String(),
  kind: Type.Union([Type.Literal('setup'), Type.Literal('tool_call')]),
  name: Nullable(Type.String({ description: 'The tool name; conversation.setup for setup calls.' })),
  request: Type.Object({ method: Type.String(), url: Type.String(), headers: HeaderMap, body: AnyJson }, { description: 'Secrets masked.' }),
  status_code: Nullable(Type.Integer()),
  response_body: Nullable(Type.String({ description: 'The first 64 KiB.' })),
  variables: JsonObject,
  unknown_variables: Type.Array(Type.String()),
  duration_ms: Type.Integer(),
  error: Nullable(Type.String()),
  created_at: Timestamp,
});

export function toolCallRoutes(app: App, toolCalls: ToolCallService) {
  const tags = ['tool calls'];
  app.post(
    '/v1/conversations/:id/tool_calls',
    {
      schema: {
        tags,
        operationId: 'runToolCall',
        summary: 'Run a tool call',
        errors: { 422: 'A rendered header value holds CR or LF (`unsafe_header_value`).' },
        description:
          'Runs one of the agent\'s WEBHOOK tools for this conversation, as the assistant runtime would, and logs it. ' +
          'The tool is looked up by name in the conversation\'s agent_config, then in its agent\'s current configuration (unknown: 422 on /tool). ' +
          'Arguments are checked against the tool\'s parameters (422 naming /arguments/<name>); an argument the parameters do not declare is a 422 too, never dropped. ' +
          'Variables: system variables ($session.id, $company.id, $assistant.id, $images) win over client_data, which wins over arguments. ' +
          'A rendered header value with CR or LF is not sent (422 unsafe_header_value); a rendered URL whose origin differs from the template\'s is not sent (422 on /webhook/url). ' +
          'A timeout, connection error or refused target is a 200 with status_code null and error. ' +
          'A 2xx JSON answer\'s session.client_data object is merged into the conversation\'s client_data (null removes a key; no event).',
        params: IdParams,
        body: ToolCallBody,
        response: responses({ 200: ToolCallAnswer }),
      },
    },
    async (req) => toolCalls.run(callerOf(req), req.params.id, { ...req.body, arguments: req.body.arguments ?? {} }),
  );
  app.post(
    '/v1/conversations/:id/tool_calls/preview',
    {
      schema: {
        tags,
        operationId: 'previewToolCall',
        summary: 'Preview a tool call',
        errors: { 422: 'A rendered header value holds CR or LF (`unsafe_header_value`).' },
        description:
          'Renders a tool call without sending it. ' +
          'Same checks as a real call. Secret-named headers, query parameters, body fields and variables are masked "••••", and every value hidden ' +
          'in variables_used is also replaced in the URL, every header and the body.',
        params: IdParams,
        body: ToolCallBody,
        response: responses({ 200: ToolCallPreview }),
      },
    },
    async (req) => toolCalls.preview(callerOf(req), req.params.id, { ...req.body, arguments: req.body.arguments ?? {} }),
  );
  app.get(
    '/v1/conversations/:id/logs',
    {
      schema: {
        tags: ['conversations'],
        operationId: 'listConversationLogs',
        summary: 'List a conversation\'s webhook calls',
        description: 'The synchronous webhook calls of the conversation (conversation.setup and tool calls), oldest first, with the masked request, the answer and the variables used.',
        params: IdParams,
        querystring: ListQuery,
        response: responses({ 200: ListOf(ConversationLog) }),
      },
    },
    async (req) => toolCalls.logs(callerOf(req), req.params.id, req.query.limit ?? 20, req.query.cursor),
  );
}
