import type { SecretBox } from '../domain/secret-box.ts';
import { endpointOf, type Endpoint, type WebhookRow } from '../store/webhooks.ts';

/**
 * Decrypted endpoints by id, so a worker opens an endpoint's sealed secret and credentials once per
 * change of its row rather than once per claimed batch. An entry is good while the row's
 * `updated_at` is the same and, during a secret rotation, until the previous secret expires (it
 * stops signing then). The status is always taken from the row just read.
 */
export interface EndpointCache {
  /** The endpoint of a row; throws when its sealed columns cannot be opened (another master key). */
  get(row: WebhookRow, now: number): Endpoint;
  /** The endpoint of a row known only by its version and status, if that version is cached (else the row must be read). */
  peek(id: string, updatedAt: string, status: string, now: number): Endpoint | undefined;
}

export function createEndpointCache(secrets: SecretBox, maxEntries = 10_000): EndpointCache {
  const entries = new Map<string, { updatedAt: string; expiresAt: number; endpoint: Endpoint }>();
  function peek(id: string, updatedAt: string, status: string, now: number): Endpoint | undefined {
    const hit = entries.get(id);
    if (!hit || hit.updatedAt !== updatedAt || now >= hit.expiresAt) return undefined;
    // The same object while nothing changed: what is worked out once per endpoint object
    // (request.ts: the auth and custom headers of every request) stays worked out.
    if (hit.endpoint.status !== status) hit.endpoint = { ...hit.endpoint, status: status as Endpoint['status'] };
    return hit.endpoint;
  }
  return {
    peek,
    get(row, now) {
      const hit = peek(row.id, row.updated_at, row.status, now);
      if (hit) return hit;
      const endpoint = endpointOf(row, secrets, now);
      const prev = row.previous_secret_expires_at ? Date.parse(row.previous_secret_expires_at) : Infinity;
      entries.delete(row.id);
      // Deleted endpoints are never read again: the oldest entry goes once the cache is full.
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(row.id, { updatedAt: row.updated_at, expiresAt: prev > now ? prev : Infinity, endpoint });
      return endpoint;
    },
  };
}
