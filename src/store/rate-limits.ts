import { sql, type Kysely } from 'kysely';
import type { Tables } from './tables.ts';

export interface Take {
  allowed: boolean;
  /** Tokens left after this request (may be fractional). */
  tokens: number;
}

/**
 * Token bucket per key, kept in the database so every API process shares it (PostgreSQL). One
 * upsert refills by elapsed time, takes a token and reports the level; it bottoms out at -1 so a
 * client that keeps hammering is not punished beyond one token. `cost` 0 only refills and reports
 * (a peek: would a request pass?).
 */
export async function takeToken(db: Kysely<Tables>, keyId: string, ratePerS: number, burst: number, nowMs: number, cost: 0 | 1 = 1): Promise<Take> {
  const row = await sql<{ tokens: number }>`
    INSERT INTO rate_limits (key_id, tokens, updated_ms) VALUES (${keyId}, ${burst - cost}, ${nowMs})
    ON CONFLICT (key_id) DO UPDATE SET
      tokens = GREATEST(LEAST(${burst}::double precision,
        rate_limits.tokens + GREATEST(${nowMs}::bigint - rate_limits.updated_ms, 0) * ${ratePerS}::double precision / 1000.0) - ${cost}, -1),
      updated_ms = GREATEST(${nowMs}::bigint, rate_limits.updated_ms)
    RETURNING tokens`.execute(db);
  const tokens = Number(row.rows[0].tokens);
  // A peek (cost 0) is allowed when a token could be taken.
  return { allowed: tokens >= 1 - cost, tokens };
}
