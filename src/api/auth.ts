import type { FastifyReply, FastifyRequest } from 'fastify';
import { SwitchboardError } from '../domain/errors.ts';
import { safeEqual } from '../domain/api-keys.ts';
import type { Caller } from '../services/context.ts';
import type { KeyService } from '../services/keys.ts';
import type { RateLimiter } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; every role when absent. `admin-token` marks server-admin routes. */
    roles?: readonly Caller['role'][];
    auth?: 'key' | 'admin-token' | 'none';
  }
}

/** Owners and admins only: webhooks, agents, keys, events. */
export const MANAGERS = ['owner', 'admin'] as const;

function bearer(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (!m) throw new SwitchboardError('invalid_api_key', 'Send the key as "Authorization: Bearer sk_...".');
  return m[1];
}

/**
 * The onRequest guard of every /v1 route: resolves the key to a caller, checks the route's roles,
 * takes a rate-limit token and sets the ratelimit-* headers.
 */
export function createAuthHook(keys: KeyService, limiter: RateLimiter | null, adminToken: string | null) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const config = request.routeOptions.config;
    const mode = config?.auth ?? (request.url.startsWith('/v1/') ? 'key' : 'none');
    if (mode === 'none') return;
    const token = bearer(request);
    if (mode === 'admin-token') {
      if (!adminToken || !token || !safeEqual(token, adminToken)) throw new SwitchboardError('invalid_admin_token');
      return;
    }
    if (!token) throw new SwitchboardError('missing_api_key');
    const caller = await keys.authenticate(token);
    request.caller = caller;
    if (limiter) {
      const d = await limiter.take(caller.keyId);
      reply.header('ratelimit-limit', d.limit).header('ratelimit-remaining', d.remaining).header('ratelimit-reset', d.reset);
      if (!d.allowed) {
        reply.header('retry-after', d.retryAfter);
        throw new SwitchboardError('rate_limited');
      }
    }
    if (config?.roles && !config.roles.includes(caller.role)) throw new SwitchboardError('forbidden');
  };
}

/** The authenticated caller of a key route (the guard guarantees it). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new SwitchboardError('missing_api_key');
  return request.caller;
}
