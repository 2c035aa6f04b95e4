/**
 * The one registry of errors the API can answer with. Every failure a client can see is one of these
 * codes; the HTTP layer turns a SwitchboardError into the contract's error body.
 */
export type ErrorType =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'conflict'
  | 'validation'
  | 'rate_limited'
  | 'internal';

const REGISTRY = {
  malformed_json: { status: 400, type: 'invalid_request', message: 'The request body is not valid JSON.' },
  invalid_request: { status: 400, type: 'invalid_request', message: 'The request is invalid.' },
  invalid_cursor: { status: 400, type: 'invalid_request', message: 'The cursor is not valid for this list.' },
  unsupported_media_type: { status: 400, type: 'invalid_request', message: 'Send the body as application/json.' },
  payload_too_large: { status: 413, type: 'invalid_request', message: 'The request body is larger than 1 MiB.' },
  setup_failed: { status: 424, type: 'invalid_request', message: 'The conversation.setup webhook failed.' },
  missing_api_key: { status: 401, type: 'authentication', message: 'Send an API key as "Authorization: Bearer sk_...".' },
  invalid_api_key: { status: 401, type: 'authentication', message: 'The API key is not valid.' },
  invalid_admin_token: { status: 401, type: 'authentication', message: 'This route needs the server admin token.' },
  forbidden: { status: 403, type: 'permission', message: 'This key\'s role may not use this route.' },
  resource_not_found: { status: 404, type: 'not_found', message: 'No such resource.' },
  route_not_found: { status: 404, type: 'not_found', message: 'No such route.' },
  conflict: { status: 409, type: 'conflict', message: 'The request conflicts with the current state.' },
  idempotency_key_reused: { status: 409, type: 'conflict', message: 'This Idempotency-Key was used with a different request body.' },
  idempotency_key_in_use: { status: 409, type: 'conflict', message: 'A request with this Idempotency-Key is still in progress.' },
  idempotent_secret: {
    status: 409,
    type: 'conflict',
    message:
      'The first request with this Idempotency-Key succeeded, but its answer carried a secret, which is shown once and never stored for replay.',
  },
  last_owner_key: {
    status: 409,
    type: 'conflict',
    message: "This is the company's last owner key; create another owner key before revoking it, or nobody could manage the company.",
  },
  validation_failed: { status: 422, type: 'validation', message: 'A field is invalid.' },
  unsafe_header_value: { status: 422, type: 'validation', message: 'A rendered header value contains CR or LF.' },
  limit_reached: { status: 422, type: 'validation', message: 'A limit was reached.' },
  rate_limited: { status: 429, type: 'rate_limited', message: 'Too many requests for this API key.' },
  invalid_credentials: { status: 401, type: 'authentication', message: 'The email or password is not right.' },
  sign_in_limited: { status: 429, type: 'rate_limited', message: 'Too many failed sign-ins; wait a few minutes and try again.' },
  internal: { status: 500, type: 'internal', message: 'Something went wrong on our side.' },
  unavailable: { status: 503, type: 'internal', message: 'The store is not reachable.' },
} as const satisfies Record<string, { status: number; type: ErrorType; message: string }>;

export type ErrorCode = keyof typeof REGISTRY;

/** A typed, client-visible failure. */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: ErrorType;
  readonly param: string | undefined;

  constructor(code: ErrorCode, message?: string, param?: string) {
    const entry = REGISTRY[code];
    super(message ?? entry.message);
    this.name = 'SwitchboardError';
    this.code = code;
    this.status = entry.status;
    this.type = entry.type;
    this.param = param;
  }

  /** The contract's error body. */
  toBody(): { error: { type: ErrorType; code: string; message: string; param?: string } } {
    const body: { type: ErrorType; code: string; message: string; param?: string } = {
      type: this.type,
      code: this.code,
      message: this.message,
    };
    if (this.param !== undefined) body.param = this.param;
    return { error: body };
  }
}

/** The registry's message of a code, for a message that adds detail to it. */
export function errorMessage(code: ErrorCode): string {
  return REGISTRY[code].message;
}

/** Every code of the registry (the docs list each one). */
export const ERROR_CODES = Object.keys(REGISTRY) as ErrorCode[];

/** Shorthand for the most common failure: a missing resource (or one of another company). */
export function notFound(kind: string, id: string): SwitchboardError {
  return new SwitchboardError('resource_not_found', `No such ${kind}: ${id}`);
}

/** Shorthand for a 422 that names the field. */
export function invalid(param: string, message: string): SwitchboardError {
  return new SwitchboardError('validation_failed', message, param);
}
