import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { SwitchboardError, invalid } from '../domain/errors.ts';
import { claimKey, completeKey, releaseKey } from '../store/idempotency.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
    idempotencyKey?: { companyId: string; key: string; replayed: boolean };
  }
}

/**
 * Idempotency-Key for every POST: the first request with a key runs and its answer is kept for
 * 24 h; a repeat with the same body gets that answer again (and changes nothing); a repeat with
 * another body is a 409. Answers of 5xx are not kept, so a failed request may be retried.
 */
export function createIdempotencyHooks(db: Kysely<Tables>) {
  async function preHandler(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.method !== 'POST' || !request.caller) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (key.length === 0 || key.length > 255) throw invalid('Idempotency-Key', 'Idempotency-Key must be 1 to 255 characters.');
    const hash = crypto
      .createHash('sha256')
      .update(request.method + ' ' + request.url + '\n' + (request.rawBody ?? ''))
      .digest('hex');
    const companyId = request.caller.companyId;
    const claim = await claimKey(db, companyId, key, hash, Date.now());
    if (claim.state === 'mismatch') throw new SwitchboardError('idempotency_key_reused');
    if (claim.state === 'in_progress') throw new SwitchboardError('idempotency_key_in_use');
    if (claim.state === 'replay') {
      request.idempotencyKey = { companyId, key, replayed: true };
      return reply.code(claim.statusCode).header('idempotent-replayed', 'true').type('application/json').send(claim.body);
    }
    request.idempotencyKey = { companyId, key, replayed: false };
  }

  async function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const idem = request.idempotencyKey;
    if (!idem || idem.replayed) return payload;
    idem.replayed = true; // record once, even if onSend runs again after an error
    if (reply.statusCode >= 500) await releaseKey(db, idem.companyId, idem.key);
    else await completeKey(db, idem.companyId, idem.key, reply.statusCode, typeof payload === 'string' ? payload : '');
    return payload;
  }

  return { preHandler, onSend };
}
