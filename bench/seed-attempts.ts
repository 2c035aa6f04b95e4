/**
 * Seeds a history of attempts for the console-overview scenario, straight into a SQLite store no
 * server has open: `attempts` rows made by one set-based INSERT … SELECT over a recursive counter
 * (no row goes through JavaScript), and the overview's rollup written by the same function the
 * delivery worker calls for each batch it records (store/attempt-rollup.ts addToRollup), fed with
 * the same attempts. The attempts are spread evenly over the last 7 days minus an hour (all of
 * them inside the 7-day view) and round-robin over the endpoints; every 50th failed, every 10th
 * retried, latency ~0..2 s with one in 200 slow (5..10 s). Prints one JSON line:
 * {attempts, succeeded, retrying, failed, ms}.
 *
 *   node --import tsx bench/seed-attempts.ts '<json AttemptSeedSpec>'
 */
import { sql } from 'kysely';
import { openDatabase } from '../src/store/database.ts';
import { addToRollup, type RolledAttempt, type RollupOutcome } from '../src/store/attempt-rollup.ts';

export interface AttemptSeedSpec {
  dataDir: string;
  /** Endpoints of one company (its id is read from them). */
  webhookIds: string[];
  attempts: number;
  /** The newest attempt's time (epoch ms); the oldest is 7 days minus an hour before it. */
  nowMs: number;
  /** Endpoints marked Failed (as the failure rule leaves them), for the page's banners. */
  failedWebhookIds: string[];
}

const SPAN_MS = 7 * 86_400_000 - 3_600_000;
const ROLLUP_BATCH = 50_000;

// The one description of attempt i, as SQL (for the rows) and as JavaScript (for the rollup).
const atMs = (s: AttemptSeedSpec, i: number) => s.nowMs - Math.floor((i * SPAN_MS) / s.attempts);
const durationMs = (i: number) => (i % 200 === 0 ? 5000 + (i % 5000) : (i * 7919) % 2000);
const outcome = (i: number): RollupOutcome => (i % 50 === 0 ? 'failed' : i % 10 === 0 ? 'retrying' : 'succeeded');

const spec = JSON.parse(process.argv[2] ?? '{}') as AttemptSeedSpec;
const started = performance.now();
const database = await openDatabase({ dataDir: spec.dataDir, databaseUrl: null });
const { db } = database;
const hooks = spec.webhookIds;
const companyId = (await db.selectFrom('webhooks').select('company_id').where('id', '=', hooks[0]!).executeTakeFirstOrThrow()).company_id;

await sql`CREATE TEMP TABLE seed_hooks (k INTEGER PRIMARY KEY, id TEXT NOT NULL)`.execute(db);
for (const [k, id] of hooks.entries()) await sql`INSERT INTO seed_hooks VALUES (${k}, ${id})`.execute(db);
const n = spec.attempts;
await sql`
  WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ${sql.lit(n)})
  INSERT INTO attempts (id, delivery_id, webhook_id, at, status_code, error, duration_ms, request_headers, response_headers, response_body)
  SELECT printf('att_SEED%018d', i), printf('dlv_SEED%018d', i / 3), h.id,
    strftime('%Y-%m-%dT%H:%M:%fZ', (${spec.nowMs} - (i * ${sql.lit(SPAN_MS)}) / ${sql.lit(n)}) / 1000.0, 'unixepoch'),
    CASE WHEN i % 10 = 0 THEN 500 ELSE 200 END, NULL,
    CASE WHEN i % 200 = 0 THEN 5000 + i % 5000 ELSE (i * 7919) % 2000 END,
    '{"content-type":"application/json","user-agent":"Switchboard-Webhooks/0.1","webhook-id":"evt_SEED' || i || '"}',
    '{"content-type":"application/json","content-length":"17"}',
    CASE WHEN i % 10 = 0 THEN 'upstream unavailable' ELSE '{"received":true}' END
  FROM c JOIN seed_hooks h ON h.k = i % ${sql.lit(hooks.length)}`.execute(db);

for (const id of spec.failedWebhookIds) {
  const at = new Date(spec.nowMs).toISOString();
  await db.updateTable('webhooks').set({ status: 'failed', disabled_at: at, updated_at: at }).where('id', '=', id).execute();
}

const totals = { succeeded: 0, retrying: 0, failed: 0 };
for (let from = 0; from < n; from += ROLLUP_BATCH) {
  const batch: RolledAttempt[] = [];
  for (let i = from; i < Math.min(n, from + ROLLUP_BATCH); i++) {
    const o = outcome(i);
    totals[o] += 1;
    batch.push({ companyId, webhookId: hooks[i % hooks.length]!, atMs: atMs(spec, i), durationMs: durationMs(i), outcome: o });
  }
  await database.transaction((trx) => addToRollup(trx, batch));
}
await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
await database.close();
console.log(JSON.stringify({ attempts: n, ...totals, ms: Math.round(performance.now() - started) }));
