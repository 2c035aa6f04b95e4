/**
 * The typed Switchboard client (`switchboard/client`): every route of the API with its request and
 * answer types (generated into schema.ts from GET /openapi.json), the event payloads as one union
 * discriminated on `type`, and Standard Webhooks verification that returns a typed event.
 *
 * See docs/client.md.
 */
import createFetchClient, { type Client, type ClientPathsWithMethod, type MaybeOptionalInit, type MethodResponse } from 'openapi-fetch';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { components, operations, paths, webhooks } from './schema.ts';

export type { components, operations, paths, webhooks };

/** Any event Switchboard sends (conversation.setup included), told apart by `type`. */
export type SwitchboardEvent = {
  [T in keyof webhooks]: webhooks[T]['post']['requestBody']['content']['application/json'];
}[keyof webhooks];

/** Every event type name: `message.received`, `call.summary`, ... */
export type EventType = SwitchboardEvent['type'];

/** The event of one type: `EventOf<'message.received'>`. */
export type EventOf<T extends EventType> = Extract<SwitchboardEvent, { type: T }>;

/** What a conversation.setup endpoint answers. */
export type ConversationSetupAnswer = components['schemas']['ConversationSetupAnswer'];

/** The API's error body: `{"error": {type, code, message, param?}}`. */
export interface ErrorBody {
  error: { type: string; code: string; message: string; param?: string };
}

/** A non-2xx answer of the API, with the contract's error fields (docs/errors.md lists the codes). */
export class SwitchboardApiError extends Error {
  /** The HTTP status: 400, 401, 403, 404, 409, 413, 422, 424, 429, 500, ... */
  readonly status: number;
  /** `invalid_request`, `authentication`, `permission`, `not_found`, `conflict`, `validation`, `rate_limited`, `internal`. */
  readonly type: string;
  /** The error code: `validation_failed`, `resource_not_found`, `idempotency_key_reused`, ... */
  readonly code: string;
  /** The field at fault, as a name or a JSON pointer, when there is one. */
  readonly param: string | undefined;
  /** The answer's headers (`retry-after` on a 429, `ratelimit-*`). */
  readonly headers: Headers;

  constructor(status: number, body: unknown, headers: Headers) {
    const e = isErrorBody(body) ? body.error : undefined;
    const message = e?.message ?? `HTTP ${status}${typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : ''}`;
    super(e?.param ? `${message} (${e.param})` : message);
    this.name = 'SwitchboardApiError';
    this.status = status;
    this.type = e?.type ?? (status >= 500 ? 'internal' : 'invalid_request');
    this.code = e?.code ?? `http_${status}`;
    this.param = e?.param;
    this.headers = headers;
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  const e = (body as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  return !!e && typeof e === 'object' && typeof e.code === 'string' && typeof e.message === 'string';
}

type HttpMethod = 'get' | 'put' | 'post' | 'patch' | 'delete';
type PathsWithMethod<_P, M extends HttpMethod> = ClientPathsWithMethod<Client<paths, 'application/json'>, M>;
type Init<M extends HttpMethod, P extends PathsWithMethod<paths, M>> = MaybeOptionalInit<paths[P], M>;
// Same rule as openapi-fetch's own: the init argument is optional when nothing in it is required.
type InitArgs<I> = {} extends I ? [init?: I & { [key: string]: unknown }] : [init: I & { [key: string]: unknown }];
type Data<M extends HttpMethod, P extends PathsWithMethod<paths, M>, I> = MethodResponse<Client<paths, 'application/json'>, M, P, I>;

/** One HTTP method of the client: resolves to the answer's body, throws SwitchboardApiError otherwise. */
export type Method<M extends HttpMethod> = <P extends PathsWithMethod<paths, M>, I extends Init<M, P>>(path: P, ...init: InitArgs<I>) => Promise<Data<M, P, I>>;

export interface SwitchboardClient {
  GET: Method<'get'>;
  POST: Method<'post'>;
  PUT: Method<'put'>;
  PATCH: Method<'patch'>;
  DELETE: Method<'delete'>;
  /** The underlying openapi-fetch client, for `{data, error, response}` answers or middleware. */
  raw: Client<paths, 'application/json'>;
}

export interface ClientOptions {
  /** The server's URL, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** An API key (`sk_...`), sent as `Authorization: Bearer`. */
  apiKey: string;
  /** A fetch implementation (default: the global one). */
  fetch?: (input: Request) => Promise<Response>;
}

/**
 * A client bound to one server and API key. Paths, parameters, bodies and answers are typed from
 * the API's OpenAPI document:
 *
 *   const user = await sb.POST('/v1/users', { body: { name: 'Ada' } });
 *   const got = await sb.GET('/v1/users/{id}', { params: { path: { id: user.id } } });
 */
export function createClient(options: ClientOptions): SwitchboardClient {
  if (!options.baseUrl) throw new TypeError('createClient: baseUrl is required, e.g. "http://localhost:8080".');
  if (!options.apiKey) throw new TypeError('createClient: apiKey is required (an API key, "sk_...").');
  const raw = createFetchClient<paths, 'application/json'>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const call =
    (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE') =>
    async (path: string, init?: object) => {
      const res = (await (raw[method] as (p: string, i?: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>)(path, init));
      if (!res.response.ok) throw new SwitchboardApiError(res.response.status, res.error, res.response.headers);
      // A 204 has no body: openapi-fetch resolves it to undefined.
      return res.data;
    };
  return {
    GET: call('GET') as Method<'get'>,
    POST: call('POST') as Method<'post'>,
    PUT: call('PUT') as Method<'put'>,
    PATCH: call('PATCH') as Method<'patch'>,
    DELETE: call('DELETE') as Method<'delete'>,
    raw,
  };
}

// ---------------------------------------------------------------------------------------------
// Webhooks

/** A delivery that failed verification: the signature, the timestamp or the body is not right. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string {
  const value = headers instanceof Headers ? headers.get(name) : (headers[name] ?? headers[name.toLowerCase()]);
  const one = Array.isArray(value) ? value[0] : value;
  if (!one) throw new WebhookSignatureError(`The ${name} header is missing: verify the request exactly as Switchboard sent it.`);
  return one;
}

/**
 * Verifies a Switchboard delivery (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) and returns its event, typed by `type`. `rawBody` must be the body exactly
 * as received (a Buffer or string, before any JSON parsing); `secret` is the endpoint's signing
 * secret (`whsec_...`, GET /v1/webhooks/{id}/secret). Throws WebhookSignatureError when a header is
 * missing, the timestamp is more than 5 minutes away from this machine's clock, or no signature
 * matches.
 */
export function verifyWebhook(rawBody: string | Buffer | Uint8Array, headers: HeaderBag, secret: string): SwitchboardEvent {
  if (typeof secret !== 'string' || !secret.startsWith('whsec_')) {
    throw new WebhookSignatureError('The secret must be the endpoint\'s signing secret, "whsec_..." (GET /v1/webhooks/{id}/secret).');
  }
  const h = {
    'webhook-id': header(headers, 'webhook-id'),
    'webhook-timestamp': header(headers, 'webhook-timestamp'),
    'webhook-signature': header(headers, 'webhook-signature'),
  };
  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  try {
    return new Webhook(secret).verify(body, h) as SwitchboardEvent;
  } catch (err) {
    if (err instanceof WebhookVerificationError) {
      throw new WebhookSignatureError(
        `The webhook signature does not verify (${err.message}): check the endpoint's current secret and that the body is the raw one, not re-serialised JSON.`,
      );
    }
    throw err;
  }
}
