import type { Kysely } from 'kysely';
import type { Tables } from './tables.ts';

/** Whose record it is: the API key that made the request (and its company, for the operator). */
export interface IdempotencyScope {
  keyId: string;
  companyId: string;
}

export type Claim =
  | { state: 'new' }
  | { state: 'replay'; statusCode: number; body: string }
  /** The first answer carried a secret and was not kept; `note` says what it created (no secret). */
  | { state: 'withheld'; note: string }
  | { state: 'mismatch' }
  | { state: 'in_progress' };

const TTL_MS = 24 * 60 * 60 * 1000;
// A request that claimed a key and then died (process killed) must not block the key forever.
const STALE_PENDING_MS = 60_000;

/**
 * Claims an Idempotency-Key before the request runs. The primary key (API key id, Idempotency-Key)
 * makes the claim atomic across processes: exactly one request with a given key runs; the others
 * replay its answer.
 */
export async function claimKey(db: Kysely<Tables>, scope: IdempotencyScope, key: string, hash: string, nowMs: number): Promise<Claim> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({
        key_id: scope.keyId,
        company_id: scope.companyId,
        idem_key: key,
        request_hash: hash,
        state: 'pending',
        status_code: null,
        response_body: null,
        created_at: new Date(nowMs).toISOString(),
        expires_ms: nowMs + TTL_MS,
      })
      .onConflict((oc) => oc.columns(['key_id', 'idem_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return { state: 'new' };

    const row = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('key_id', '=', scope.keyId)
      .where('idem_key', '=', key)
      .executeTakeFirst();
    if (!row) continue;
    const expired = row.expires_ms < nowMs;
    const stale = row.state === 'pending' && Date.parse(row.created_at) + STALE_PENDING_MS < nowMs;
    if (expired || stale) {
      await db
        .deleteFrom('idempotency_keys')
        .where('key_id', '=', scope.keyId)
        .where('idem_key', '=', key)
        .where('created_at', '=', row.created_at)
        .execute();
      continue;
    }
    if (row.request_hash !== hash) return { state: 'mismatch' };
    if (row.state === 'done') return { state: 'replay', statusCode: row.status_code ?? 200, body: row.response_body ?? '' };
    if (row.state === 'withheld') return { state: 'withheld', note: row.response_body ?? '' };
    return { state: 'in_progress' };
  }
  return { state: 'in_progress' };
}

/** Keeps the answer for replay. */
export async function completeKey(db: Kysely<Tables>, scope: IdempotencyScope, key: string, statusCode: number, body: string): Promise<void> {
  await finish(db, scope, key, 'done', statusCode, body);
}

/**
 * Marks the request done without keeping its answer, which carried a secret: only `note` (what
 * was created, never the secret) is kept, so a repeat is refused instead of running again.
 */
export async function withholdKey(db: Kysely<Tables>, scope: IdempotencyScope, key: string, statusCode: number, note: string): Promise<void> {
  await finish(db, scope, key, 'withheld', statusCode, note);
}

async function finish(db: Kysely<Tables>, scope: IdempotencyScope, key: string, state: 'done' | 'withheld', statusCode: number, body: string) {
  await db
    .updateTable('idempotency_keys')
    .set({ state, status_code: statusCode, response_body: body })
    .where('key_id', '=', scope.keyId)
    .where('idem_key', '=', key)
    .execute();
}

export async function releaseKey(db: Kysely<Tables>, scope: IdempotencyScope, key: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('key_id', '=', scope.keyId).where('idem_key', '=', key).execute();
}

/** Deletes the records past their 24 h; returns how many. */
export async function purgeExpiredKeys(db: Kysely<Tables>, nowMs: number): Promise<number> {
  const res = await db.deleteFrom('idempotency_keys').where('expires_ms', '<', nowMs).executeTakeFirst();
  return Number(res.numDeletedRows);
}
