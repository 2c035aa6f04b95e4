import crypto from 'node:crypto';
import { startPeriodicTask, type PeriodicTask } from '../periodic-task.ts';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Tables } from '../store/tables.ts';
import { SwitchboardError, errorMessage, invalid } from '../domain/errors.ts';
import { claimKey, completeKey, purgeExpiredKeys, releaseKey, withholdKey, type IdempotencyScope } from '../store/idempotency.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
    idempotencyKey?: { scope: IdempotencyScope; key: string; replayed: boolean };
  }
  interface FastifyContextConfig {
    /**
     * Declares that the route's success answer carries a secret shown once (an API key's
     * plaintext, a signing secret). Such an answer is never stored for replay: a repeat of the
     * request gets a 409 `idempotent_secret`. The function says, from the answer and the request,
     * what the first request did and how to get on without the secret; it must not echo the secret.
     */
    secretAnswer?: SecretAnswer;
  }
}

/** Says what a secret-bearing answer created, without the secret (see `secretAnswer`). */
export type SecretAnswer = (answer: any, request: FastifyRequest) => string;

const SECRET_ANSWER_DOC =
  'The answer carries a secret that is shown once and never stored: a repeat with the same Idempotency-Key ' +
  'changes nothing and answers 409 `idempotent_secret`, whose message names what the first request created.';

/**
 * An onRoute hook: the OpenAPI description of every route that declares `secretAnswer` says so,
 * from the declaration itself.
 */
export function documentSecretAnswer(route: RouteOptions): void {
  if (!route.config?.secretAnswer || !route.schema || route.method !== 'POST') return;
  const schema = route.schema as { description?: string };
  schema.description = schema.description ? `${schema.description} ${SECRET_ANSWER_DOC}` : SECRET_ANSWER_DOC;
}

/** Whose Idempotency-Keys these are: the authenticated API key, or the server admin token. */
function scopeOf(request: FastifyRequest): IdempotencyScope | null {
  if (request.caller) return { keyId: request.caller.keyId, companyId: request.caller.companyId };
  if (request.serverAdmin) return { keyId: 'admin-token', companyId: '' };
  return null;
}

/**
 * Idempotency-Key for every POST: the first request with a key runs and its answer is kept for
 * 24 h; a repeat with the same body gets that answer again (and changes nothing); a repeat with
 * another body is a 409. Answers of 5xx are not kept, so a failed request may be retried.
 *
 * Records belong to the API key that made the request: another key (even of the same company)
 * never sees them. This runs as a preHandler, after the onRequest guard has authenticated the key
 * and checked its role on the route, so a revoked key or a role the route refuses never gets a
 * replay. Success answers of routes that declare `secretAnswer` are not kept at all.
 */
export function createIdempotencyHooks(db: Kysely<Tables>) {
  // Most requests carry no Idempotency-Key: the hooks answer those at once, in the callback form
  // (an async hook costs a promise and a microtask turn on every request), and only run the async
  // part for the others.
  function preHandler(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    if (request.method !== 'POST' || request.headers['idempotency-key'] === undefined) return done();
    const scope = scopeOf(request);
    if (!scope) return done();
    claim(request, reply, scope).then((replied) => {
      // A replay has been sent: the route must not run.
      if (!replied) done();
    }, done);
  }

  async function claim(request: FastifyRequest, reply: FastifyReply, scope: IdempotencyScope): Promise<boolean> {
    const header = request.headers['idempotency-key']!;
    const key = Array.isArray(header) ? header[0] : header;
    if (key.length === 0 || key.length > 255) throw invalid('Idempotency-Key', 'Idempotency-Key must be 1 to 255 characters.');
    const hash = crypto
      .createHash('sha256')
      .update(request.method + ' ' + request.url + '\n' + (request.rawBody ?? ''))
      .digest('hex');
    const claimed = await claimKey(db, scope, key, hash, Date.now());
    if (claimed.state === 'mismatch') throw new SwitchboardError('idempotency_key_reused');
    if (claimed.state === 'in_progress') throw new SwitchboardError('idempotency_key_in_use');
    if (claimed.state === 'withheld') {
      throw new SwitchboardError('idempotent_secret', `${errorMessage('idempotent_secret')} ${claimed.note}`.trim());
    }
    if (claimed.state === 'replay') {
      request.idempotencyKey = { scope, key, replayed: true };
      reply.code(claimed.statusCode).header('idempotent-replayed', 'true').type('application/json').send(claimed.body);
      return true;
    }
    request.idempotencyKey = { scope, key, replayed: false };
    return false;
  }

  function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void): void {
    const idem = request.idempotencyKey;
    if (!idem || idem.replayed) return done(null, payload);
    record(request, reply, idem, payload).then((p) => done(null, p), (err: Error) => done(err));
  }

  async function record(request: FastifyRequest, reply: FastifyReply, idem: NonNullable<FastifyRequest['idempotencyKey']>, payload: unknown): Promise<unknown> {
    idem.replayed = true; // record once, even if onSend runs again after an error
    const body = typeof payload === 'string' ? payload : '';
    const secretAnswer = request.routeOptions.config?.secretAnswer;
    if (reply.statusCode >= 500) await releaseKey(db, idem.scope, idem.key);
    else if (secretAnswer && reply.statusCode < 300) await withholdKey(db, idem.scope, idem.key, reply.statusCode, noteOf(secretAnswer, body, request));
    else await completeKey(db, idem.scope, idem.key, reply.statusCode, body);
    return payload;
  }

  return { preHandler, onSend };
}

function noteOf(secretAnswer: SecretAnswer, body: string, request: FastifyRequest): string {
  try {
    return secretAnswer(JSON.parse(body), request);
  } catch {
    // Never the body itself: it holds the secret.
    return 'To run the request again, send it with a new Idempotency-Key.';
  }
}

/**
 * Deletes expired idempotency records at start and every `intervalMs` (claims skip expired rows,
 * but without this they would pile up forever).
 */
export function startIdempotencyPurge(db: Kysely<Tables>, intervalMs: number, logger: Logger): PeriodicTask {
  return startPeriodicTask({ what: 'idempotency purge', intervalMs, logger, run: () => purgeExpiredKeys(db, Date.now()) });
}
