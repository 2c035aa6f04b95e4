/**
 * The OpenAPI document's parts that belong to no single route: info, servers, tags, the outgoing
 * events (`webhooks`), and the error answers every route can give, derived from the route itself
 * (its method, path parameters, body, query and roles) so a new route is described without
 * repeating them. Routes declare only what is theirs: operationId, summary, description, success
 * schemas, and in `errors` the statuses or causes specific to them.
 */
import type { FastifySchema, RouteOptions } from 'fastify';
import type { FastifyDynamicSwaggerOptions, SwaggerTransform } from '@fastify/swagger';
import { ErrorBody } from '../domain/schemas.ts';
import { EVENT_CATALOG } from '../domain/event-catalog.ts';
import { API_VERSION } from '../domain/event-types.ts';
import { SETUP_EVENT } from '../domain/webhook-rules.ts';
import { VERSION } from '../version.ts';

/** The statuses an error answer of the API may have (503 is the readiness probe's own). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 424 | 429 | 500;

declare module 'fastify' {
  interface FastifySchema {
    /**
     * Route-specific error answers for the OpenAPI document: status → when it happens. A status the
     * route answers anyway (409 on a POST, 422 with a body) gets this text after the common one.
     */
    errors?: Partial<Record<ErrorStatus, string>>;
  }
}

export const TAGS = [
  { name: 'users', description: 'Contacts of the company: profiles with attributes, looked up by id or external_id.' },
  { name: 'tags', description: 'Labels applied to users, and the tag names in use.' },
  { name: 'conversations', description: 'Chats and calls with a user: status, context, client_data, custom fields and their synchronous webhook log.' },
  { name: 'messages', description: 'Messages of a conversation, with delivery receipts and link clicks.' },
  { name: 'calls', description: 'Call progress and dispositions of phone conversations.' },
  { name: 'tool calls', description: "Running and previewing an agent's WEBHOOK tools for a conversation, as the assistant runtime would." },
  { name: 'agents', description: 'Assistants: their configuration and tool webhooks, copied into each conversation they open.' },
  { name: 'events', description: 'Every event the company emitted, byte for byte what its webhooks received, and the event type catalog.' },
  { name: 'webhooks', description: 'Webhook endpoints, their signing secret, and the delivery log with its attempts.' },
  { name: 'listeners', description: 'Listener sessions of `switchboard listen`: an endpoint that streams its deliveries over Server-Sent Events to a local process, with no public URL.' },
  { name: 'keys', description: 'API keys of the company and their roles (owner, admin, agent).' },
  { name: 'companies', description: 'Tenants of the server, created with the server admin token.' },
  { name: 'health', description: 'Liveness, readiness and Prometheus metrics; no API key needed.' },
  {
    name: 'event deliveries',
    description:
      'What Switchboard POSTs to your webhook endpoints: one operation per event type, signed with the Standard Webhooks headers. ' +
      'Verify the signature on the raw body, deduplicate on webhook-id, and answer 2xx fast.',
  },
];

/** The error body with the text OpenAPI shows as the response's description. */
function errorResponse(status: string, description: string) {
  // `x-response-description` is the answer's description for @fastify/swagger, which drops it
  // from the schema itself.
  const response: Record<string, unknown> = { ...ErrorBody, 'x-response-description': description };
  if (status === '429') {
    response.headers = {
      'retry-after': { type: 'integer', description: 'Seconds to wait before the next request.' },
      'ratelimit-limit': { type: 'integer', description: "Requests allowed in the key's window." },
      'ratelimit-remaining': { type: 'integer', description: 'Requests left in the window.' },
      'ratelimit-reset': { type: 'integer', description: 'Seconds until the window resets.' },
    };
  }
  return response;
}

/** The Idempotency-Key header every authenticated POST takes (src/api/idempotency.ts). */
const IDEMPOTENCY_HEADER = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      description:
        'A repeat of this request by the same API key with the same body within 24 h replays the first answer (header idempotent-replayed: true) and changes nothing.',
    },
  },
};

function hasParam(schema: FastifySchema, name: string): boolean {
  const props = (schema.querystring as { properties?: Record<string, unknown> } | undefined)?.properties;
  return !!props && name in props;
}

/**
 * The error answers a route can give, with when each happens. Common causes come from the route's
 * shape; `errors` adds the route's own. Only routes that declare their answers through
 * `responses()` (the '4xx'/'5xx' catch-alls) get them: the open probes describe theirs themselves.
 */
export function errorResponses(route: Pick<RouteOptions, 'method' | 'url' | 'config'>, schema: FastifySchema): Partial<Record<ErrorStatus, string>> {
  const method = String(route.method).toUpperCase();
  const own = schema.errors ?? {};
  const adminToken = route.config?.auth === 'admin-token';
  const roles = route.config?.roles;
  const hasBody = schema.body !== undefined;
  const hasPathParams = /[:{]/.test(route.url);
  const out: Partial<Record<ErrorStatus, string>> = {};
  const add = (status: ErrorStatus, text: string | undefined) => {
    const parts = [text, own[status]].filter(Boolean);
    if (parts.length) out[status] = parts.join(' ');
  };

  const bad: string[] = [];
  if (hasBody) bad.push('the body is not valid JSON (`malformed_json`) or not sent as application/json (`unsupported_media_type`)');
  if (hasParam(schema, 'cursor')) bad.push('`cursor` is not one this list returned (`invalid_cursor`)');
  add(400, bad.length ? `The request is malformed: ${bad.join('; ')}.` : undefined);
  add(
    401,
    adminToken
      ? 'The server admin token is missing or wrong, or the server has none set (`invalid_admin_token`).'
      : 'No API key was sent (`missing_api_key`), or it is not valid or was revoked (`invalid_api_key`).',
  );
  add(403, roles ? `The key's role may not use this route (\`forbidden\`): ${roles.join(' and ')} keys only.` : undefined);
  add(404, hasPathParams ? 'A resource named in the path does not exist, or belongs to another company (`resource_not_found`).' : undefined);
  add(
    409,
    method === 'POST'
      ? 'The Idempotency-Key was used before with another body (`idempotency_key_reused`), or its first request is still running (`idempotency_key_in_use`).' +
          (route.config?.secretAnswer ? ' A repeat of a request that succeeded answers `idempotent_secret`: its answer carried a secret, never stored for replay.' : '')
      : undefined,
  );
  add(413, hasBody ? 'The body is larger than 1 MiB (`payload_too_large`).' : undefined);
  const invalid: string[] = [];
  if (hasBody || schema.querystring || schema.params) invalid.push('a field of the request is invalid (`validation_failed`; `param` names it and the message says what is allowed)');
  if (method === 'POST') invalid.push('the Idempotency-Key header is not 1 to 255 characters');
  add(422, invalid.length ? invalid.join('; ').replace(/^./, (c) => c.toUpperCase()) + '.' : undefined);
  add(424, undefined);
  add(
    429,
    adminToken
      ? undefined
      : 'Too many requests for this API key (`rate_limited`): wait the `retry-after` seconds; the `ratelimit-*` headers tell the budget.',
  );
  add(500, 'An unexpected failure on the server (`internal`); the request may be retried, with the same Idempotency-Key for a POST.');
  return out;
}

/**
 * The @fastify/swagger transform: replaces the '4xx'/'5xx' catch-alls of `responses()` (which the
 * serializer keeps) with one described answer per status the route can give.
 */
export const describeRoute: SwaggerTransform = ({ schema, url, route }) => {
  if (!schema) return { schema, url };
  const { errors: _errors, ...rest } = schema;
  const response = schema.response as Record<string, unknown> | undefined;
  if (!response || !('4xx' in response)) return { schema: rest, url };
  const { '4xx': _4, '5xx': _5, ...ok } = response;
  const errors = Object.fromEntries(Object.entries(errorResponses(route, schema)).map(([status, text]) => [status, errorResponse(status, text!)]));
  // Documented only: the idempotency hook reads the header, the route's validator never sees it.
  const headers = String(route.method).toUpperCase() === 'POST' && !schema.headers ? { headers: IDEMPOTENCY_HEADER } : {};
  return { schema: { ...rest, ...headers, response: { ...ok, ...errors } }, url };
};

// ---------------------------------------------------------------------------------------------
// Outgoing events

const SIGNATURE_HEADERS = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The event id (`evt_...`), the same on every retry: deduplicate on it.',
    schema: { type: 'string' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Unix seconds when this attempt was signed; refuse values far from your clock (5 minutes) to stop replays.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'Space-separated `v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<raw body>` with each current signing secret ' +
      '(two during the 24 h after a rotation). Verify on the raw body, before parsing it.',
    schema: { type: 'string' },
  },
] as const;

/** `message.link_clicked` → `MessageLinkClickedEvent`: a schema component name. */
export function eventSchemaName(type: string): string {
  return type.split(/[._]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('') + 'Event';
}

/** `message.link_clicked` → `messageLinkClicked`. */
function camel(type: string): string {
  const name = eventSchemaName(type).replace(/Event$/, '');
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** What a conversation.setup endpoint answers (docs/tools.md). */
const SetupAnswer = {
  type: 'object',
  required: ['context'],
  properties: {
    context: { type: 'object', additionalProperties: true, description: "The conversation's context (a JSON object)." },
    override_config: {
      type: 'object',
      additionalProperties: true,
      description: "Merged over the agent's configuration for this conversation: objects merge, arrays such as tools and scalars replace.",
    },
  },
  example: { context: { customer_tier: 'gold' }, override_config: { prompt: 'You help gold customers.' } },
};

/** Schema components: one envelope per catalog type (the client's SwitchboardEvent is their union), and the setup answer. */
function eventSchemas(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const e of EVENT_CATALOG) {
    const { title: _title, ...schema } = e.schema as Record<string, unknown>;
    schemas[eventSchemaName(e.type)] = { ...structuredClone(schema), example: structuredClone(e.example) };
  }
  schemas.ConversationSetupAnswer = SetupAnswer;
  return schemas;
}

/** The OpenAPI 3.1 `webhooks` section: what Switchboard POSTs to the endpoints, one entry per type. */
function webhooks(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of EVENT_CATALOG) {
    const setup = e.type === SETUP_EVENT;
    const name = eventSchemaName(e.type);
    out[e.type] = {
      post: {
        operationId: `${camel(e.type)}Webhook`,
        tags: ['event deliveries'],
        summary: e.type,
        description: setup
          ? `${e.description} Sent synchronously to the one endpoint that subscribes to it by name, once (no retries), before the conversation opens; ` +
            'a failed call opens the conversation with the base configuration, or fails the create with 424 when the endpoint sets `setup_failure: "reject"`.'
          : `${e.description} Retried on the endpoint's schedule until it answers 2xx; the same event keeps its webhook-id on every attempt.`,
        security: [],
        parameters: SIGNATURE_HEADERS,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } },
        responses: setup
          ? {
              '200': {
                description: "The conversation's context and agent overrides.",
                content: { 'application/json': { schema: { $ref: '#/components/schemas/ConversationSetupAnswer' } } },
              },
              default: { description: 'Anything else (another status, no JSON object with a context object, a timeout) is a failed setup.' },
            }
          : {
              '2XX': { description: 'Received; the body of the answer is ignored.' },
              '410': { description: 'Gone: the endpoint is marked failed and receives nothing more until enabled.' },
              default: { description: 'Any other answer, or none within the timeout, is a failed attempt that is retried.' },
            },
      },
    };
  }
  return out;
}

const DESCRIPTION =
  'REST API and webhook engine for conversational-AI platforms. Authenticate with "Authorization: Bearer sk_...". ' +
  'Errors are {"error": {type, code, message, param?}}; 413 (body over 1 MiB) and 424 (conversation.setup rejected) use type invalid_request. ' +
  'Any POST may carry Idempotency-Key (1 to 255 characters): a repeat by the same API key with the same body within 24 h replays the first answer ' +
  '(header idempotent-replayed: true) with no second effect, after the key is authenticated and its role checked again; another body is a 409 ' +
  'idempotency_key_reused. Records belong to the API key that made the request: another key, even of the same company, never sees them. ' +
  'Answers that carry a secret (a new API key, a rotated signing secret; each such operation says so in its description) are never stored, ' +
  'not even encrypted: a repeat changes nothing and answers 409 idempotent_secret, naming what the first request created. ' +
  `Events go out with api_version ${API_VERSION}; the webhooks section describes each one.`;

/** The `openapi` option of @fastify/swagger. */
export function openapiDocument(): FastifyDynamicSwaggerOptions['openapi'] {
  const doc = {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: API_VERSION,
      description: DESCRIPTION,
      // Self-hosted: whoever runs the server answers for it; the project's own docs are served here.
      contact: { name: 'Switchboard' },
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      'x-server-version': VERSION,
    },
    // The docs page's "Try it out" goes to the server that serves it; the second names the default address.
    servers: [
      { url: '/', description: 'The server that serves this document' },
      { url: 'http://127.0.0.1:8080', description: 'A local server on the default address (npm start)' },
    ],
    tags: TAGS,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: "Authorization: Bearer sk_..."' } }, schemas: eventSchemas() },
    security: [{ bearer: [] }],
    webhooks: webhooks(),
  };
  // The plain objects above are checked by SwaggerParser and spectral (test/api/openapi.test.ts).
  return doc as unknown as FastifyDynamicSwaggerOptions['openapi'];
}

/** The docs page (swagger-ui) under Switchboard's name, with no framework logo. */
const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" width="220" height="40" viewBox="0 0 220 40">' +
  '<text x="0" y="28" font-family="sans-serif" font-size="24" font-weight="bold" fill="#ffffff">Switchboard API</text></svg>';

export const DOCS_UI = {
  routePrefix: '/docs',
  logo: { type: 'image/svg+xml', content: LOGO, href: '/docs' },
  theme: { title: 'Switchboard API' },
};
