import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { SwitchboardError } from '../domain/errors.ts';
import { describeError, pointerOf } from '../domain/ajv-errors.ts';

/** The JSON-pointer of the field an Ajv error is about (`/headers/2/key`); bare for query and params. */
export function paramOf(err: ErrorObject, part?: string): string {
  const path = pointerOf(err, '');
  if (part && part !== 'body') return path.replace(/^\//, '') || part;
  return path || '/';
}

/** Turns any error into a SwitchboardError so the client always gets the contract's body. */
export function toSwitchboardError(error: FastifyError & { validation?: ErrorObject[]; validationContext?: string }): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  if (error.validation && error.validation.length > 0) {
    // anyOf errors come after the branch errors; the first error names the field most precisely.
    const first = error.validation[0];
    const param = paramOf(first, error.validationContext);
    return new SwitchboardError('validation_failed', describeError(first, param), param);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SwitchboardError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SwitchboardError('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new SwitchboardError('malformed_json');
  }
  if (error instanceof SyntaxError) return new SwitchboardError('malformed_json');
  // Input the store refuses (PostgreSQL: NUL or an invalid byte sequence in text) is the client's.
  const pgCode = (error as { code?: unknown }).code;
  if (pgCode === '22021' || pgCode === '22P05') return new SwitchboardError('invalid_request', 'The request contains characters that cannot be stored.');
  if (error instanceof RangeError) return new SwitchboardError('invalid_request', 'The request is too complex to process.');
  const status = error.statusCode ?? 500;
  if (status === 413) return new SwitchboardError('payload_too_large');
  if (status >= 400 && status < 500) return new SwitchboardError('invalid_request', error.message);
  return new SwitchboardError('internal');
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const err = toSwitchboardError(error);
  if (err.status >= 500) request.log.error({ err: error }, 'request failed');
  if (err.code === 'rate_limited' && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
  return reply.code(err.status).type('application/json').send(err.toBody());
}

/** Errors fastify raises before a route runs (e.g. a malformed percent-encoded URL). */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const err = error.code === 'FST_ERR_BAD_URL' ? new SwitchboardError('invalid_request', 'The URL is malformed.') : toSwitchboardError(error);
  reply.code(err.status).type('application/json').send(err.toBody());
}

/**
 * Requests Node's HTTP parser rejects (oversized headers, invalid characters) never reach
 * fastify; answer them with the error body rather than a bare status line.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
  if (!socket.writable) return socket.destroy();
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'HPE_URI_TOO_LONG' ? 414 : 400;
  const body = JSON.stringify(new SwitchboardError('invalid_request', 'The HTTP request is malformed.').toBody());
  socket.end(
    `HTTP/1.1 ${status} Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
