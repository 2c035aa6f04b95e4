import type { Kysely } from 'kysely';
import type { Tables } from './tables.ts';

export type Claim =
  | { state: 'new' }
  | { state: 'replay'; statusCode: number; body: string }
  | { state: 'mismatch' }
  | { state: 'in_progress' };

const TTL_MS = 24 * 60 * 60 * 1000;
// A request that claimed a key and then died (process killed) must not block the key forever.
const STALE_PENDING_MS = 60_000;

/**
 * Claims an Idempotency-Key before the request runs. The primary key makes the claim atomic
 * across processes: exactly one request with a given key runs; the others replay its answer.
 */
export async function claimKey(db: Kysely<Tables>, companyId: string, key: string, hash: string, nowMs: number): Promise<Claim> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({
        company_id: companyId,
        idem_key: key,
        request_hash: hash,
        state: 'pending',
        status_code: null,
        response_body: null,
        created_at: new Date(nowMs).toISOString(),
        expires_ms: nowMs + TTL_MS,
      })
      .onConflict((oc) => oc.columns(['company_id', 'idem_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return { state: 'new' };

    const row = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('company_id', '=', companyId)
      .where('idem_key', '=', key)
      .executeTakeFirst();
    if (!row) continue;
    const expired = row.expires_ms < nowMs;
    const stale = row.state === 'pending' && Date.parse(row.created_at) + STALE_PENDING_MS < nowMs;
    if (expired || stale) {
      await db
        .deleteFrom('idempotency_keys')
        .where('company_id', '=', companyId)
        .where('idem_key', '=', key)
        .where('created_at', '=', row.created_at)
        .execute();
      continue;
    }
    if (row.request_hash !== hash) return { state: 'mismatch' };
    if (row.state === 'done') return { state: 'replay', statusCode: row.status_code ?? 200, body: row.response_body ?? '' };
    return { state: 'in_progress' };
  }
  return { state: 'in_progress' };
}

export async function completeKey(db: Kysely<Tables>, companyId: string, key: string, statusCode: number, body: string): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', status_code: statusCode, response_body: body })
    .where('company_id', '=', companyId)
    .where('idem_key', '=', key)
    .execute();
}

export async function releaseKey(db: Kysely<Tables>, companyId: string, key: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('company_id', '=', companyId).where('idem_key', '=', key).execute();
}

export async function purgeExpiredKeys(db: Kysely<Tables>, nowMs: number): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('expires_ms', '<', nowMs).execute();
}
