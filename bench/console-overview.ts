/**
 * tsx bench/console-overview.ts: times the console overview's queries with 1,000,000 attempts on
 * SQLite. The attempts go through the rollup writer (store/attempt-rollup.ts) as the worker writes
 * them, spread over 7 days and 10 endpoints; then the 7-day page's figures are read 20 times.
 */
import { startTestServer } from '../test/helpers/server.ts';
import { addToRollup, type RolledAttempt } from '../src/store/attempt-rollup.ts';

const s = await startTestServer('sqlite', {}, []);
const p = s.server.platform;
const companyId = (await p.services.members.company('default')).id;
const caller = { companyId, keyId: 'bench', role: 'owner' as const };
const hooks = Array.from({ length: 10 }, (_, i) => `wh_bench_${i}`);
const now = Date.now();
const N = 1_000_000;
const t0 = Date.now();
for (let done = 0; done < N; ) {
  const batch: RolledAttempt[] = [];
  for (let i = 0; i < 5000 && done < N; i++, done++) {
    batch.push({ companyId, webhookId: hooks[done % 10]!, atMs: now - Math.floor((done / N) * 7 * 86_400_000), durationMs: (done * 7919) % 2000, outcome: done % 50 === 0 ? 'failed' : done % 10 === 0 ? 'retrying' : 'succeeded' });
  }
  await p.database.transaction((trx) => addToRollup(trx, batch));
}
console.log(`seeded ${N} attempts in ${Date.now() - t0} ms`);
const times: number[] = [];
for (let i = 0; i < 20; i++) {
  const a = performance.now();
  await Promise.all([p.services.webhookOverview.chart(caller, '7d'), p.services.webhookOverview.failing(caller, '7d')]);
  await p.services.webhookOverview.chart(caller, '7d', hooks[0]);
  times.push(performance.now() - a);
}
times.sort((x, y) => x - y);
console.log(`console-overview (7 days, 1M attempts): median ${times[10]!.toFixed(1)} ms, max ${times[19]!.toFixed(1)} ms`);
await s.close();
