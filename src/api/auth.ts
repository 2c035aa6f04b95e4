import type { FastifyReply, FastifyRequest } from 'fastify';
import { SwitchboardError } from '../domain/errors.ts';
import { safeEqual } from '../domain/api-keys.ts';
import { MANAGERS } from '../domain/roles.ts';
import type { Caller } from '../services/context.ts';
import type { KeyService } from '../services/keys.ts';
import { addressBucket, type RateDecision, type RateLimiter } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key behind the request, set once it is authenticated and its role allowed on the route. */
    caller: Caller | null;
    /** True once the server admin token was checked (admin-token routes). */
    serverAdmin: boolean;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; every role when absent. `admin-token` marks server-admin routes. */
    roles?: readonly Caller['role'][];
    /** How the route authenticates; by default `key` for every route registered under /v1, else `none`. */
    auth?: 'key' | 'admin-token' | 'none';
  }
}

export { MANAGERS };

function bearer(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (!m) throw new SwitchboardError('invalid_api_key', 'Send the key as "Authorization: Bearer sk_...".');
  return m[1];
}

/**
 * How a request authenticates, decided on the route it matched (its registered path and config),
 * never on the raw URL: find-my-way decodes `/%761/keys` to the `/v1/keys` route, so a prefix test
 * on the URL would let that spelling skip the guard. Unmatched requests have no route and go to
 * the 404 handler.
 */
export function authModeOf(request: FastifyRequest): 'key' | 'admin-token' | 'none' {
  const declared = request.routeOptions.config?.auth;
  if (declared) return declared;
  const route = request.routeOptions.url;
  return route !== undefined && (route === '/v1' || route.startsWith('/v1/')) ? 'key' : 'none';
}

/**
 * The onRequest guard of every /v1 route: resolves the key to a caller, takes a rate-limit token
 * (setting the ratelimit-* headers) and checks the route's roles. It runs first in the lifecycle,
 * before the idempotency preHandler, so a replay is only ever answered to a key that is still valid
 * and still allowed on the route.
 */
export function createAuthHook(keys: KeyService, limiter: RateLimiter | null, adminToken: string | null, anonymous: RateLimiter | null = null) {
  const limitHeaders = (reply: FastifyReply, d: RateDecision) =>
    reply.header('ratelimit-limit', d.limit).header('ratelimit-remaining', d.remaining).header('ratelimit-reset', d.reset);

  async function identify(request: FastifyRequest, mode: 'key' | 'admin-token'): Promise<Caller | null> {
    const token = bearer(request);
    if (mode === 'admin-token') {
      if (!adminToken || !token || !safeEqual(token, adminToken)) throw new SwitchboardError('invalid_admin_token');
      return null;
    }
    if (!token) throw new SwitchboardError('missing_api_key');
    return keys.authenticate(token);
  }

  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const mode = authModeOf(request);
    if (mode === 'none') return;
    const bucket = addressBucket(request.ip);
    // An address whose failures emptied its bucket is refused before its key is even looked at:
    // otherwise a right guess would stand out from the 429s.
    if (anonymous) {
      const d = await anonymous.peek(bucket);
      if (!d.allowed) {
        limitHeaders(reply, d).header('retry-after', d.retryAfter);
        throw new SwitchboardError('rate_limited', `Too many requests without a valid API key from this address; wait ${d.retryAfter} s (retry-after) and send a valid key.`);
      }
    }
    let caller: Caller | null;
    try {
      caller = await identify(request, mode);
    } catch (err) {
      if (anonymous && err instanceof SwitchboardError && err.status === 401) limitHeaders(reply, await anonymous.take(bucket));
      throw err;
    }
    if (mode === 'admin-token' || !caller) {
      request.serverAdmin = true;
      return;
    }
    if (limiter) {
      const d = await limiter.take(caller.keyId);
      limitHeaders(reply, d);
      if (!d.allowed) {
        reply.header('retry-after', d.retryAfter);
        throw new SwitchboardError('rate_limited');
      }
    }
    const roles = request.routeOptions.config?.roles;
    if (roles && !roles.includes(caller.role)) throw new SwitchboardError('forbidden');
    request.caller = caller;
  };
}

/** The authenticated caller of a key route (the guard guarantees it). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new SwitchboardError('missing_api_key');
  return request.caller;
}
