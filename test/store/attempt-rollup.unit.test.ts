import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketOf, GRAINS, rollupRows, type RolledAttempt } from '../../src/store/attempt-rollup.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);

// The rows as a plain count, one key per (company, grain, slot, endpoint, column): what rollupRows
// must add up to, however the batch is ordered.
function expected(attempts: RolledAttempt[]): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string) => out.set(k, (out.get(k) ?? 0) + 1);
  for (const a of attempts) {
    const minute = Math.floor(a.atMs / MIN);
    for (const grain of GRAINS) {
      const key = `${a.companyId}|${grain}|${Math.floor(minute / grain) * grain}|${a.webhookId}`;
      add(`${key}|${a.outcome}`);
      add(`${key}|l${bucketOf(a.durationMs)}`);
    }
  }
  return out;
}

function counted(attempts: RolledAttempt[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rollupRows(attempts)) {
    const key = `${r.company_id}|${r.grain}|${r.slot}|${r.webhook_id}`;
    for (const [col, n] of Object.entries(r)) if (typeof n === 'number' && n > 0 && col !== 'grain' && col !== 'slot') out.set(`${key}|${col}`, n);
  }
  return out;
}

test('rollupRows: runs of one endpoint and minute, interleaved endpoints, companies and minute boundaries all add up', () => {
  const a = (webhookId: string, atMs: number, durationMs: number, outcome: RolledAttempt['outcome'], companyId = 'cmp_A'): RolledAttempt => ({ companyId, webhookId, atMs, durationMs, outcome });
  const batch = [
    a('wh_1', T0 + 59_000, 10, 'succeeded'),
    a('wh_1', T0 + 59_500, 30, 'succeeded'),
    a('wh_1', T0 + MIN, 10, 'succeeded'), // the next minute, same quarter hour and hour
    a('wh_2', T0 + MIN, 900, 'retrying'),
    a('wh_1', T0 + MIN + 1, 10, 'failed'), // back to wh_1 after wh_2
    a('wh_1', T0 + MIN + 2, 10, 'succeeded', 'cmp_B'), // same endpoint id, another company
    a('wh_1', T0 + 15 * MIN, 40_000, 'failed'), // the next quarter hour
    a('wh_1', T0 + 60 * MIN, 10, 'succeeded'), // the next hour
  ];
  assert.deepEqual(counted(batch), expected(batch));
  // The rows come sorted by key, so concurrent writers lock them in one order.
  const rows = rollupRows(batch);
  const keys = rows.map((r) => [r.company_id, r.grain, r.slot, r.webhook_id] as const);
  const sorted = [...keys].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1] || x[2] - y[2] || (x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0)));
  assert.deepEqual(keys, sorted);
  assert.equal(new Set(keys.map((k) => k.join(' '))).size, rows.length, 'one row per key');
});

test('rollupRows: a seeded random batch adds up like the plain count', () => {
  const seed = Number(process.env.SEED ?? 12_345);
  let s = seed;
  const rand = (n: number) => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31), s % n);
  const outcomes: RolledAttempt['outcome'][] = ['succeeded', 'retrying', 'failed'];
  const batch = Array.from({ length: 2_000 }, (): RolledAttempt => ({
    companyId: `cmp_${rand(3)}`,
    webhookId: `wh_${rand(4)}`,
    atMs: T0 + rand(3 * 60) * MIN + rand(MIN),
    durationMs: rand(50_000),
    outcome: outcomes[rand(3)]!,
  }));
  assert.deepEqual(counted(batch), expected(batch), `seed ${seed}`);
});
